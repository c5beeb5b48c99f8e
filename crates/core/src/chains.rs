//! Checking the per-device hash chains (the audit log, the controlled-drug register)
//! and the signatures that cover them.
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

use rusqlite::Connection;
use uuid::Uuid;

use crate::Result;
use crate::audit::{ChainProblem, Verification};
use crate::members;
use crate::signing::{self, Chain};

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
    genesis: &[u8],
    signers: &Signers,
) -> Result<Verification> {
    let mut rows = stmt.query([])?;
    let entries = std::iter::from_fn(|| match rows.next() {
        Ok(Some(row)) => Some(entry_of(row).map_err(Into::into)),
        Ok(None) => None,
        Err(e) => Some(Err(e.into())),
    });
    check(chain, entries, genesis, signers)
}

/// Checks every device's chain in `entries`, which come ordered by device, then index.
/// `genesis` is what the first entry of a chain holds as the hash before it.
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
    genesis: &[u8],
    signers: &Signers,
) -> Result<Verification> {
    let mut verification = Verification::default();
    let mut current: Option<String> = None;
    let mut expected_index = 0i64;
    let mut previous_hash = genesis.to_vec();
    let mut signed_before = false;
    for entry in entries {
        let entry = entry?;
        if current.as_deref() != Some(entry.device_id.as_str()) {
            current = Some(entry.device_id.clone());
            verification.devices += 1;
            expected_index = 0;
            previous_hash = genesis.to_vec();
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
        } else if entry.prev_hash != previous_hash {
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
    use sha2::{Digest, Sha256};
    use zeroize::Zeroizing;

    use super::*;
    use crate::signing::DeviceSigner;

    const GENESIS: [u8; 32] = [0; 32];

    fn signer(seed: u8) -> DeviceSigner {
        DeviceSigner::from_secret(&Zeroizing::new([seed; 32]))
    }

    /// A well-made chain of `n` entries for `device`, signed by `by` (None: unsigned).
    fn chain_of(device: Uuid, n: i64, by: Option<&DeviceSigner>) -> Vec<Entry> {
        let mut previous = GENESIS.to_vec();
        (0..n)
            .map(|i| {
                let hash: [u8; 32] = Sha256::new()
                    .chain_update(device.as_bytes())
                    .chain_update(i.to_be_bytes())
                    .chain_update(&previous)
                    .finalize()
                    .into();
                Entry {
                    id: format!("{device}-{i}"),
                    device_id: device.to_string(),
                    chain_index: i,
                    prev_hash: std::mem::replace(&mut previous, hash.to_vec()),
                    hash: hash.to_vec(),
                    recomputed: hash,
                    signature: by.map(|s| s.sign_chain_entry(Chain::Audit, &hash).to_vec()),
                }
            })
            .collect()
    }

    fn verify(entries: &[Entry], signers: &Signers) -> Verification {
        check(
            Chain::Audit,
            entries.iter().cloned().map(Ok),
            &GENESIS,
            signers,
        )
        .unwrap_or_default()
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
