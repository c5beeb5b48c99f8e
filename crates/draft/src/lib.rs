//! Turning a transcript into a SOAP draft, as pure functions: no I/O, no clock, no model.
//! Everything here is tested by case tables and runs in microseconds.
//!
//! - [`numbers`]: numbers said in words ("thirty nine point two", "twice daily") read
//!   as numbers, and a transcript normalised so that spoken and written numbers compare.
//! - [`text`]: the transcript as words and sentences that remember where they were said.
//! - [`extract`]: the draft — signalment, vitals, problems, medications checked against
//!   the formulary's dose ranges, follow-up, discharge — every item with its evidence.
//! - [`formulary`]: a starter formulary of common drugs and dose ranges.

pub mod extract;
pub mod formulary;
pub mod numbers;
pub mod text;
