//! The scribe's drafts against a real store: nothing reaches the record until a vet
//! decides; approval writes the item (vitals, diagnosis, prescription, SOAP words) and
//! records who, when, the model hash and transcript version; a flagged dose needs an
//! override; rejected and edited items stay in the history; drafts sync.

mod common;

use common::{bella_in_exam, clinic, ok, replica, sync_into};
use vetdesk_core::services::scribe::{Decision, NewDraft};
use vetdesk_core::{Error, Store};
use vetdesk_draft::extract::{Context, Item, extract};
use vetdesk_draft::text::Segment;

const SHA: &str = "f4709d14d47dbb78b7f72c6a07224d04d9eb21739972da1b7ab30bb3c35cbb57";
const DICTATION: &str = "She weighs ten kilograms. Temperature thirty nine point one. \
    Otitis externa in the left ear. Carprofen two hundred milligrams by mouth once daily for five days. \
    Otomax drops twice daily in the left ear for ten days. Recheck in two weeks.";

fn new_draft(encounter: uuid::Uuid) -> NewDraft {
    let segments = vec![Segment {
        start_ms: 0,
        end_ms: 20_000,
        text: DICTATION.into(),
    }];
    let context = Context {
        species: Some("dog".into()),
        weight_kg: None,
        formulary: vetdesk_draft::formulary::starter(),
    };
    let items = extract(&segments, &context);
    NewDraft {
        encounter,
        model_file: "ggml-tiny.en.bin".into(),
        model_sha256: SHA.into(),
        transcript_version: 2,
        segments,
        items,
    }
}

fn item_of(
    store: &mut Store,
    actor: &vetdesk_core::Actor,
    encounter: uuid::Uuid,
    kind: &str,
) -> uuid::Uuid {
    let drafts = ok(store.read(actor, |rx| rx.drafts(encounter)));
    drafts[0]
        .items
        .iter()
        .find(|i| {
            serde_json::to_value(&i.drafted.item)
                .ok()
                .is_some_and(|v| v["kind"] == kind)
        })
        .map(|i| i.id)
        .unwrap_or_else(|| panic!("no {kind} item"))
}

#[test]
fn a_draft_changes_nothing_until_a_vet_approves_item_by_item() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (bella, encounter) = bella_in_exam(&mut c);
    let before = ok(c.store.read(&c.vet, |rx| rx.encounter(encounter)));

    // A nurse may store the draft; nothing in the encounter changes.
    let draft = ok(c
        .store
        .transact(&c.nurse, |tx| tx.create_draft(&new_draft(encounter))));
    assert_eq!(
        ok(c.store.read(&c.vet, |rx| rx.encounter(encounter))),
        before
    );
    assert!(ok(c.store.read(&c.vet, |rx| rx.prescriptions(bella))).is_empty());
    let drafts = ok(c.store.read(&c.vet, |rx| rx.drafts(encounter)));
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].id, draft);
    assert!(drafts[0].items.iter().all(|i| i.status == "pending"));
    assert_eq!(drafts[0].model_sha256, SHA);

    // Only a vet decides.
    let weight = item_of(&mut c.store, &c.vet, encounter, "weight");
    let approve = Decision::Approve {
        override_reason: None,
    };
    let refused = c
        .store
        .transact(&c.nurse, |tx| tx.decide_draft_item(weight, &approve));
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );

    let written = ok(c
        .store
        .transact(&c.vet, |tx| tx.decide_draft_item(weight, &approve)));
    assert_eq!(written.len(), 1);
    let weights = ok(c.store.read(&c.vet, |rx| rx.weights(bella)));
    assert_eq!(weights.last().map(|w| w.kg), Some(10.0));
    let vitals = ok(c.store.read(&c.vet, |rx| rx.encounter(encounter))).vitals;
    assert_eq!(
        vitals.iter().map(|v| v.weight_kg).collect::<Vec<_>>(),
        [Some(10.0)],
        "the encounter shows the weight taken in it"
    );
    let again = c
        .store
        .transact(&c.vet, |tx| tx.decide_draft_item(weight, &approve));
    assert!(matches!(again, Err(Error::NotAllowedNow(_))), "{again:?}");

    // The problem becomes a provisional diagnosis; follow-up goes into the plan.
    let problem = item_of(&mut c.store, &c.vet, encounter, "problem");
    ok(c.store
        .transact(&c.vet, |tx| tx.decide_draft_item(problem, &approve)));
    let follow_up = item_of(&mut c.store, &c.vet, encounter, "follow_up");
    ok(c.store
        .transact(&c.vet, |tx| tx.decide_draft_item(follow_up, &approve)));
    let after = ok(c.store.read(&c.vet, |rx| rx.encounter(encounter)));
    let shown = serde_json::to_string(&after).unwrap_or_default();
    assert!(shown.contains("otitis externa (left ear)"), "{shown}");
    assert!(
        after
            .soap
            .plan
            .as_deref()
            .is_some_and(|p| p.contains("Follow-up: recheck in two weeks")),
        "{:?}",
        after.soap
    );

    // The decision names the approver, the model and the transcript version.
    let drafts = ok(c.store.read(&c.vet, |rx| rx.drafts(encounter)));
    let decided = drafts[0]
        .items
        .iter()
        .find(|i| i.id == weight)
        .map(|i| i.decisions.clone())
        .unwrap_or_default();
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].decided_by, c.vet.staff_id.to_string());
    assert_eq!(
        (
            decided[0].model_sha256.as_str(),
            decided[0].transcript_version
        ),
        (SHA, 2)
    );
    assert_eq!(decided[0].applied, written);
}

#[test]
fn a_flagged_dose_needs_an_override_or_a_correction_and_rejections_are_kept() {
    let dir = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (bella, encounter) = bella_in_exam(&mut c);
    ok(c.store
        .transact(&c.vet, |tx| tx.create_draft(&new_draft(encounter))));
    let carprofen = item_of(&mut c.store, &c.vet, encounter, "medication");
    let drafts = ok(c.store.read(&c.vet, |rx| rx.drafts(encounter)));
    let flagged = drafts[0]
        .items
        .iter()
        .find(|i| i.id == carprofen)
        .map(|i| i.drafted.needs_override());
    assert_eq!(flagged, Some(true), "200 mg for 10 kg is 20 mg/kg");

    // The whole draft cannot be approved past it, and nothing is written trying.
    let whole = c
        .store
        .transact(&c.vet, |tx| tx.approve_whole_draft(drafts[0].id));
    assert!(matches!(whole, Err(Error::NotAllowedNow(_))), "{whole:?}");
    assert!(ok(c.store.read(&c.vet, |rx| rx.weights(bella))).is_empty());

    let plain = Decision::Approve {
        override_reason: None,
    };
    let refused = c
        .store
        .transact(&c.vet, |tx| tx.decide_draft_item(carprofen, &plain));
    assert!(
        matches!(&refused, Err(Error::NotAllowedNow(m)) if m.contains("override")),
        "{refused:?}"
    );

    // Corrected to 30 mg (3 mg/kg): in range, approved as edited, prescribed.
    let corrected = Item::Medication {
        drug: "Carprofen".into(),
        dose: Some(30.0),
        unit: Some("mg".into()),
        mg_per_kg: Some(3.0),
        route: Some("oral".into()),
        times_per_day: Some(1.0),
        duration_days: Some(5.0),
    };
    let edit = Decision::Edit {
        item: corrected.clone(),
        override_reason: None,
    };
    let written = ok(c
        .store
        .transact(&c.vet, |tx| tx.decide_draft_item(carprofen, &edit)));
    assert_eq!(written.len(), 1);
    let prescriptions = ok(c.store.read(&c.vet, |rx| rx.prescriptions(bella)));
    assert_eq!(prescriptions.len(), 1);
    assert_eq!(
        (
            prescriptions[0].fields.dose,
            prescriptions[0].fields.frequency.as_str()
        ),
        (30.0, "once daily")
    );

    // Otomax has no dose: it cannot be approved as drafted; the vet rejects it.
    let otomax = ok(c.store.read(&c.vet, |rx| rx.drafts(encounter)))[0]
        .items
        .iter()
        .find(|i| matches!(&i.drafted.item, Item::Medication { drug, .. } if drug == "Otomax"))
        .map(|i| i.id)
        .unwrap_or_else(|| panic!("no Otomax item"));
    let incomplete = c
        .store
        .transact(&c.vet, |tx| tx.decide_draft_item(otomax, &plain));
    assert!(
        matches!(&incomplete, Err(Error::Invalid { message, .. }) if message.contains("edit the item")),
        "{incomplete:?}"
    );
    let reject = Decision::Reject {
        reason: Some("dispensed at the desk".into()),
    };
    ok(c.store
        .transact(&c.vet, |tx| tx.decide_draft_item(otomax, &reject)));

    let view = ok(c.store.read(&c.vet, |rx| rx.drafts(encounter)));
    let status = |id| {
        view[0]
            .items
            .iter()
            .find(|i| i.id == id)
            .map(|i| (i.status.clone(), i.decisions.len()))
    };
    assert_eq!(status(carprofen), Some(("edited".to_string(), 1)));
    assert_eq!(status(otomax), Some(("rejected".to_string(), 1)));
    let kept = view[0]
        .items
        .iter()
        .find(|i| i.id == carprofen)
        .map(|i| (i.drafted.item.clone(), i.decisions[0].item.clone()));
    assert!(
        kept.is_some_and(
            |(drafted, approved)| drafted != corrected && approved == Some(corrected.clone())
        ),
        "both versions kept"
    );
    assert_eq!(
        ok(c.store.read(&c.vet, |rx| rx.prescriptions(bella))).len(),
        1
    );

    // An override with a reason approves even a flagged dose (audited).
    let (bella2, encounter2) = bella_in_exam(&mut c);
    ok(c.store
        .transact(&c.vet, |tx| tx.create_draft(&new_draft(encounter2))));
    let carprofen2 = item_of(&mut c.store, &c.vet, encounter2, "medication");
    let overridden = Decision::Approve {
        override_reason: Some("loading dose, discussed with owner".into()),
    };
    ok(c.store
        .transact(&c.vet, |tx| tx.decide_draft_item(carprofen2, &overridden)));
    assert_eq!(
        ok(c.store.read(&c.vet, |rx| rx.prescriptions(bella2))).len(),
        1
    );
}

#[test]
fn drafts_and_decisions_sync_to_another_device() {
    let dir = ok(tempfile::tempdir());
    let other = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (_, encounter) = bella_in_exam(&mut c);
    ok(c.store
        .transact(&c.vet, |tx| tx.create_draft(&new_draft(encounter))));
    let weight = item_of(&mut c.store, &c.vet, encounter, "weight");
    ok(c.store.transact(&c.vet, |tx| {
        tx.decide_draft_item(
            weight,
            &Decision::Approve {
                override_reason: None,
            },
        )
    }));
    let mut b = replica(&mut c.store, &c.owner, other.path(), c.clock.clone());
    sync_into(&c.store, &mut b);
    assert_eq!(
        ok(b.read(&c.vet, |rx| rx.drafts(encounter))),
        ok(c.store.read(&c.vet, |rx| rx.drafts(encounter)))
    );
    assert_eq!(ok(b.digest()), ok(c.store.digest()));
}

#[test]
fn two_devices_deciding_one_item_offline_make_one_prescription_and_a_conflict_a_vet_settles() {
    let dir = ok(tempfile::tempdir());
    let other = ok(tempfile::tempdir());
    let mut c = clinic(dir.path());
    let (bella, encounter) = bella_in_exam(&mut c);
    ok(c.store
        .transact(&c.vet, |tx| tx.create_draft(&new_draft(encounter))));
    let mut b = replica(&mut c.store, &c.owner, other.path(), c.clock.clone());
    sync_into(&c.store, &mut b);

    let medication = item_of(&mut c.store, &c.vet, encounter, "medication");
    let problem = item_of(&mut c.store, &c.vet, encounter, "problem");
    let weight = item_of(&mut c.store, &c.vet, encounter, "weight");
    let drafted = ok(c.store.read(&c.vet, |rx| rx.drafts(encounter)))[0]
        .items
        .iter()
        .find(|i| i.id == medication)
        .map(|i| i.drafted.item.clone());
    let Some(Item::Medication {
        drug,
        unit,
        route,
        times_per_day,
        duration_days,
        ..
    }) = drafted
    else {
        panic!("the first drafted medication is not a medication: {drafted:?}");
    };
    assert_eq!(drug, "Carprofen");
    let approve = Decision::Approve {
        override_reason: None,
    };

    // Offline, both devices decide on the same three items: here 200 mg (20 mg/kg,
    // flagged) is approved with an override, there it is corrected to 40 mg.
    ok(c.store.transact(&c.vet, |tx| {
        tx.decide_draft_item(
            medication,
            &Decision::Approve {
                override_reason: Some("loading dose, discussed with the owner".into()),
            },
        )
    }));
    for item in [problem, weight] {
        ok(c.store
            .transact(&c.vet, |tx| tx.decide_draft_item(item, &approve)));
    }
    let forty_mg = Item::Medication {
        drug: drug.clone(),
        dose: Some(40.0),
        unit,
        mg_per_kg: Some(4.0),
        route,
        times_per_day,
        duration_days,
    };
    ok(b.transact(&c.vet, |tx| {
        tx.decide_draft_item(
            medication,
            &Decision::Edit {
                item: forty_mg.clone(),
                override_reason: None,
            },
        )
    }));
    ok(b.transact(&c.vet, |tx| {
        tx.decide_draft_item(
            problem,
            &Decision::Reject {
                reason: Some("not otitis: a grass seed".into()),
            },
        )
    }));
    ok(b.transact(&c.vet, |tx| tx.decide_draft_item(weight, &approve)));
    sync_into(&c.store, &mut b);
    sync_into(&b, &mut c.store);

    // One prescription, not two; the differing decisions show as conflicts on both
    // devices; the agreeing one does not.
    for store in [&mut c.store, &mut b] {
        assert_eq!(
            ok(store.read(&c.vet, |rx| rx.prescriptions(bella))).len(),
            1
        );
        let drafts = ok(store.read(&c.vet, |rx| rx.drafts(encounter)));
        let status = |id| {
            drafts[0]
                .items
                .iter()
                .find(|i| i.id == id)
                .map(|i| (i.status.clone(), i.decisions.len()))
        };
        assert_eq!(status(medication), Some(("conflict".to_string(), 2)));
        assert_eq!(status(problem), Some(("conflict".to_string(), 2)));
        assert_eq!(status(weight), Some(("approved".to_string(), 2)));
    }
    assert_eq!(ok(b.digest()), ok(c.store.digest()));

    // Settling: only an item in conflict; the settling decision stands everywhere and
    // the prescription / diagnosis follow it.
    let not_in_conflict = c
        .store
        .transact(&c.vet, |tx| tx.settle_draft_item(weight, &approve));
    assert!(
        matches!(not_in_conflict, Err(Error::NotAllowedNow(_))),
        "{not_in_conflict:?}"
    );
    ok(c.store.transact(&c.vet, |tx| {
        tx.settle_draft_item(
            medication,
            &Decision::Edit {
                item: forty_mg.clone(),
                override_reason: None,
            },
        )
    }));
    ok(c.store.transact(&c.vet, |tx| {
        tx.settle_draft_item(problem, &Decision::Reject { reason: None })
    }));
    sync_into(&c.store, &mut b);
    for store in [&mut c.store, &mut b] {
        let prescriptions = ok(store.read(&c.vet, |rx| rx.prescriptions(bella)));
        assert_eq!(prescriptions.len(), 1);
        assert_eq!(
            (
                prescriptions[0].fields.dose,
                prescriptions[0].status.as_str()
            ),
            (40.0, "active")
        );
        let shown = serde_json::to_string(&ok(store.read(&c.vet, |rx| rx.encounter(encounter))))
            .unwrap_or_default();
        assert!(!shown.contains("otitis externa"), "{shown}");
        let drafts = ok(store.read(&c.vet, |rx| rx.drafts(encounter)));
        let status = |id| {
            drafts[0]
                .items
                .iter()
                .find(|i| i.id == id)
                .map(|i| i.status.clone())
        };
        assert_eq!(status(medication).as_deref(), Some("edited"));
        assert_eq!(status(problem).as_deref(), Some("rejected"));
    }
    assert_eq!(ok(b.digest()), ok(c.store.digest()));
}
