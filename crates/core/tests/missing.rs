//! Changesets a server skipped (issue 15, requirement 8), as a device tells them: a hole
//! below another device's highest applied changeset is missing, unless that changeset
//! was held, set aside or refused here — so a device that refuses a forgery, or waits on
//! a changeset from the future, never blames the server for it.

mod common;

use common::{client, clinic, dirs, ok, replica};

#[test]
fn a_hole_in_another_devices_changesets_is_missing_until_it_arrives_and_a_refused_one_is_not() {
    let dirs = dirs::<2>();
    let mut a = clinic(dirs[0].path());
    let owner = a.owner.clone();
    let mut b = replica(&mut a.store, &owner, dirs[1].path(), a.clock.clone());
    let desk = a.front_desk.clone();
    for last in ["One", "Two", "Three", "Four"] {
        ok(a.store
            .transact(&desk, |tx| tx.create_client(&client("Hole", last))));
    }
    let all = ok(a.store.outgoing(0, usize::MAX));
    let n = all.len();
    assert!(n >= 4);
    // B is served everything but the second-to-last changeset.
    let served: Vec<_> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != n - 2)
        .map(|(_, c)| c.clone())
        .collect();
    ok(b.apply(&served));
    let missing = ok(b.missing_changesets());
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0].device, a.store.device_id());
    assert_eq!(missing[0].count, 1);
    assert_eq!(missing[0].seqs, [all[n - 2].changeset.seq]);

    // The withheld one arrives: nothing is missing.
    ok(b.apply(std::slice::from_ref(&all[n - 2])));
    assert!(ok(b.missing_changesets()).is_empty());

    // A changeset B refused (here: its signature broken on the way) is B's verdict,
    // not a hole the server made: a later one of the same device does not make it
    // "missing".
    ok(a.store
        .transact(&desk, |tx| tx.create_client(&client("Hole", "Five"))));
    ok(a.store
        .transact(&desk, |tx| tx.create_client(&client("Hole", "Six"))));
    let more = ok(a.store.outgoing(all[n - 1].changeset.seq, usize::MAX));
    assert_eq!(more.len(), 2);
    let mut forged = more[0].clone();
    if let Some(signature) = forged.signature.as_mut() {
        signature[0] ^= 1;
    }
    let report = ok(b.apply(&[forged, more[1].clone()]));
    assert_eq!(report.refused, 1, "{report:?}");
    assert!(ok(b.missing_changesets()).is_empty());
}
