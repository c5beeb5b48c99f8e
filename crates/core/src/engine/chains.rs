//! The per-device hash chains — the audit log and the controlled-drug register — in one
//! place: how an entry is hashed ([`entry_hash`]), what the first entry holds as the
//! hash before it ([`GENESIS`], the same for both), where a device's next entry goes
//! ([`head`], read from the chain's own table for both), and how every chain and the
//! signatures that cover it are checked ([`check`]).
//!
//! Each device appends to its own chain: entry n holds the hash of entry n−1, so a
//! changed, removed or reordered entry breaks it; and each entry is signed with its
//! device's key (`signing::Chain`), so no other device can make up a chain for a device
//! or add to the end of one: merge refuses an entry that names a device other than the
//! one that signed its changeset (`schema::Column::names_device`), and [`check`] finds
//! one that got in any other way. The rule for entries written before chain signatures
//! (they carry none) is stated once, in [`check`].
//!
//! Pure apart from [`Signers::of`], which reads the membership log.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Result;
use crate::audit::{ChainProblem, Verification};
use crate::members;
use crate::signing::{self, Chain};

/// What the first entry of every chain holds as the hash before it.
pub const GENESIS: [u8; 32] = [0; 32];

/// The table a chain's entries live in (named by `schema`).
pub(crate) fn table_of(chain: Chain) -> &'static str {
    match chain {
        Chain::Audit => crate::schema::AUDIT_EVENTS.name,
        Chain::ControlledRegister => crate::schema::CONTROLLED_REGISTER.name,
    }
}

/// The tag an entry's hash starts with (kept as the chains were first written).
fn tag_of(chain: Chain) -> &'static [u8] {
    match chain {
        Chain::Audit => b"vetdesk-audit-v1",
        Chain::ControlledRegister => b"vetdesk-controlled-register-v1",
    }
}

/// Whether `prev`, held by entry `index` of a `chain` whose entry before holds
/// `expected` (the genesis for the first), links it. One exception, for history: the
/// first register entries written before the two chains shared [`GENESIS`] (local
/// migration 20) held no bytes; they are still accepted there, and nowhere else.
fn links(chain: Chain, index: i64, expected: &[u8], prev: &[u8]) -> bool {
    prev == expected || (index == 0 && chain == Chain::ControlledRegister && prev.is_empty())
}

/// One field an entry's hash covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    Text(&'a str),
    Int(i64),
}

/// An entry's hash: SHA-256 over the chain's tag, the device, the entry's index, the
/// hash before it and the entry's own fields in order, each length-prefixed (so no two
/// field lists collide). Pure.
pub fn entry_hash(
    chain: Chain,
    device_id: &str,
    index: i64,
    prev_hash: &[u8],
    fields: &[Field<'_>],
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut put = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    put(tag_of(chain));
    put(device_id.as_bytes());
    put(&index.to_be_bytes());
    put(prev_hash);
    for field in fields {
        match field {
            Field::Text(text) => put(text.as_bytes()),
            Field::Int(number) => put(&number.to_be_bytes()),
        }
    }
    hasher.finalize().into()
}

/// Whether a hashed column holds text or an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int,
}

/// The columns an entry's hash covers after its device, index and predecessor, in
/// order: what `audit::event_hash` and `stock::register_entry_hash` take as fields, for
/// code that has an entry as column values (re-chaining unsent entries in `merge`).
pub(crate) fn hashed_columns(chain: Chain) -> &'static [(&'static str, Kind)] {
    use Kind::{Int, Text};
    match chain {
        Chain::Audit => &[
            ("actor_id", Text),
            ("action", Text),
            ("entity", Text),
            ("entity_id", Text),
            ("at", Text),
            ("detail", Text),
        ],
        Chain::ControlledRegister => &[
            ("item_id", Text),
            ("lot_id", Text),
            ("patient_id", Text),
            ("movement_id", Text),
            ("kind", Text),
            ("quantity_milli", Int),
            ("balance_milli", Int),
            ("recorded_by", Text),
            ("recorded_at", Text),
            ("note", Text),
        ],
    }
}

/// An entry's hash at `index` after `prev`, its columns read by name with `text` and
/// `int` (a missing or NULL text is empty, a missing integer 0) in [`hashed_columns`]' order.
pub(crate) fn entry_hash_by_column(
    chain: Chain,
    device_id: &str,
    index: i64,
    prev_hash: &[u8],
    text: impl Fn(&str) -> String,
    int: impl Fn(&str) -> i64,
) -> [u8; 32] {
    let columns = hashed_columns(chain);
    let texts: Vec<String> = columns
        .iter()
        .map(|(name, kind)| match kind {
            Kind::Text => text(name),
            Kind::Int => String::new(),
        })
        .collect();
    let fields: Vec<Field<'_>> = columns
        .iter()
        .zip(&texts)
        .map(|((name, kind), text)| match kind {
            Kind::Text => Field::Text(text),
            Kind::Int => Field::Int(int(name)),
        })
        .collect();
    entry_hash(chain, device_id, index, prev_hash, &fields)
}

/// Where `device`'s next entry of a chain goes: its index, and the hash it holds as the
/// one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub index: i64,
    pub prev_hash: Vec<u8>,
}

/// `device`'s head of `chain`, after its newest entry in the chain's table (the
/// genesis when it has none). One indexed look-up, `(device_id, chain_index)`.
pub(crate) fn head(conn: &Connection, chain: Chain, device: &str) -> Result<Head> {
    let newest: Option<(i64, Vec<u8>)> = conn
        .prepare_cached(&format!(
            "SELECT chain_index, hash FROM {} WHERE device_id = ?1
             ORDER BY chain_index DESC LIMIT 1",
            table_of(chain)
        ))?
        .query_row([device], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match newest {
        Some((index, hash)) => Head {
            index: index + 1,
            prev_hash: hash,
        },
        None => Head {
            index: 0,
            prev_hash: GENESIS.to_vec(),
        },
    })
}

/// One entry of a chain as stored, with the hash its fields give now.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub id: String,
    pub device_id: String,
    pub chain_index: i64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    /// The hash recomputed from the entry's fields as they are now.
    pub recomputed: [u8; 32],
    pub signature: Option<Vec<u8>>,
}

/// Whose key checks which device's chain.
#[derive(Debug, Clone, Default)]
pub struct Signers {
    keys: HashMap<String, [u8; 32]>,
    /// The clinic's founding is certified (a self-certifying clinic id): every device
    /// that ever wrote is in its membership log, so a device it does not hold made up
    /// its chain.
    certified: bool,
}

impl Signers {
    /// This device's own key, and every key the clinic's membership log holds.
    pub(crate) fn of(conn: &Connection, clinic: Uuid, own: (Uuid, [u8; 32])) -> Result<Self> {
        let certified = signing::is_self_certifying(clinic);
        let mut keys = HashMap::new();
        let devices: Vec<String> = conn
            .prepare("SELECT DISTINCT device_id FROM device_members")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for device in devices {
            let Ok(id) = Uuid::parse_str(&device) else {
                continue;
            };
            if let Some(record) = members::record_of(conn, id, certified)? {
                keys.insert(device, record.key);
            }
        }
        keys.insert(own.0.to_string(), own.1);
        Ok(Self { keys, certified })
    }

    /// Signers from known keys (tests and benchmarks).
    pub fn from_keys(keys: impl IntoIterator<Item = (Uuid, [u8; 32])>, certified: bool) -> Self {
        Self {
            keys: keys
                .into_iter()
                .map(|(device, key)| (device.to_string(), key))
                .collect(),
            certified,
        }
    }
}

/// Runs `stmt` (rows ordered by device, then index) and checks the chains its rows
/// make, each read into an entry by `entry_of`.
pub(crate) fn check_rows(
    chain: Chain,
    stmt: &mut rusqlite::Statement<'_>,
    entry_of: fn(&rusqlite::Row<'_>) -> rusqlite::Result<Entry>,
    signers: &Signers,
) -> Result<Verification> {
    let mut rows = stmt.query([])?;
    let entries = std::iter::from_fn(|| match rows.next() {
        Ok(Some(row)) => Some(entry_of(row).map_err(Into::into)),
        Ok(None) => None,
        Err(e) => Some(Err(e.into())),
    });
    check(chain, entries, signers)
}

/// Checks every device's chain in `entries`, which come ordered by device, then index.
/// The first entry of a chain holds [`GENESIS`] as the hash before it (see [`links`]).
///
/// Per entry: its index follows the one before (a gap may also be an entry not synced
/// yet), it holds the hash of the entry before, its hash matches its fields, and its
/// signature is its device's. An entry with no signature was written before chain
/// signatures: it is counted in `signer_unchecked` (its hash chain still checked) if no
/// signed entry comes before it in its chain, and is a problem if one does (a tail
/// added by someone else). In a clinic whose founding is certified, an entry of a
/// device the membership log does not hold is a problem; in a clinic made before
/// signed changesets, whose older devices the log may not hold, its signer cannot be
/// checked and it is counted in `signer_unchecked`.
pub(crate) fn check(
    chain: Chain,
    entries: impl Iterator<Item = Result<Entry>>,
    signers: &Signers,
) -> Result<Verification> {
    let mut verification = Verification::default();
    let mut current: Option<String> = None;
    let mut expected_index = 0i64;
    let mut previous_hash = GENESIS.to_vec();
    let mut signed_before = false;
    for entry in entries {
        let entry = entry?;
        if current.as_deref() != Some(entry.device_id.as_str()) {
            current = Some(entry.device_id.clone());
            verification.devices += 1;
            expected_index = 0;
            previous_hash = GENESIS.to_vec();
            signed_before = false;
        }
        verification.events += 1;
        let key = signers.keys.get(&entry.device_id);
        let mut problems = Vec::new();
        if entry.chain_index != expected_index {
            problems.push(format!(
                "expected entry {expected_index} of this device's chain, found {} (an entry is missing, not yet synced, or duplicated)",
                entry.chain_index
            ));
        } else if !links(chain, entry.chain_index, &previous_hash, &entry.prev_hash) {
            problems.push("does not hold the hash of the entry before it".into());
        }
        if entry.recomputed.as_slice() != entry.hash.as_slice() {
            problems
                .push("its contents do not match its hash (changed after it was written)".into());
        }
        match (&entry.signature, key) {
            (Some(signature), Some(key)) => {
                if signing::chain_entry_signed_by(chain, &entry.hash, signature, key) {
                    signed_before = true;
                } else {
                    problems.push(format!(
                        "not signed by device {}'s key: made or changed by someone else",
                        entry.device_id
                    ));
                }
            }
            _ if key.is_none() && signers.certified => problems.push(format!(
                "device {} is not in the clinic's membership log: no member device made this chain",
                entry.device_id
            )),
            (None, _) if signed_before => problems.push(
                "carries no signature, after this device's signed entries: added by someone else"
                    .into(),
            ),
            _ => verification.signer_unchecked += 1,
        }
        verification
            .problems
            .extend(problems.into_iter().map(|problem| ChainProblem {
                device_id: entry.device_id.clone(),
                chain_index: entry.chain_index,
                event_id: entry.id.clone(),
                problem,
            }));
        expected_index = entry.chain_index.saturating_add(1);
        previous_hash = entry.hash;
    }
    Ok(verification)
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::*;
    use crate::signing::DeviceSigner;

    fn signer(seed: u8) -> DeviceSigner {
        DeviceSigner::from_secret(&Zeroizing::new([seed; 32]))
    }

    /// A well-made audit chain of `n` entries for `device`, signed by `by` (None: unsigned).
    fn chain_of(device: Uuid, n: i64, by: Option<&DeviceSigner>) -> Vec<Entry> {
        written(Chain::Audit, device, n, by, &GENESIS)
    }

    fn verify(entries: &[Entry], signers: &Signers) -> Verification {
        check(Chain::Audit, entries.iter().cloned().map(Ok), signers).unwrap_or_default()
    }

    /// A chain of `n` entries of `chain` as the store writes them (`entry_hash`, each
    /// signed by `by`; None: unsigned), its first entry holding `genesis` before it.
    fn written(
        chain: Chain,
        device: Uuid,
        n: i64,
        by: Option<&DeviceSigner>,
        genesis: &[u8],
    ) -> Vec<Entry> {
        let mut previous = genesis.to_vec();
        (0..n)
            .map(|i| {
                let note = format!("entry {i}");
                let fields = [Field::Text(&note), Field::Int(i * 10)];
                let hash = entry_hash(chain, &device.to_string(), i, &previous, &fields);
                Entry {
                    id: format!("{device}-{i}"),
                    device_id: device.to_string(),
                    chain_index: i,
                    prev_hash: std::mem::replace(&mut previous, hash.to_vec()),
                    hash: hash.to_vec(),
                    recomputed: hash,
                    signature: by.map(|s| s.sign_chain_entry(chain, &hash).to_vec()),
                }
            })
            .collect()
    }

    /// Both chains, one rule: each case spoils a well-made chain of four entries one way
    /// and names the entries then at fault (by index), for the audit log and the
    /// controlled-drug register alike.
    #[test]
    fn both_chains_are_checked_by_one_rule() {
        let (a, device) = (signer(1), Uuid::from_u128(0xa));
        let signers = Signers::from_keys([(device, a.public_key())], true);
        type Spoil = fn(&mut Vec<Entry>, Chain);
        let cases: [(&str, Spoil, &[i64]); 8] = [
            ("intact", |_, _| {}, &[]),
            ("a field changed", |e, _| e[1].recomputed = [7; 32], &[1]),
            ("an entry removed", |e, _| drop(e.remove(2)), &[3]),
            (
                "an entry duplicated",
                |e, _| e.insert(2, e[1].clone()),
                &[1],
            ),
            ("two entries swapped", |e, _| e.swap(1, 2), &[2, 1, 3]),
            (
                "the first's hash before it is not the genesis",
                |e, _| e[0].prev_hash = vec![1; 32],
                &[0],
            ),
            (
                "a tail signed by another device",
                |e, chain| {
                    let last = &mut e[3];
                    last.signature =
                        Some(signer(2).sign_chain_entry(chain, &last.recomputed).to_vec());
                },
                &[3],
            ),
            (
                "a tail with no signature",
                |e, _| e[3].signature = None,
                &[3],
            ),
        ];
        for chain in [Chain::Audit, Chain::ControlledRegister] {
            for (case, spoil, at_fault) in cases {
                let mut entries = written(chain, device, 4, Some(&a), &GENESIS);
                spoil(&mut entries, chain);
                let problems: Vec<i64> = verify_chain(chain, &entries, &signers)
                    .problems
                    .iter()
                    .map(|p| p.chain_index)
                    .collect();
                assert_eq!(problems, at_fault, "{chain:?}, {case}");
            }
        }
    }

    /// The hashes are byte for byte those the two hand-written chains made before they
    /// shared this module (computed independently, in Python's hashlib), so every chain
    /// already written still verifies.
    #[test]
    fn entry_hashes_are_those_the_chains_were_written_with() {
        let audit = crate::audit::event_hash(&crate::audit::EventFields {
            device_id: "dev-1",
            chain_index: 3,
            prev_hash: &GENESIS,
            actor_id: "actor",
            action: "client.create",
            entity: "client",
            entity_id: "c-1",
            at: "2026-12-05T10:00:00Z",
            detail: "detail",
        });
        assert_eq!(
            hex::encode(audit),
            "104e303f22d79117615001355e784aa40643cc0281fae7db7e13ab58edb56b9d"
        );
        let register =
            crate::services::billing::register_entry_hash(&crate::services::billing::EntryFields {
                device_id: "dev-1",
                chain_index: 0,
                prev_hash: &[],
                item_id: "item",
                lot_id: "lot",
                patient_id: "pat",
                movement_id: "mov",
                kind: "dispense",
                quantity_milli: -2500,
                balance_milli: 7500,
                recorded_by: "vet",
                recorded_at: "2026-12-05T10:00:00Z",
                note: "note",
            });
        assert_eq!(
            hex::encode(register),
            "44610b60f50a6dd51a7b7edc4840f1ac2adfb6f7c8db71b9b6648788f0faa1f4"
        );
        // The same entries as column values (as re-chaining has them) hash the same.
        let audit_columns = |name: &str| -> String {
            match name {
                "actor_id" => "actor",
                "action" => "client.create",
                "entity" => "client",
                "entity_id" => "c-1",
                "at" => "2026-12-05T10:00:00Z",
                "detail" => "detail",
                _ => "",
            }
            .into()
        };
        let by_column =
            entry_hash_by_column(Chain::Audit, "dev-1", 3, &GENESIS, audit_columns, |_| 0);
        assert_eq!(by_column, audit);
        let register_columns = |name: &str| -> String {
            match name {
                "item_id" => "item",
                "lot_id" => "lot",
                "patient_id" => "pat",
                "movement_id" => "mov",
                "kind" => "dispense",
                "recorded_by" => "vet",
                "recorded_at" => "2026-12-05T10:00:00Z",
                "note" => "note",
                _ => "",
            }
            .into()
        };
        let register_ints = |name: &str| match name {
            "quantity_milli" => -2500,
            "balance_milli" => 7500,
            _ => 0,
        };
        let by_column = entry_hash_by_column(
            Chain::ControlledRegister,
            "dev-1",
            0,
            &[],
            register_columns,
            register_ints,
        );
        assert_eq!(by_column, register);
    }

    /// The one exception to the shared genesis: a register chain begun before it (its
    /// first entry holding no bytes before it) still verifies; an audit chain may not.
    #[test]
    fn only_a_register_begun_before_the_shared_genesis_may_start_with_none() {
        let (a, device) = (signer(1), Uuid::from_u128(0xa));
        let signers = Signers::from_keys([(device, a.public_key())], true);
        let older = written(Chain::ControlledRegister, device, 3, Some(&a), &[]);
        assert!(verify_chain(Chain::ControlledRegister, &older, &signers).is_intact());
        let audit = written(Chain::Audit, device, 3, Some(&a), &[]);
        let problems = verify_chain(Chain::Audit, &audit, &signers).problems;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].chain_index, 0);
        // Nor may a register entry after the first hold none.
        let mut gap = written(Chain::ControlledRegister, device, 3, Some(&a), &GENESIS);
        gap[1].prev_hash = Vec::new();
        assert!(!verify_chain(Chain::ControlledRegister, &gap, &signers).is_intact());
    }

    fn verify_chain(chain: Chain, entries: &[Entry], signers: &Signers) -> Verification {
        check(chain, entries.iter().cloned().map(Ok), signers).unwrap_or_default()
    }

    #[test]
    fn a_signed_chain_of_a_member_is_intact() {
        let (a, device) = (signer(1), Uuid::from_u128(0xa));
        let signers = Signers::from_keys([(device, a.public_key())], true);
        let verification = verify(&chain_of(device, 5, Some(&a)), &signers);
        assert!(verification.is_intact(), "{verification:?}");
        assert_eq!((verification.events, verification.signer_unchecked), (5, 0));
    }

    #[test]
    fn a_chain_made_up_for_a_device_that_is_no_member_is_not_intact() {
        let (a, device) = (signer(1), Uuid::from_u128(0xa));
        let made_up = Uuid::from_u128(0xbad);
        let signers = Signers::from_keys([(device, a.public_key())], true);
        for signed_by in [Some(&a), None] {
            let verification = verify(&chain_of(made_up, 3, signed_by), &signers);
            assert_eq!(verification.problems.len(), 3, "{verification:?}");
            assert!(verification.problems[0].problem.contains("membership log"));
        }
    }

    #[test]
    fn a_tail_another_device_appended_is_not_intact() {
        let (a, d, device) = (signer(1), signer(2), Uuid::from_u128(0xa));
        let signers = Signers::from_keys([(device, a.public_key())], true);
        let honest = chain_of(device, 4, Some(&a));
        // The same chain, its last entry signed by D, or carrying no signature.
        let forged = chain_of(device, 4, Some(&d));
        let unsigned = chain_of(device, 4, None);
        for tail in [&forged[3], &unsigned[3]] {
            let mut entries = honest[..3].to_vec();
            entries.push(tail.clone());
            let verification = verify(&entries, &signers);
            assert_eq!(verification.problems.len(), 1, "{verification:?}");
            assert_eq!(verification.problems[0].chain_index, 3);
        }
    }

    #[test]
    fn entries_from_before_chain_signatures_are_counted_and_checked_by_hash() {
        let (a, device) = (signer(1), Uuid::from_u128(0xa));
        let signers = Signers::from_keys([(device, a.public_key())], true);
        // Three unsigned entries, then two signed ones: the older store's, upgraded.
        let mut entries = chain_of(device, 5, None);
        let signed = chain_of(device, 5, Some(&a));
        entries[3] = signed[3].clone();
        entries[4] = signed[4].clone();
        let verification = verify(&entries, &signers);
        assert!(verification.is_intact(), "{verification:?}");
        assert_eq!(verification.signer_unchecked, 3);

        // Changing an unsigned entry still breaks the chain.
        entries[1].recomputed = [9; 32];
        assert!(!verify(&entries, &signers).is_intact());
    }

    #[test]
    fn a_clinic_from_before_signed_changesets_counts_unknown_devices_unchecked() {
        let (a, device) = (signer(1), Uuid::from_u128(0xa));
        let older = Uuid::from_u128(0xb);
        let signers = Signers::from_keys([(device, a.public_key())], false);
        let verification = verify(&chain_of(older, 2, Some(&signer(3))), &signers);
        assert!(verification.is_intact(), "{verification:?}");
        assert_eq!(verification.signer_unchecked, 2);
        // A known device's chain is still checked by its key.
        let forged = verify(&chain_of(device, 2, Some(&signer(3))), &signers);
        assert_eq!(forged.problems.len(), 2, "{forged:?}");
    }
}
