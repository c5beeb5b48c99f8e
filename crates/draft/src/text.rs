//! The transcript as extraction sees it: words with their place in the transcript
//! (segment, character range) and in the audio, split into sentences. Every drafted
//! item points back through these positions to what was said, and when.

use serde::{Deserialize, Serialize};

/// One timestamped stretch of transcript (as the transcriber produced it).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// Where a drafted item came from: the words in the transcript, and the audio time.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub segment: usize,
    /// Byte range in that segment's text.
    pub start: usize,
    pub end: usize,
    /// The words themselves, as transcribed.
    pub quote: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

/// A word: lowercase letters and digits (a decimal point kept), with its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub segment: usize,
    pub start: usize,
    pub end: usize,
    /// A sentence ends after this word.
    pub ends_sentence: bool,
}

/// The words of all segments, in order.
pub fn words(segments: &[Segment]) -> Vec<Word> {
    let mut out = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let text = &segment.text;
        let mut start = None;
        let bytes: Vec<(usize, char)> = text.char_indices().collect();
        for (k, &(i, c)) in bytes.iter().enumerate() {
            let next = bytes.get(k + 1).map(|&(_, n)| n);
            // A '.' between digits is a decimal point; '-' and '/' split words.
            let decimal = c == '.'
                && start.is_some()
                && k > 0
                && bytes[k - 1].1.is_ascii_digit()
                && next.is_some_and(|n| n.is_ascii_digit());
            let part = c.is_alphanumeric() || c == '\'' || decimal;
            // Letters and digits run together ("Meloxicam0.4", "4.2kg") are two words.
            let previous = k.checked_sub(1).map(|p| bytes[p].1);
            let switches = previous.is_some_and(|p| {
                (p.is_alphabetic() && c.is_ascii_digit())
                    || (p.is_ascii_digit() && c.is_alphabetic())
            });
            if part
                && switches
                && let Some(s) = start
            {
                push_word(&mut out, index, text, s, i, ' ');
                start = Some(i);
                continue;
            }
            match (part, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    push_word(&mut out, index, text, s, i, c);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            push_word(&mut out, index, text, s, text.len(), ' ');
        }
        // A segment boundary is a sentence boundary only if it ends with punctuation.
        if let Some(last) = out.last_mut()
            && last.segment == index
            && text.trim_end().ends_with(['.', '!', '?'])
        {
            last.ends_sentence = true;
        }
    }
    out
}

fn push_word(
    out: &mut Vec<Word>,
    segment: usize,
    text: &str,
    start: usize,
    end: usize,
    after: char,
) {
    let raw = &text[start..end];
    let cleaned: String = raw
        .chars()
        .filter(|c| *c != '\'')
        .collect::<String>()
        .to_lowercase();
    if cleaned.is_empty() {
        return;
    }
    out.push(Word {
        text: cleaned,
        segment,
        start,
        end,
        ends_sentence: matches!(after, '.' | '!' | '?' | ';'),
    });
}

/// Sentences as ranges of word indices.
pub fn sentences(words: &[Word]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, w) in words.iter().enumerate() {
        if w.ends_sentence {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < words.len() {
        out.push(start..words.len());
    }
    out
}

/// The evidence for words `range` (within one segment or across several: it then
/// starts in the first and the quote covers the first segment's part).
pub fn evidence(segments: &[Segment], words: &[Word], range: std::ops::Range<usize>) -> Evidence {
    let first = &words[range.start];
    let last = &words[range.end.saturating_sub(1).max(range.start)];
    let segment = &segments[first.segment];
    let end = if last.segment == first.segment {
        last.end
    } else {
        segment.text.len()
    };
    let end_segment = &segments[last.segment];
    Evidence {
        segment: first.segment,
        start: first.start,
        end,
        quote: segment.text[first.start..end].to_string(),
        start_ms: time_at(segment, first.start),
        end_ms: time_at(end_segment, last.end),
    }
}

/// The audio time of byte `at` of a segment, spread evenly over the segment's words.
fn time_at(segment: &Segment, at: usize) -> u64 {
    let len = segment.text.len().max(1) as u64;
    let span = segment.end_ms.saturating_sub(segment.start_ms);
    segment.start_ms + span * (at.min(segment.text.len()) as u64) / len
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(text: &str, start_ms: u64, end_ms: u64) -> Segment {
        Segment {
            start_ms,
            end_ms,
            text: text.into(),
        }
    }

    #[test]
    fn words_keep_decimals_split_hyphens_and_know_their_place() {
        let segments = [seg(
            "Temp 38.9 today. A four-year-old dog's ear",
            1000,
            3000,
        )];
        let w = words(&segments);
        let texts: Vec<&str> = w.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "temp", "38.9", "today", "a", "four", "year", "old", "dogs", "ear"
            ]
        );
        assert!(w[2].ends_sentence && !w[1].ends_sentence);
        assert_eq!(&segments[0].text[w[1].start..w[1].end], "38.9");
        assert_eq!(sentences(&w), [0..3, 3..9]);
        let e = evidence(&segments, &w, 0..2);
        assert_eq!(e.quote, "Temp 38.9");
        assert_eq!((e.start_ms, e.segment), (1000, 0));
        assert!(e.end_ms > e.start_ms && e.end_ms < 3000);
    }

    #[test]
    fn letters_and_digits_run_together_are_split() {
        let segments = [seg("Meloxicam0.4 milligrams, 4.2kg", 0, 1000)];
        let w: Vec<String> = words(&segments).into_iter().map(|w| w.text).collect();
        assert_eq!(w, ["meloxicam", "0.4", "milligrams", "4.2", "kg"]);
    }

    #[test]
    fn a_sentence_can_run_across_segments() {
        let segments = [seg("Weight is", 0, 1000), seg("12 kilograms.", 1000, 2000)];
        let w = words(&segments);
        assert_eq!(sentences(&w).len(), 1);
        assert_eq!(sentences(&w)[0], 0..4);
        let e = evidence(&segments, &w, 0..4);
        assert_eq!((e.quote.as_str(), e.end_ms > 1000), ("Weight is", true));
    }
}
