//! The clinic's services: typed inputs, validation with field-level messages, role
//! checks, and one transaction per call ([`crate::Store::transact`]) that writes the
//! rows, their changes and the audit event together.
//!
//! Writes are methods on [`crate::write::Tx`]; reads are methods on [`crate::Rx`], the
//! read door. Billing is a folder of its own (`billing`). Beside the services: `search`
//! (clients and patients as you type), `import` (clients from CSV) and `demo` (a
//! synthetic clinic through the real services). Everything here uses the engine
//! (`crate::engine`) only through `Tx`, `Rx`, `Store` and `schema`.

pub mod billing;
pub mod clients;
pub mod clinic;
pub mod demo;
pub mod devices;
pub mod encounters;
pub mod enrollment;
pub mod import;
pub mod recordings;
pub mod reports;
pub mod schedule;
pub mod schedule_setup;
pub mod scribe;
pub mod search;
pub(crate) mod search_index;
pub mod second_factor;
pub mod staff;
pub mod sync_setup;
