//! Screenshots from the X server's own framebuffer. Xvfb started with `-fbdir` keeps
//! its screen as an XWD image in a file (`Xvfb_screen0`); this reads the pixels there,
//! crops the app's window and writes a PNG. It shows what is on the screen, whatever
//! way WebKit painted it (WebKitWebDriver's own screenshot waits for a compositing
//! update that never comes once the app paints without GL compositing).

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};

/// A rectangle of the screen, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The pixels of an XWD image: 8-bit RGB rows.
#[derive(Debug)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

/// Reads an XWD file of a 24/32-bit TrueColor ZPixmap screen, as Xvfb writes it.
pub fn read_xwd(bytes: &[u8]) -> Result<Screen> {
    let field = |index: usize| -> Result<u32> {
        let at = index * 4;
        let raw = bytes
            .get(at..at + 4)
            .context("the XWD header is cut short")?;
        Ok(u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]))
    };
    let header_size = field(0)? as usize;
    ensure!(field(1)? == 7, "not an XWD version 7 file");
    ensure!(field(2)? == 2, "only ZPixmap XWD images are read");
    let (width, height) = (field(4)?, field(5)?);
    let little_endian = field(7)? == 0;
    let bits_per_pixel = field(11)?;
    let bytes_per_line = field(12)? as usize;
    let masks = [field(14)?, field(15)?, field(16)?];
    let colormap_entries = field(19)? as usize;
    ensure!(
        bits_per_pixel == 32,
        "{bits_per_pixel} bits per pixel: only 32 are read"
    );
    let pixels_at = header_size + colormap_entries * 12;
    let needed = pixels_at + bytes_per_line * height as usize;
    if bytes.len() < needed {
        bail!("the XWD image holds {} bytes, {needed} needed", bytes.len());
    }
    let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
    for row in 0..height as usize {
        let line = &bytes[pixels_at + row * bytes_per_line..];
        for column in 0..width as usize {
            let p = &line[column * 4..column * 4 + 4];
            let pixel = if little_endian {
                u32::from_le_bytes([p[0], p[1], p[2], p[3]])
            } else {
                u32::from_be_bytes([p[0], p[1], p[2], p[3]])
            };
            for mask in masks {
                rgb.push(channel(pixel, mask));
            }
        }
    }
    Ok(Screen { width, height, rgb })
}

/// The 8-bit value of the channel `mask` selects.
fn channel(pixel: u32, mask: u32) -> u8 {
    if mask == 0 {
        return 0;
    }
    let value = (pixel & mask) >> mask.trailing_zeros();
    let bits = (mask >> mask.trailing_zeros()).count_ones();
    match bits {
        8 => value as u8,
        0 => 0,
        n => ((value * 255) / ((1 << n) - 1)) as u8,
    }
}

impl Screen {
    /// Writes `rect` of the screen (clipped to it) as a PNG.
    pub fn write_png(&self, rect: Rect, path: &Path) -> Result<()> {
        let x0 = rect.x.min(self.width);
        let y0 = rect.y.min(self.height);
        let width = rect.width.min(self.width - x0);
        let height = rect.height.min(self.height - y0);
        ensure!(width > 0 && height > 0, "{rect:?} is off the screen");
        let mut cropped = Vec::with_capacity(width as usize * height as usize * 3);
        for row in y0..y0 + height {
            let start = (row as usize * self.width as usize + x0 as usize) * 3;
            cropped.extend_from_slice(&self.rgb[start..start + width as usize * 3]);
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut encoder = png::Encoder::new(file, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&cropped)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×1 little-endian XWD image: a red pixel, then a blue one.
    fn tiny_xwd() -> Vec<u8> {
        let mut header = [0u32; 25];
        header[0] = 100 + 4; // header and a 4-byte window name
        header[1] = 7;
        header[2] = 2;
        header[3] = 24;
        header[4] = 2;
        header[5] = 1;
        header[7] = 0;
        header[11] = 32;
        header[12] = 8;
        header[14] = 0x00ff_0000;
        header[15] = 0x0000_ff00;
        header[16] = 0x0000_00ff;
        let mut bytes: Vec<u8> = header.iter().flat_map(|v| v.to_be_bytes()).collect();
        bytes.extend_from_slice(b"xvb\0");
        bytes.extend_from_slice(&0x00ff_0000u32.to_le_bytes());
        bytes.extend_from_slice(&0x0000_00ffu32.to_le_bytes());
        bytes
    }

    #[test]
    fn reads_pixels_by_their_masks_and_crops() -> Result<()> {
        let screen = read_xwd(&tiny_xwd())?;
        assert_eq!((screen.width, screen.height), (2, 1));
        assert_eq!(screen.rgb, vec![255, 0, 0, 0, 0, 255]);
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("blue.png");
        screen.write_png(
            Rect {
                x: 1,
                y: 0,
                width: 5,
                height: 5,
            },
            &path,
        )?;
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path)?));
        let mut reader = decoder.read_info()?;
        let mut pixels = vec![0; reader.output_buffer_size().context("size")?];
        let info = reader.next_frame(&mut pixels)?;
        assert_eq!((info.width, info.height), (1, 1));
        assert_eq!(&pixels[..3], &[0, 0, 255]);
        Ok(())
    }

    #[test]
    fn a_cut_short_file_is_an_error_not_a_panic() {
        let bytes = tiny_xwd();
        assert!(read_xwd(&bytes[..bytes.len() - 1]).is_err());
        assert!(read_xwd(&bytes[..50]).is_err());
    }
}
