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
//!
//! ## How the store and its services work
//!
//! `Store` opens one SQLCipher database per data directory (`vetdesk.db`), keyed with a
//! random 256-bit key. `keys` decides where that key lives: the OS keyring (service
//! `vetdesk`, a random account per store, named in `vetdesk-key.json`), or — where no keyring
//! works — wrapped with XChaCha20-Poly1305 under an Argon2id-derived key from a passphrase
//! (parameters, salt, nonce and wrapped key in `vetdesk-key.json`). `migrations` embeds
//! `migrations/local/NN-name/up.sql` (include_dir) and applies them with
//! `rusqlite_migration` in one transaction, version in `PRAGMA user_version`; a newer
//! database is refused (`Error::DatabaseTooNew`). One `Error` enum (thiserror) with a
//! message a person can act on; field errors are `Invalid { field, message }`.
//!
//! The records (issue 3), file by file:
//!
//! | module | what it is |
//! |---|---|
//! | `sources` | the injected wall clock (`TimeSource`: system, or `ManualClock` in tests and the demo) and id source (random UUIDv7, or seeded) — core never reads the clock itself |
//! | `hlc` | the hybrid logical clock, pure: 16 bytes big-endian so byte order is time order; `Clock::tick` / `observe` (refuses a remote clock beyond a bound, leaving the clock unchanged) |
//! | `roles` | `Role` (admin, vet, nurse, front desk; a person may hold several), `Permission`, the whole policy in one `grants` table, `Actor` (the signed-in staff member) |
//! | `schema` | the synced tables as merge sees them: merge kind, column types, which columns are clinical text, which a signature freezes. Remote changes naming anything else are quarantined; every dynamic statement takes its names from here |
//! | `changes` | pure data: `Value`, `Change { table, row, op: Insert / Set { column, value, base } / Delete }`, `Changeset { device, seq, schema_version, hlc, author, changes }` (postcard + LZ4, body format 2; format-1 bodies without an author still decode), and the merge rule `newer` |
//! | `sql` | sea-query builders for the statements whose table/column vary, cached as text |
//! | `cells` | one cell with its clock: read, write, insert, clinical-text history, signature materialisation — shared by local writes and merges so both follow one rule set |
//! | `write` | `Tx`: one local transaction. Ticks the HLC once, writes rows + change records (flushed into changesets of ≤ 1,000 changes with a gap-free `seq`) + audit events + search index + persisted clock/seq/audit head, then commits — or nothing |
//! | `merge` | `apply(signed changesets)`: idempotent, order-independent; checks each signer against the membership log first, then each change's authority (`authority`'s module doc: "Trust between devices"); holds changesets whose clock is too far ahead (and reports the skew); sets aside, change by change, whatever it cannot apply (`merge`'s module doc: "One bad change never stops anything") and retries it after an upgrade |
//! | `audit` | per-device SHA-256 hash chain (each event holds the previous one's hash), each event signed by its device; `verify` finds changed, missing, reordered or forged events |
//! | `chains` | the one module under both per-device hash chains (audit log, controlled-drug register): `entry_hash` (tag, device, index, predecessor, fields — each length-prefixed), `hashed_columns` (each chain's hashed columns in order; `entry_hash_by_column` hashes an entry held as column values, as `merge`'s re-chaining does), `GENESIS` (32 zero bytes before every chain's first entry; register chains begun before local migration 20 held none and still verify, `links`), `head` (a device's next index and predecessor, read from the chain's own table for both), and `check`: index, predecessor, hash, and each entry's signature against its device's key (`Signers`: this device and the membership log); the rule for entries from before chain signatures. Tests: `both_chains_are_checked_by_one_rule` (a case table), `entry_hashes_are_those_the_chains_were_written_with` (golden hashes) |
//! | `search`, `search_index` | FTS5 (`unicode61 remove_diacritics 2`, prefix indexes 2 and 3, no per-row sizes) over clients (names, phone — also as digits only — the email's mailbox) and patients (name, microchip, owners' surnames); ranked in Rust (`search::score`) over at most 1,500 candidates per index |
//! | `read` | the read door: `Rx` (actor, time, device, one SQLite read transaction) from `Store::read(&actor, \|rx\| ..)` or, inside a write, `Tx::read()`. Every public read is a method on `Rx` whose first line states its permission (`self.require(..)`); a refusal is `Forbidden`, audited as a refused write is. Enforced by the tidy test `every_public_read_goes_through_the_door` (which also fails if a shell checks a role itself); tested in `a_refused_read_is_forbidden_and_audited_and_refuses_the_write_around_it` (core), `reads_sign_in_like_writes_and_a_refused_read_is_audited` (CLI) and the front-desk WebDriver test (app) |
//! | `services::{staff, clients, schedule, schedule_setup, encounters}` | typed inputs, validation (`validate`), role checks; writes are methods on `Tx`, reads on `Rx`. `encounters` is a folder (`notes`, `signing`, `prescriptions`, `conflicts`, `chart`, each using only those before it; the same tidy test as billing) |
//! | `services::clinic` | `migrations/local/21-clinic-settings`: the clinic's settings — legal name, address, phone, email, VAT and registration numbers, currency (ISO 4217, two decimals), default VAT, document text and payment terms, language, time zone — as cells of the clinic row; `Rx::clinic_settings` (every role), `Tx::set_clinic_settings` (admins; writes only what changed; audited with the names); each value checked by `schema::clinic_setting_problem` here and in every device's merge |
//! | `services::recordings` | `migrations/local/05-recordings`: recording metadata (synced: encounter, consent or override with its reason, retention end, destroyed-at) and each recording's random key in the local-only `recording_keys` table — never in the change log, so no synced copy or backup can bring it back. Recording needs an owner's recorded consent or an audited override; `destroy_expired_recordings` deletes keys past retention (`secure_delete`), the note stays; `Store::purge_expired_recordings` does that as the system (audited) and then removes the files — the app runs it each time it opens the store, `vetdesk recordings purge` on demand |
//! | `services::scribe` | the scribe's drafts (`migrations/local/04-scribe`: drafts, items, decisions — all append-only, all synced): a draft changes nothing in the record; a vet's decision per item (approve / approve edited / reject; or the whole draft when no dose is flagged) writes the item — vitals, provisional diagnosis, prescription, SOAP words — and records approver, time, model SHA-256, transcript version, override reason and the rows written. A flagged dose needs an override reason or a correction back into range; a medication without dose, unit, route, frequency or duration must be edited first. **Two devices deciding one item offline**: the prescription or diagnosis an approval writes has an id derived from the item (UUIDv5), so two approvals make one row, never a double prescription; decisions that differ make the item's status `conflict` (`item_status`, a pure function of the decisions, identical on every device) until a vet settles it (`settle_draft_item`, migration `06-scribe-settlements`): that decision stands and the derived row is rewritten, cancelled or removed to match. Vitals readings from both stay (append-only facts); SOAP lines added twice show as text conflicts |
//! | `envelope` | sync's end-to-end encryption: seal a signed changeset under the clinic data key (XChaCha20-Poly1305, header as AAD), padded to a PADMÉ size and named by its content id (format 3), open and check it; format-2 envelopes still open, format-1 ones as unsigned |
//! | `server_address` | pure: the sync server's address as a device may use it — `https://` anywhere, plain `http://` only to loopback or, when allowed, to a private/link-local IP (`LanHttp`); the only kind `set_sync_server` stores; `TrustAnchor`, the clinic's own CA (PEM, checked), kept in `sync_state.server_ca` and then the only root every connection to the server trusts (`Store::stored_transport`) |
//! | `enrollment_proof` | pure: the two-part invitation code and its Argon2id invitation key, the new device's introduction and the approving device's signed key grant, sealed under it (`services::enrollment`'s module doc) |
//! | `signing` | pure: a device's Ed25519 signer (and its X25519 form for enrollment), `SignedChangeset` (the exact body and its signature), the self-certifying clinic id of a new clinic (`authority`'s module doc: "Trust between devices") |
//! | `authority` | who may make which change, on every device: `need` (the permission a change needs, pure), `judge` (against the author as of the change), `system_may` (the store's own acts), `check_snapshot`, each refusal a typed `Refusal` whose sentence the set-aside change keeps; `Checker` reads and extends the role history per transaction (`authority`'s module doc: "Trust between devices") |
//! | `members` | the clinic's membership log (`device_members`): found, approve (with `manages`), revoke; `managing_devices` (the founder and those a managing device approved as managing; only their approvals and revocations count); the standing of a changeset's signer (member, waiting, refused), asked by merge before it applies anything, and the rule for a fact arriving in a changeset (the store-facing `admit_device`, `record_revocation` and `members` are in `services::devices`) |
//! | `sync`, `sync_http` | one sync round over a `Transport` (HTTP: `sync_http::HttpTransport`, ureq, blocking): fetch again the envelopes that did not open before; pull pages, open, apply in bounded parts with the cursor in the same transaction as the last, keep unopenable envelopes aside, stop before uploading if this device's key is wrong; then push sealed pending changesets and store the acknowledged seq (the leading run the server holds, never its word for more); a seq the server holds another changeset under (a restored or copied data folder) moves the unsent changesets after the server's and re-chains their audit and controlled-register entries after the earlier life's (`merge::renumber_unsent`), while the earlier life's own changesets pulled back are applied like another device's. Sync state, clinic keys and the device token live in the encrypted store (`migrations/local/03-sync`). The CLI drives it (`vetdesk sync setup|status`, `vetdesk sync [--watch]`, `vetdesk devices …`, `vetdesk enroll`). A 429/502/503/504 is `SyncError::Unavailable` (retry), other refusals `Refused`. `sync_http::sync_with_stored_server` is the round with this device's stored server and token (engine, CLI, tests) |
//! | `missing` | changesets the server skipped: the server stores each device's changesets without gaps, so a hole below another device's highest applied seq (not applied, held, set aside, refused or unopened) means it withheld some; a round then pulls everything again (at most hourly) and reports what is still missing |
//! | `sync_engine` | the background engine the app and `sync --watch` run: rounds on its own thread and its own connection to the store (`Store::another_connection`; every write transaction is `BEGIN IMMEDIATE`, so two connections queue instead of failing), woken by the server's notify stream (and by each reconnection of it, which may have missed announcements), by any write committed on another connection to the store that leaves changesets to push — the app's, or another `vetdesk` process (it reads `PRAGMA data_version` every 250 ms, so no command has to remember; test `engine::a_write_reaches_the_other_device_through_the_running_engines_well_before_the_timer`) — by `sync_now` (the "sync now" button), or by its timer; failed rounds retried after `retry_delay` (pure: doubling from 2 s to 5 min, equal jitter). `status()` is what the status bar shows: online, syncing, pending, last success, last error, clock-skew warning |
//! | `services::enrollment` | a new device joining its clinic: `Enrollment::validated` (server address, one-time code, device name — each refusal names its field), `Store::enroll` (a store for the nil clinic, enrolled at the server with the invitation code's server part, this device's public key and its introduction sealed under the invitation key; the whole attempt — token, server, invitation key, name — kept in that store before it is sent, the introduction's nonce derived from what it seals, so after a lost answer, a crash or a kill the same call resends the same bytes; the server's answer taken in one transaction (`finish_enrollment`); until then `Store::open` says `Error::EnrollmentUnfinished` (the app's first-run screen again), another code or `Store::create` replaces the attempt, a refusal removes database and key), `fetch_clinic_key_if_missing` (the first round after approval checks the key grant — from the inviting device, for this clinic, device and key — and keeps the clinic key it carries, `accept_key_grant`; `SyncError::AwaitingApproval` until then, which the engine asks again every 5 s without backing off). `vetdesk enroll` and the app's first-run screen both call these |
//! | `services::sync_setup` | `Store::set_up_sync` (admins): the clinic key, then the clinic registered with a token made and kept here first (`sync_state.setup_token`), so a lost answer or a kill leaves a request to send again as it was, answered the same; `vetdesk sync setup` calls it |
//! | `services::second_factor` | `migrations/local/19-second-factor`: a staff member's authenticator (`begin_second_factor` — secret and QR, nothing stored; `finish_second_factor` — stored once its first code checks, recovery codes returned once), `confirm_second_factor` (a code, each step once, or a recovery code, each once; five wrong ones pause it), `end_second_factor_window`, `reset_second_factor` (an admin act), and `require_second_factor`, which every admin act asks; the CLI's `vetdesk auth` and the app's Owner → Staff (and its code dialog) call these |
//! | `services::devices` | the clinic's devices as an admin manages them from a device that manages them (`manages_devices`; requests signed with `management_signer`, counters reserved ahead in `sync_state.management_counter`): `clinic_devices` (the server's list, this device marked), `invite_device` (a two-part invitation: the server's code and a secret part made here; the invitation key kept in `device_invitations`), `approve_device` (only on the inviting device, only when the pending device's introduction holds and the admin gives the fingerprint the new device shows; then the key grant, signed here, goes to the server; each pending device listed with `PendingProof` verified / invited elsewhere / tampered / unproven), `revoke_device`; the admin role and the admin's second factor are checked in core (the server cannot see roles) and each act is audited; the CLI's `vetdesk devices` and the app's Owner → Devices both call these |
//! | `device_key` | this device's secret (an Ed25519 seed, in the OS keyring, or in the encrypted store where the store's key is not in a keyring): its signer, its public key, and sealing every clinic key (a `key_epochs` bundle) to a new device / opening the one sealed to it (`crypto_box` sealed boxes to the X25519 form of the signing key) |
//! | `key_epochs`, `clinic_keys` | key rotation on revoke: the pure grant and bundle format and epoch ids (`key_epochs`); the store side (`clinic_keys`): `start_key_epoch`, the `key_grants_out` queue sent each round, taking the server's grants from known makers, `sealing_key` (the newest key whose epoch left out every device the log shows revoked; migration 15 keeps each key's `excluded` devices) and `rotate_if_outdated` (a revoking device whose epoch a concurrent revocation outdated makes another) |
//! | `stored` | reading values back out of the store's own rows under one policy: an id that does not parse was damaged and is `Error::DamagedValue` naming it (`id`, `optional_id`; `row_id`, `row_optional_id` inside row closures, carried out through rusqlite), never a nil id or a dropped row; IPC code `damaged`. Test: `a_damaged_stored_id_is_reported_as_damage_not_read_as_a_nil_id` |
//! | `export` | canonical JSON (tables, rows, columns sorted; no `_hlc`, no PIN hashes or second-factor secrets) and `digest` |
//! | `second_factor` | RFC 6238 codes (`code_at`, `verify` with replay refused), the `otpauth://` address and its QR code, recovery codes and their keyed hashes; pure (the store's side is `services::second_factor`) |
//! | `import` | CSV of clients and patients: every row checked first, bad rows reported by line, good rows written in one transaction |
//! | `services::billing` (a folder: `catalog`, `movement`, `register`, `stock`, `orders`, `documents`, `payments`, `views`, `finalize`, `counter`, `corrections`, `double_finalization`, `day_close`, `prescribing`, `alerts` — each depends only on those before it, none over ~600 lines; test `billing_and_encounter_modules_depend_only_on_earlier_ones`) | stock (`migrations/local/07-billing`): the catalog (SKU, name, kind service/product/drug, unit, net price in cents, VAT rate in basis points, controlled schedule 2–5, reorder level, species dose ranges), lots (number, expiry, unit cost), **append-only movements** (receive, dispense, sell, adjust, write-off, transfer) — stock on hand is their sum, never a stored number, so two registers selling the last vial offline both keep their sale and the merged stock is −1, shown by `stock_alerts` as `Reconcile`; counts (ordinary items adjusted to the count, spread over lots; a controlled drug's count compared with its register, a difference is a `Discrepancy`, not adjusted); the **controlled-drug register**, one entry per movement of a scheduled drug (who, patient, lot, quantity, running balance the writer saw) chained per device by SHA-256 and signed by its device, like the audit log (`verify_controlled_register`). Sales take lots first-expiry-first-out (`vetdesk_billing::fefo`). Local-only tables kept by triggers (`stock_on_hand`, `controlled_balance`, `number_series`) make on hand, a register's balance and the next number — of invoices, patients and purchase orders — one lookup however long the history; they fire for local writes and merged rows alike and are never synced |
//! | `services::billing` (documents) | estimates, invoices and credit notes: drafts whose lines merge per column (two devices editing one draft offline keep both lines and the latest quantity); `finalize_invoice` computes totals (`vetdesk_billing::money`), gives this register's next number (`numbering`: the series is the device's code, so registers never collide offline), takes stock, dispenses controlled drugs into the register (vets and nurses only), and freezes lines and totals as canonical JSON with its SHA-256 — a finalized document is what was printed, edits arriving later only set `late_edits`. Payments and refunds are facts (refunds, voids and credit notes: admins); a client's `statement` and balance are derived; `close_register` keeps a numbered Z report per register and day. Prescribing drafts the line on the visit's invoice (ids derived from the encounter and the prescription, so two devices draft one invoice) and the draft reserves the stock; amending or cancelling the prescription follows on the draft. `label_texts` are an invoice's medication labels' words (the documents crate draws them). Each finalization is also a fact (`invoice_finalizations`): one draft finalized on two registers offline keeps two numbers and took its stock twice, so `stock_alerts` shows `FinalizedTwice` until an admin settles it (`settle_double_finalization`: the number the document shows stands, the other register's stock goes back, a `finalization_settlements` fact records it) |
//! | `services::reports` | revenue by day, vet or category (net, from finalized snapshots with SQLite's JSON functions: credit notes negative, voids out), stock valuation at cost, expiring lots, the reorder list, the controlled register; each a `Report` printed as a table or RFC 4180 CSV |
//! | `demo` | deterministic synthetic clinic through the real services, with a year of billing: a catalog and stock, each past visit invoiced at the end of its day by its vet (prescriptions drafted their lines), mostly paid, each day's register closed |
//!
//! Service calls run as `store.transact(&actor, |tx| tx.book(&input))`; a batch (an
//! import, the demo) is many calls in one `transact`. A refusal for want of a role
//! (`Error::Forbidden`) rolls the transaction back and is then audited in its own
//! transaction. Reads run as `store.read(&actor, |rx| rx.invoice(id))` and are refused
//! and audited the same way: every role sees clients, patients, the schedule, colleagues,
//! rooms and the catalog (`ViewClients`, `ViewClinic`, `Schedule`); clinical notes need
//! `ReadClinical`, invoices `Bill`, the audit log `ViewAudit`. The CLI's read commands
//! sign in like its writes. Staff switch by PIN (`Store::sign_in`, Argon2id 19 MiB/t=2 **keyed with the clinic's
//! PIN secret** — Argon2's secret input, derived from the clinic's first data key, which
//! every device holds and which is never in the change log, an export or the server — so
//! a copy of the synced staff rows cannot be guessed at offline; hashes made before are
//! marked `k1$` when keyed and replaced at the person's next sign-in; a new clinic's first
//! data key is made with its store, an older single-device store's at its next opening).
//! A wrong PIN is audited, and five in a row pause that person's sign-in on the device for
//! five minutes, counted in the local-only `pin_failures` (cleared by a sign-in there), so
//! no synced audit event can reset a pause or force one. The app re-reads the signed-in
//! person's roles on every command (`Store::refresh_actor`): a demotion made on another
//! device takes effect at once, a deactivation ends the session.
//!
//! **Admin acts need a second factor** (`second_factor` pure, `services::second_factor` in
//! the store): adding staff, changing roles, resetting another's PIN or authenticator,
//! deactivating staff, and inviting, approving and revoking devices (`Tx::require_second_factor`,
//! `Store::require_second_factor`, asked after the permission check, in core). Each staff
//! member may enroll an authenticator app: a 160-bit secret shown as an `otpauth://` QR code
//! (SVG for the app, block characters for the terminal), stored only once a first code
//! proves it was scanned, with ten single-use recovery codes (60 bits each, Crockford base
//! 32) shown once and kept as SHA-256 hashes keyed with the clinic's PIN secret. Codes are
//! RFC 6238 (HMAC-SHA1, six digits, 30-second steps, one step of skew, compared in constant
//! time); each is taken once — a step must be later than the last accepted one, kept in
//! the synced `staff.totp_last_step`, so a code used on one device is spent on the others
//! once they sync. A confirmation stands for five minutes on that device only
//! (local `second_factor_windows`), ends when someone else signs in there or the person
//! signs out, and five wrong codes pause confirming as wrong PINs pause sign-in (local
//! `second_factor_failures`). Enrolling, confirming, each wrong code, each recovery code used
//! (with how many are left) and each reset are audited. The secret and the hashes are
//! synced in the staff row like the PIN hash (`SelfOr(ManageStaff)` in `authority`; never
//! in an export; end-to-end encrypted, so the server never sees them); replacing one's
//! authenticator needs the old one (or a recovery code) first, so a PIN alone cannot swap
//! in another phone; an admin resets a lost one. What this guards is the person at the
//! keyboard — a PIN seen over a shoulder no longer admits a device or makes an admin. A
//! compromised *device* holds the secrets as it holds the PIN hashes; that boundary is the
//! membership log and the managing devices below. Two devices that book the same slot offline both keep their booking; the
//! double booking shows in `Rx::booking_clashes` (and `vetdesk appt list`).

pub mod engine;
pub mod services;

// The engine's modules at the crate's root, where every path names them.
pub use engine::{
    audit, authority, chains, changes, clinic_keys, enrollment_proof, envelope, export, hlc,
    key_epochs, keys, members, merge, missing, roles, schema, second_factor, server_address,
    signing, sources, stored, sync, sync_engine, sync_http, validate, write,
};
pub(crate) use engine::{cells, error, migrations, read, sql, store};
pub use services::{demo, import, search};

/// The domain's derived indexes, kept by the engine in every write's and merge's
/// transaction (`engine::derived`): today the client and patient search index.
pub(crate) fn derived_indexes() -> Vec<Box<dyn engine::derived::DerivedIndex>> {
    vec![Box::new(services::search_index::Dirty::default())]
}

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
