//! The sync round of core over an in-memory relay that keeps the server's push/pull
//! semantics (dedupe by device seq, per-clinic order, pages). The real server is tested
//! in `sync-server/tests`; this is about what a device does with what it receives.

mod common;

use common::{ann_and_bella, clinic, ok, replica};
use uuid::Uuid;
use vetdesk_core::Store;
use vetdesk_core::sources::ManualClock;
use vetdesk_core::sync::{SyncError, SyncReport, Transport, sync_once};
use vetdesk_proto::envelope::EnvelopeHeader;
use vetdesk_proto::messages::{PullResponse, PushResponse, PushResult};

#[derive(Default)]
struct Relay {
    /// (device, device seq, bytes) in server-seq order (index + 1).
    stored: Vec<(Uuid, u64, Vec<u8>)>,
    offline: bool,
    server_time_ms: u64,
    /// A hostile relay: stores nothing, answers for none of the envelopes, and claims
    /// to hold every seq of the device.
    claims_everything: bool,
}

struct Link<'a> {
    relay: &'a mut Relay,
    device: Uuid,
}

impl Transport for Link<'_> {
    fn push(&mut self, envelopes: Vec<Vec<u8>>) -> Result<PushResponse, SyncError> {
        if self.relay.offline {
            return Err(SyncError::Offline("no route to host".into()));
        }
        if self.relay.claims_everything {
            return Ok(PushResponse {
                results: Vec::new(),
                highest_acknowledged_seq: u64::MAX,
            });
        }
        let mut results = Vec::new();
        for bytes in envelopes {
            let header = EnvelopeHeader::parse(&bytes)
                .map_err(|e| SyncError::Refused(e.to_string().into()))?;
            let existing = self
                .relay
                .stored
                .iter()
                .position(|(d, s, _)| *d == header.device_id && *s == header.device_seq);
            results.push(match existing {
                Some(at) => PushResult::Duplicate {
                    server_seq: at as u64 + 1,
                },
                None => {
                    self.relay
                        .stored
                        .push((header.device_id, header.device_seq, bytes));
                    PushResult::Stored {
                        server_seq: self.relay.stored.len() as u64,
                    }
                }
            });
        }
        let highest = self
            .relay
            .stored
            .iter()
            .filter(|(d, _, _)| *d == self.device)
            .map(|(_, s, _)| *s)
            .max()
            .unwrap_or(0);
        Ok(PushResponse {
            results,
            highest_acknowledged_seq: highest,
        })
    }

    fn pull(&mut self, after: u64, _max_bytes: u64) -> Result<PullResponse, SyncError> {
        if self.relay.offline {
            return Err(SyncError::Offline("no route to host".into()));
        }
        // Small pages, to exercise paging.
        let page: Vec<(u64, Vec<u8>)> = self
            .relay
            .stored
            .iter()
            .enumerate()
            .skip(after as usize)
            .take(3)
            .map(|(i, (_, _, b))| (i as u64 + 1, b.clone()))
            .collect();
        let next = page.last().map_or(after, |(s, _)| *s);
        Ok(PullResponse {
            has_more: (next as usize) < self.relay.stored.len(),
            envelopes: page,
            next,
            server_time_ms: self.relay.server_time_ms,
        })
    }
}

fn round(relay: &mut Relay, store: &mut Store) -> Result<SyncReport, SyncError> {
    let device = store.device_id();
    sync_once(store, &mut Link { relay, device }, &mut |_, _| {})
}

/// A clinic (device A, which made the key) and device B holding the same key.
fn two_devices(dirs: &(tempfile::TempDir, tempfile::TempDir)) -> (common::Clinic, Store) {
    let mut a = clinic(dirs.0.path());
    ok(a.store.ensure_clinic_key());
    let key = ok(a.store.clinic_keys()).remove(0);
    let mut b = replica(
        &mut a.store,
        &a.owner,
        dirs.1.path(),
        ManualClock::at(common::monday_morning()),
    );
    ok(b.add_clinic_key(key.id(), export(&a.store)));
    (a, b)
}

fn export(store: &Store) -> [u8; 32] {
    let bytes: Vec<u8> = ok(store.connection_for_tests().query_row(
        "SELECT key FROM clinic_keys WHERE key_id = 1",
        [],
        |r| r.get(0),
    ));
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes);
    key
}

#[test]
fn two_devices_converge_through_the_relay_and_a_second_round_moves_nothing() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = two_devices(&dirs);
    let mut relay = Relay {
        server_time_ms: 1_795_338_000_000,
        ..Default::default()
    };
    let desk = a.front_desk.clone();
    ann_and_bella(&mut a.store, &desk);
    assert!(ok(a.store.sync_state()).pending > 0);

    let first = ok(round(&mut relay, &mut a.store));
    assert!(
        first.pushed > 0 && first.push_refused.is_none(),
        "{first:?}"
    );
    assert_eq!(ok(a.store.sync_state()).pending, 0);
    let pulled = ok(round(&mut relay, &mut b));
    assert_eq!(pulled.pulled_envelopes, relay.stored.len(), "{pulled:?}");
    assert_eq!(ok(b.counts()), (1, 1));
    ok(b.transact(&desk, |tx| tx.create_client(&common::client("Bo", "Ng"))));
    ok(round(&mut relay, &mut b));
    let back = ok(round(&mut relay, &mut a.store));
    assert!(back.applied.applied > 0);
    assert_eq!(ok(a.store.digest()), ok(b.digest()));

    let quiet = ok(round(&mut relay, &mut a.store));
    assert_eq!((quiet.pulled_envelopes, quiet.pushed), (0, 0), "{quiet:?}");
    // B's cursor passes its own last envelope on its next pull.
    ok(round(&mut relay, &mut b));
    let state = ok(b.sync_state());
    assert_eq!(state.cursor as usize, relay.stored.len());
    assert!(state.last_success.is_some() && state.last_error.is_none());
}

#[test]
fn a_relay_that_claims_to_hold_what_it_dropped_cannot_make_a_device_forget_it() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = two_devices(&dirs);
    let mut relay = Relay {
        claims_everything: true,
        ..Default::default()
    };
    let desk = a.front_desk.clone();
    ann_and_bella(&mut a.store, &desk);
    let pending = ok(a.store.sync_state()).pending;
    let lied_to = ok(round(&mut relay, &mut a.store));
    assert_eq!(lied_to.pushed, 0, "{lied_to:?}");
    assert_eq!(
        ok(a.store.sync_state()).pending,
        pending,
        "nothing counts as delivered that the relay did not answer for"
    );

    relay.claims_everything = false;
    ok(round(&mut relay, &mut a.store));
    assert_eq!(ok(a.store.sync_state()).pending, 0);
    ok(round(&mut relay, &mut b));
    assert_eq!(ok(a.store.digest()), ok(b.digest()));
}

#[test]
fn a_tampered_envelope_is_kept_aside_and_reported_while_the_rest_applies() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = two_devices(&dirs);
    let mut relay = Relay::default();
    let desk = a.front_desk.clone();
    ann_and_bella(&mut a.store, &desk);
    ok(round(&mut relay, &mut a.store));
    let last = relay.stored.len() - 1;
    let body = &mut relay.stored[last].2;
    let at = body.len() - 20;
    body[at] ^= 0x40;

    let report = ok(round(&mut relay, &mut b));
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert!(report.rejected[0].1.contains("does not open"), "{report:?}");
    assert_eq!(
        ok(b.sync_state()).cursor as usize,
        relay.stored.len(),
        "one bad envelope does not stop sync"
    );
    let kept: i64 = ok(b.connection_for_tests().query_row(
        "SELECT count(*) FROM rejected_envelopes",
        [],
        |r| r.get(0),
    ));
    assert_eq!(kept, 1);
}

#[test]
fn a_device_with_the_wrong_key_is_told_so_before_it_uploads_anything() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = clinic(dirs.0.path());
    ok(a.store.ensure_clinic_key());
    let mut b = replica(
        &mut a.store,
        &a.owner,
        dirs.1.path(),
        ManualClock::at(common::monday_morning()),
    );
    // B holds a key 1 that is not the clinic's (enrolled elsewhere, or an old key).
    ok(b.connection_for_tests().execute(
        "UPDATE clinic_keys SET key = ?1 WHERE key_id = 1",
        [[7u8; 32].as_slice()],
    ));
    let mut relay = Relay::default();
    let desk = a.front_desk.clone();
    ann_and_bella(&mut a.store, &desk);
    ok(round(&mut relay, &mut a.store));
    let stored_before = relay.stored.len();
    // B knows the clinic's staff (nobody signs in on a device that does not), but has
    // never applied anything through the server: as far as sync can tell, nothing
    // from another device has ever opened here.
    common::sync_into(&a.store, &mut b);
    ok(b.connection_for_tests()
        .execute("DELETE FROM applied_changesets", []));
    ok(b.transact(&desk, |tx| tx.create_client(&common::client("Bo", "Ng"))));

    let refused = round(&mut relay, &mut b);
    assert!(matches!(refused, Err(SyncError::WrongKey)), "{refused:?}");
    assert_eq!(relay.stored.len(), stored_before, "nothing uploaded");
    assert!(
        ok(b.sync_state())
            .last_error
            .is_some_and(|e| e.contains("clinic key"))
    );
}

#[test]
fn offline_keeps_everything_pending_and_says_so() {
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, _b) = two_devices(&dirs);
    let mut relay = Relay {
        offline: true,
        ..Default::default()
    };
    let desk = a.front_desk.clone();
    ann_and_bella(&mut a.store, &desk);
    let pending = ok(a.store.sync_state()).pending;
    assert!(matches!(
        round(&mut relay, &mut a.store),
        Err(SyncError::Offline(_))
    ));
    let state = ok(a.store.sync_state());
    assert_eq!(state.pending, pending);
    assert!(state.last_error.is_some_and(|e| e.contains("offline")));
    relay.offline = false;
    ok(round(&mut relay, &mut a.store));
    assert_eq!(ok(a.store.sync_state()).pending, 0);
}
