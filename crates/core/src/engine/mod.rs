//! The engine: everything that makes a clinic's store a store — and nothing about what
//! a clinic records. The store and its keys, migrations, the injected clock and ids,
//! the change log (clocks, cells, changesets, merge), the two doors (`write::Tx`,
//! `read::Rx`) and the permission table they check (`roles`), the audit log and the
//! hash chains, signing, the membership log and authority, sealed envelopes and sync.
//!
//! The rule (test `the_engine_knows_no_domain_module`, tests/tidy): no file here names a
//! domain module (`crate::services`, and `demo`, `import`, `search` within it), and
//! none names a clinical table in its SQL except through `schema`'s constants (one
//! listed exception: `cells`, where a signature freezes an encounter on every device).
//! The domain services (`crate::services`) sit above and use the engine only through
//! `Tx`, `Rx`, `Store` and `schema`; what they keep beside their rows is a derived
//! index (`derived`) the crate's root wires in.

pub mod audit;
pub mod authority;
pub(crate) mod cells;
pub mod chains;
pub mod changes;
pub mod clinic_keys;
pub(crate) mod derived;
pub(crate) mod device_key;
pub mod enrollment_proof;
pub mod envelope;
pub(crate) mod error;
pub mod export;
pub mod hlc;
pub mod key_epochs;
pub mod keys;
pub mod members;
pub mod merge;
pub(crate) mod migrations;
pub mod missing;
pub(crate) mod read;
pub mod roles;
pub mod schema;
pub mod second_factor;
pub mod server_address;
pub mod signing;
pub mod sources;
pub(crate) mod sql;
pub(crate) mod store;
pub mod stored;
pub mod sync;
pub mod sync_engine;
pub mod sync_http;
pub mod validate;
pub mod write;
