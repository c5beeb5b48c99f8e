//! Recordings in a real store: consent or an audited override before anything is
//! recorded; a per-recording key kept only on this device (never in the change log);
//! retention destroys the key, the metadata and the approved note stay.

mod common;

use common::{ann_and_bella, bella_in_exam, clinic, ok, replica, sync_into};
use vetdesk_core::Error;

#[test]
fn recording_needs_consent_or_an_audited_override() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (ann, bella) = ann_and_bella(&mut c.store, &c.vet);
    let encounter = ok(c
        .store
        .transact(&c.vet, |tx| tx.start_encounter(bella, None)));

    let refused = c
        .store
        .transact(&c.nurse, |tx| tx.start_recording(encounter, None, 30));
    assert!(
        matches!(&refused, Err(Error::NotAllowedNow(m)) if m.contains("consented")),
        "{:?}",
        refused.err()
    );
    let denied = c.store.transact(&c.front_desk, |tx| {
        tx.start_recording(encounter, Some("asked"), 30)
    });
    assert!(matches!(denied, Err(Error::Forbidden { .. })));

    let overridden = ok(c.store.transact(&c.nurse, |tx| {
        tx.start_recording(encounter, Some("owner agreed verbally, form to follow"), 30)
    }));
    let log = ok(c.store.read(&c.owner, |rx| rx.audit_log(None, 50)));
    assert!(
        log.iter()
            .any(|e| e.action == "recording.start" && e.detail.contains("owner agreed verbally")),
        "the override is audited"
    );

    // With the owner's recorded consent, no reason is needed.
    let mut fields = ok(c.store.read(&c.vet, |rx| rx.client(ann))).fields;
    fields.consent_recording = true;
    ok(c.store
        .transact(&c.vet, |tx| tx.update_client(ann, &fields)));
    let consented = ok(c
        .store
        .transact(&c.nurse, |tx| tx.start_recording(encounter, None, 30)));
    let recordings = ok(c.store.read(&c.vet, |rx| rx.recordings(encounter)));
    assert_eq!(recordings.len(), 2);
    let consent = |id| {
        recordings
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.consent.clone())
    };
    assert_eq!(consent(overridden.id), Some("override".into()));
    assert_eq!(consent(consented.id), Some("client".into()));
    assert!(recordings.iter().all(|r| r.playable_here));
    assert_ne!(*overridden.key, *consented.key);
    assert_eq!(consented.file, format!("recordings/{}.vdrec", consented.id));
}

#[test]
fn retention_destroys_the_key_but_keeps_the_note_and_the_key_never_syncs() {
    let dir = ok(tempfile::tempdir());
    let other = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (_, encounter) = bella_in_exam(&mut c);
    let start = ok(c
        .store
        .transact(&c.vet, |tx| tx.start_recording(encounter, Some("test"), 7)));
    ok(c.store
        .transact(&c.vet, |tx| tx.finish_recording(start.id, 61_000)));
    let soap = vetdesk_core::services::encounters::SoapInput {
        assessment: Some("Otitis externa".into()),
        ..Default::default()
    };
    ok(c.store
        .transact(&c.vet, |tx| tx.update_soap(encounter, &soap)));
    assert_eq!(
        ok(c.store.read(&c.vet, |rx| rx.recording_key(start.id))).map(|k| *k),
        Some(*start.key)
    );

    // The key is in no changeset: another device gets the metadata, not the key.
    let key_hex: String = start.key.iter().map(|b| format!("{b:02x}")).collect();
    let log = format!("{:?}", ok(c.store.pending_changesets(0, usize::MAX)));
    assert!(!log.contains(&key_hex) && !log.contains(&format!("{:?}", &start.key[..8])));
    let mut b = replica(&mut c.store, &c.owner, other.path(), c.clock.clone());
    sync_into(&c.store, &mut b);
    let there = ok(b.read(&c.vet, |rx| rx.recordings(encounter)));
    assert_eq!(there.len(), 1);
    assert!(!there[0].playable_here);
    assert_eq!(there[0].duration_ms, Some(61_000));

    // The audio file the recorder writes (its content does not matter here).
    let file = dir.path().join(&start.file);
    ok(std::fs::create_dir_all(dir.path().join("recordings")));
    ok(std::fs::write(&file, b"sealed audio"));

    // Six days on: nothing expires. Eight days on: the key, then the file, is
    // destroyed by the housekeeping the app runs at start (as the system, audited).
    c.clock.advance_ms(6 * 86_400_000);
    assert_eq!(ok(c.store.purge_expired_recordings()), Default::default());
    assert!(file.exists());
    c.clock.advance_ms(2 * 86_400_000);
    let purged = ok(c.store.purge_expired_recordings());
    assert_eq!(purged.destroyed, [start.id]);
    assert!(purged.files_left.is_empty() && !file.exists());
    let log = ok(c
        .store
        .read(&c.owner, |rx| rx.audit_log(Some("recording.destroy"), 10)));
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].actor_id.as_str(), log[0].entity_id.as_str()),
        (
            uuid::Uuid::nil().to_string().as_str(),
            start.id.to_string().as_str()
        ),
        "destroyed by the system, not a person: {log:?}"
    );
    assert_eq!(
        ok(c.store.read(&c.vet, |rx| rx.recording_key(start.id))).map(|k| *k),
        None
    );
    let after = ok(c.store.read(&c.vet, |rx| rx.recordings(encounter)));
    assert!(after[0].destroyed_at.is_some() && !after[0].playable_here);
    assert_eq!(
        ok(c.store.read(&c.vet, |rx| rx.encounter(encounter)))
            .soap
            .assessment
            .as_deref(),
        Some("Otitis externa")
    );
    sync_into(&c.store, &mut b);
    assert!(
        ok(b.read(&c.vet, |rx| rx.recordings(encounter)))[0]
            .destroyed_at
            .is_some()
    );
}
