//! The clinic's services: typed inputs, validation with field-level messages, role
//! checks, and one transaction per call ([`crate::Store::transact`]) that writes the
//! rows, their changes and the audit event together.
//!
//! Writes are methods on [`crate::write::Tx`]; reads are methods on [`crate::Rx`], the
//! read door. Billing is a folder of its own (`billing`).

pub mod billing;
pub mod clients;
pub mod devices;
pub mod encounters;
pub mod enrollment;
pub mod recordings;
pub mod reports;
pub mod schedule;
pub mod scribe;
pub mod second_factor;
pub mod staff;
pub mod sync_setup;
