//! Turning a transcript into a SOAP draft, as pure functions: no I/O, no clock, no model.
//! Everything here is tested by case tables and runs in microseconds.
//!
//! - [`numbers`]: numbers said in words ("thirty nine point two", "twice daily") read
//!   as numbers, and a transcript normalised so that spoken and written numbers compare.

pub mod numbers;
