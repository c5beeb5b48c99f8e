//! A small page writer over printpdf: text at positions in millimetres with DejaVu
//! Sans (regular and bold, embedded and subset), right-aligned numbers measured from
//! the font's own glyph widths, word wrapping, rules, and a new page whenever the
//! next line would cross the bottom margin.

use printpdf::{
    Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, TextItem,
};

use crate::DocumentError;

/// The two faces every document uses.
pub struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fonts(DejaVu Sans, DejaVu Sans Bold)")
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("pages", &self.pages.len())
            .field("y", &self.y)
            .finish_non_exhaustive()
    }
}

impl Fonts {
    pub fn load() -> Result<Self, DocumentError> {
        let parse = |bytes: &[u8], name: &str| {
            ParsedFont::from_bytes(bytes, 0, &mut Vec::new())
                .ok_or_else(|| DocumentError::Font(format!("{name} does not parse")))
        };
        Ok(Self {
            regular: parse(dejavu::sans::regular(), "DejaVu Sans")?,
            bold: parse(dejavu::sans::bold(), "DejaVu Sans Bold")?,
        })
    }

    fn face(&self, bold: bool) -> &ParsedFont {
        if bold { &self.bold } else { &self.regular }
    }

    /// The width of `text` at `size` points, in millimetres.
    pub fn width_mm(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = self.face(bold);
        let units: u32 = text
            .chars()
            .map(|c| {
                face.lookup_glyph_index(c as u32)
                    .and_then(|g| face.get_glyph_width(g))
                    .map_or(u32::from(face.units_per_em) / 2, u32::from)
            })
            .sum();
        let points = units as f32 * size / f32::from(face.units_per_em.max(1));
        points * 25.4 / 72.0
    }
}

/// Where text goes on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A document being written, page by page, top to bottom.
pub struct Writer {
    doc: PdfDocument,
    fonts: Fonts,
    regular: printpdf::FontId,
    bold: printpdf::FontId,
    width: f32,
    height: f32,
    margin: f32,
    pages: Vec<PdfPage>,
    ops: Vec<Op>,
    /// The baseline of the next line, from the bottom, in mm.
    pub y: f32,
}

impl Writer {
    /// A document of pages `width` × `height` mm with `margin` mm all round.
    pub fn new(title: &str, width: f32, height: f32, margin: f32) -> Result<Self, DocumentError> {
        let fonts = Fonts::load()?;
        let mut doc = PdfDocument::new(title);
        let regular = doc.add_font(&fonts.regular);
        let bold = doc.add_font(&fonts.bold);
        Ok(Self {
            doc,
            fonts,
            regular,
            bold,
            width,
            height,
            margin,
            pages: Vec::new(),
            ops: Vec::new(),
            y: height - margin,
        })
    }

    pub fn left(&self) -> f32 {
        self.margin
    }

    pub fn right(&self) -> f32 {
        self.width - self.margin
    }

    pub fn fonts(&self) -> &Fonts {
        &self.fonts
    }

    /// Moves down `mm`, starting a new page when that would cross the bottom margin.
    pub fn down(&mut self, mm: f32) {
        self.y -= mm;
        if self.y < self.margin {
            self.new_page();
        }
    }

    pub fn new_page(&mut self) {
        let ops = std::mem::take(&mut self.ops);
        self.pages
            .push(PdfPage::new(Mm(self.width), Mm(self.height), ops));
        self.y = self.height - self.margin;
    }

    /// Writes `text` with its left edge (or right edge) at `x` on the current line.
    pub fn text_at(&mut self, x: f32, text: &str, size: f32, bold: bool, align: Align) {
        let x = match align {
            Align::Left => x,
            Align::Right => x - self.fonts.width_mm(text, size, bold),
        };
        let font = if bold { &self.bold } else { &self.regular };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(self.y)),
            },
            Op::SetFont {
                font: PdfFontHandle::External(font.clone()),
                size: Pt(size),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// A line of text at the left margin, then down one line.
    pub fn line(&mut self, text: &str, size: f32, bold: bool) {
        self.text_at(self.margin, text, size, bold, Align::Left);
        self.down(size * 0.5);
    }

    /// `text` wrapped to the page's width (words kept whole), line by line.
    pub fn paragraph(&mut self, text: &str, size: f32) {
        let width = self.right() - self.left();
        for line in wrap(&self.fonts, text, size, width) {
            self.line(&line, size, false);
        }
    }

    /// A horizontal rule across the page at the current line.
    pub fn rule(&mut self) {
        let y = self.y + 1.5;
        self.ops.extend([
            Op::SetOutlineThickness { pt: Pt(0.5) },
            Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint {
                            p: Point::new(Mm(self.margin), Mm(y)),
                            bezier: false,
                        },
                        LinePoint {
                            p: Point::new(Mm(self.width - self.margin), Mm(y)),
                            bezier: false,
                        },
                    ],
                    is_closed: false,
                },
            },
        ]);
        self.down(2.0);
    }

    /// The finished PDF.
    pub fn finish(mut self) -> Vec<u8> {
        if !self.ops.is_empty() || self.pages.is_empty() {
            self.new_page();
        }
        let pages = std::mem::take(&mut self.pages);
        self.doc
            .with_pages(pages)
            .save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}

/// Splits `text` into lines no wider than `width` mm at `size` points; a word wider
/// than the line is put on a line of its own.
pub fn wrap(fonts: &Fonts, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut current = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if !current.is_empty() && fonts.width_mm(&candidate, size, false) > width {
                lines.push(std::mem::replace(&mut current, word.to_string()));
            } else {
                current = candidate;
            }
        }
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_font_and_wrapping_keeps_words_whole() -> Result<(), DocumentError> {
        let fonts = Fonts::load()?;
        let narrow = fonts.width_mm("iiii", 10.0, false);
        let wide = fonts.width_mm("WWWW", 10.0, false);
        assert!(wide > narrow * 2.0, "{narrow} {wide}");
        assert!(fonts.width_mm("Привіт", 10.0, true) > 0.0);
        let lines = wrap(&fonts, "one two three four five six seven", 10.0, 25.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert_eq!(lines.join(" "), "one two three four five six seven");
        for line in &lines {
            assert!(fonts.width_mm(line, 10.0, false) <= 25.0 || !line.contains(' '));
        }
        Ok(())
    }
}
