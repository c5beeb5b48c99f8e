//! Turning a transcript into a SOAP draft, as pure functions: no I/O, no clock, no model.
//! Everything here is tested by case tables and runs in microseconds.
//!
//! - [`numbers`]: numbers said in words ("thirty nine point two", "twice daily") read
//!   as numbers, and a transcript normalised so that spoken and written numbers compare.
//! - [`text`]: the transcript as words and sentences that remember where they were said.
//! - [`extract`]: the draft — signalment, vitals, problems, medications checked against
//!   the formulary's dose ranges, follow-up, discharge — every item with its evidence.
//! - [`formulary`]: a starter formulary of common drugs and dose ranges.
//!
//! ## How extraction works
//!
//! `numbers` (spoken numbers: "thirty nine point two", "two and a half", "a hundred";
//! `normalise` so spoken and written numbers compare — also what the WER in tests uses);
//! `text` (words and sentences that keep their segment, byte range and audio time);
//! `extract` (signalment, vitals with units normalised, problems, medications matched to
//! the formulary — exactly, or "heard as" by letters or consonant skeleton, flagged — with
//! dose, unit, route, frequency, duration and a per-species mg/kg range check that marks
//! out-of-range doses as needing an override; follow-up; discharge; nothing without
//! words to support it); `formulary::starter` (common drugs and dose ranges until the
//! inventory holds the clinic's own). Tested by case tables. Builds with `WHISPER_DONT_GENERATE_BINDINGS=1` (set in
//! `.cargo/config.toml`), so no libclang is needed.

pub mod extract;
pub mod formulary;
pub mod numbers;
pub mod text;
