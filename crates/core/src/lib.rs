//! Vetdesk's core: the clinic's encrypted local store and the services over it.
//!
//! Nothing here knows about windows, HTTP servers or microphones, so all of it builds
//! and tests headless and fast. The key types:
//!
//! - [`Store`]: an open SQLCipher database in a data directory, created with
//!   [`Store::create`] and opened with [`Store::open`].
//! - [`KeyProtection`] / [`Unlock`]: where the store's random 256-bit key is kept (the
//!   OS keyring, or wrapped under an Argon2id passphrase) and how a caller unlocks it.
//! - [`Error`]: every failure, typed, with a message a clinic's staff can act on.
//! - [`hlc`]: hybrid logical clocks, the order of every change (pure; time passed in).
//! - [`Store::transact`] / [`Tx`] and [`Store::read`] / [`Rx`]: one transaction per
//!   service call; the services ([`services`]) are methods on `Tx` (writes) and `Rx`
//!   (reads), each checked against the [`roles`] policy and refusals audited.
//! - [`changes`] / [`merge`]: the change log (changesets with a gap-free per-device
//!   seq) and how other devices' changesets are applied: idempotent, order-independent.
//! - [`signing`] / [`members`]: every changeset signed by its device, and the clinic's
//!   membership log that says whose signatures count.
//!
//! ```ignore
//! let store = Store::create(dir, "Riverside Vets", KeyProtection::Keyring, now)?;
//! assert_eq!(store.status()?.clinic_name, "Riverside Vets");
//! ```

pub mod audit;
pub mod authority;
mod cells;
pub mod chains;
pub mod changes;
pub mod clinic_keys;
pub mod demo;
mod device_key;
pub mod enrollment_proof;
pub mod envelope;
mod error;
pub mod export;
pub mod hlc;
pub mod import;
pub mod key_epochs;
pub mod keys;
pub mod members;
pub mod merge;
mod migrations;
pub mod missing;
mod read;
pub mod roles;
pub mod schema;
pub mod search;
mod search_index;
pub mod second_factor;
pub mod server_address;
pub mod services;
pub mod signing;
pub mod sources;
mod sql;
mod store;
pub mod stored;
pub mod sync;
pub mod sync_engine;
pub mod sync_http;
pub mod validate;
pub mod write;

pub use changes::{Change, Changeset, Op, Value};
pub use error::{Error, Result};
pub use keys::{KeyKind, KeyProtection, Unlock};
pub use merge::{ApplyReport, SkewReport};
pub use migrations::SCHEMA_VERSION;
pub use read::Rx;
pub use roles::{Actor, Permission, Role, Roles};
pub use signing::SignedChangeset;
pub use store::{DB_FILE_NAME, Store, StoreStatus};
pub use write::Tx;

/// Where the app and the CLI keep the clinic's data when no `--data-dir` /
/// `VETDESK_DATA_DIR` is given: `$XDG_DATA_HOME/vetdesk` on Linux.
pub fn default_data_dir() -> Option<std::path::PathBuf> {
    dirs::data_dir().map(|d| d.join("vetdesk"))
}
