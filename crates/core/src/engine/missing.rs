//! Changesets the sync server skipped (issue 15, requirement 8). The server stores each
//! device's changesets without gaps (it refuses one that would leave a seq out), so a
//! device that holds another device's changeset `n` has been served every one before
//! it — unless the server (or something on the way) withheld some while moving the
//! cursor past them. A round looks for such holes after pulling; when it finds one it
//! pulls everything again from the start (applying is idempotent), at most once an
//! hour, and reports what is still missing, so a withholding server is named and
//! nothing is silently lost: the changes stay on the device that wrote them, and arrive
//! once an honest server serves them.

use std::collections::{BTreeSet, HashMap};

use rusqlite::params;
use serde::Serialize;
use uuid::Uuid;

use crate::store::Store;
use crate::write::rfc3339;
use crate::{Error, Result};

/// How many missing seqs of one device are named (the count is always whole).
const NAMED_PER_DEVICE: usize = 5;
/// Pulling everything again happens at most this often.
const PULL_AGAIN_EVERY: time::Duration = time::Duration::hours(1);

/// Another device's changesets this device has not been served, although it holds a
/// later one of that device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub device: Uuid,
    /// How many.
    pub count: u64,
    /// The first few of them.
    pub seqs: Vec<u64>,
}

/// What a round found of changesets the server skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Withheld {
    /// Other devices' changesets still missing after the round.
    pub missing: Vec<Missing>,
    /// Whether the round pulled everything again from the start to get them.
    pub pulled_again: bool,
}

impl Store {
    /// What the server has skipped: for each other device, the seqs below the highest
    /// one applied here that were neither applied, held, set aside, refused, nor
    /// received in an envelope that did not open.
    pub fn missing_changesets(&self) -> Result<Vec<Missing>> {
        let me = self.device_id().to_string();
        let tops: Vec<(String, i64, i64)> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT device_id, max(seq), count(*) FROM applied_changesets
                 WHERE device_id <> ?1 GROUP BY device_id",
            )?;
            stmt.query_map([&me], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let suspects: Vec<(String, i64)> = tops
            .into_iter()
            .filter(|(_, top, applied)| applied < top)
            .map(|(device, top, _)| (device, top))
            .collect();
        if suspects.is_empty() {
            return Ok(Vec::new());
        }
        let received_aside = self.rejected_by_device()?;
        let mut missing = Vec::new();
        for (device, top) in suspects {
            let mut known: BTreeSet<i64> = BTreeSet::new();
            for sql in [
                "SELECT seq FROM applied_changesets WHERE device_id = ?1 AND seq <= ?2",
                "SELECT seq FROM held_changesets WHERE device_id = ?1 AND seq <= ?2",
                "SELECT DISTINCT seq FROM quarantined_changes WHERE device_id = ?1 AND seq <= ?2",
            ] {
                let mut stmt = self.conn().prepare_cached(sql)?;
                let seqs = stmt.query_map(params![device, top], |r| r.get::<_, i64>(0))?;
                for seq in seqs {
                    known.insert(seq?);
                }
            }
            if let Some(seqs) = received_aside.get(&device) {
                known.extend(seqs.iter().copied());
            }
            let holes: Vec<u64> = (1..top)
                .filter(|s| !known.contains(s))
                .filter_map(|s| u64::try_from(s).ok())
                .collect();
            if holes.is_empty() {
                continue;
            }
            missing.push(Missing {
                device: Uuid::parse_str(&device).unwrap_or_default(),
                count: holes.len() as u64,
                seqs: holes.into_iter().take(NAMED_PER_DEVICE).collect(),
            });
        }
        Ok(missing)
    }

    /// The (device, seq) of each envelope kept because it did not open, by its header.
    fn rejected_by_device(&self) -> Result<HashMap<String, Vec<i64>>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT body FROM rejected_envelopes")?;
        let bodies = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out: HashMap<String, Vec<i64>> = HashMap::new();
        for body in bodies {
            if let Ok(header) = vetdesk_proto::envelope::EnvelopeHeader::parse(&body?) {
                out.entry(header.device_id.to_string())
                    .or_default()
                    .push(i64::try_from(header.device_seq).unwrap_or(i64::MAX));
            }
        }
        Ok(out)
    }

    /// Starts pulling again from the start, unless this device did so within the hour;
    /// says whether it did.
    pub(crate) fn pull_again_from_start(&mut self) -> Result<bool> {
        let last: Option<String> = self.conn().query_row(
            "SELECT pulled_again_at FROM sync_state WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        let now = self.now();
        let recent = last
            .and_then(|at| {
                time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .is_some_and(|at| now - at < PULL_AGAIN_EVERY && at <= now);
        if recent {
            return Ok(false);
        }
        let changed = self.conn().execute(
            "UPDATE sync_state SET cursor = 0, pulled_again_at = ?1 WHERE id = 1",
            [rfc3339(now)],
        )?;
        if changed != 1 {
            return Err(Error::NotAllowedNow("sync is not set up".into()));
        }
        Ok(true)
    }
}
