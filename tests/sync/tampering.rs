//! A hostile sync server, or a proxy on the way, that tampers with what it serves
//! (issue 15, requirement 8): an in-process man in the middle over the real server and
//! PostgreSQL reverses the order of each pull page, sends every envelope twice, cuts
//! envelopes short, mixes in another clinic's rows, or withholds some of a device's
//! changesets while moving the cursor past them. The device refuses what does not open
//! and says why, applies the rest exactly once, notices what was withheld (the server
//! stores each device's changesets without gaps) and names it, loses nothing, and
//! converges with the clinic once the honest server is back.

use std::sync::Arc;

use vetdesk_core::Store;
use vetdesk_core::services::clients::ClientInput;
use vetdesk_core::sources::ManualClock;
use vetdesk_core::sync::{SyncError, SyncReport, Transport, sync_once};
use vetdesk_core::sync_http::HttpTransport;
use vetdesk_proto::messages::{KeyGrant, PullResponse, PushResponse};

use super::hostile::clinic_of_two;
use super::{canonical, ok, protection, runtime, set_up_sync, start_server, sync};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tamper {
    Reorder,
    Duplicate,
    Truncate,
    ForeignRows,
    Withhold,
}

/// The real server behind a man in the middle that changes every pull page.
struct Tampering {
    inner: HttpTransport,
    tamper: Tamper,
    /// Another clinic's envelopes, as its rows in the server's database hold them.
    foreign: Vec<Vec<u8>>,
    /// The (device, seq) of the changesets it keeps back.
    withheld: Vec<(uuid::Uuid, u64)>,
}

impl Transport for Tampering {
    fn push(&mut self, envelopes: Vec<Vec<u8>>) -> Result<PushResponse, SyncError> {
        self.inner.push(envelopes)
    }

    fn pull(&mut self, after: u64, max_bytes: u64) -> Result<PullResponse, SyncError> {
        let mut page = self.inner.pull(after, max_bytes)?;
        match self.tamper {
            Tamper::Reorder => page.envelopes.reverse(),
            Tamper::Duplicate => {
                page.envelopes = page
                    .envelopes
                    .into_iter()
                    .flat_map(|e| [e.clone(), e])
                    .collect();
            }
            Tamper::Truncate => {
                for (_, body) in &mut page.envelopes {
                    body.truncate(body.len() / 2);
                }
            }
            Tamper::ForeignRows => {
                let mut mixed = Vec::new();
                for ((seq, body), foreign) in
                    page.envelopes.into_iter().zip(self.foreign.iter().cycle())
                {
                    mixed.push((seq, foreign.clone()));
                    mixed.push((seq, body));
                }
                page.envelopes = mixed;
            }
            Tamper::Withhold => page.envelopes.retain(|(_, body)| {
                vetdesk_proto::envelope::EnvelopeHeader::parse(body)
                    .map(|h| !self.withheld.contains(&(h.device_id, h.device_seq)))
                    .unwrap_or(true)
            }),
        }
        Ok(page)
    }

    fn put_key_grants(&mut self, grants: Vec<KeyGrant>) -> Result<bool, SyncError> {
        self.inner.put_key_grants(grants)
    }

    fn key_grants(&mut self) -> Result<Vec<KeyGrant>, SyncError> {
        self.inner.key_grants()
    }
}

fn write_clients(store: &mut Store, names: &[&str]) {
    let desk = ok(store.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    for name in names {
        ok(store.transact(&desk, |tx| {
            tx.create_client(&ClientInput {
                first_name: "Tam".into(),
                last_name: (*name).into(),
                ..Default::default()
            })
        }));
    }
}

fn holds(store: &mut Store, name: &str) -> bool {
    let owner = ok(store.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    ok(store.read(&owner, |rx| rx.search(name, 5)))
        .iter()
        .any(|h| h.title.contains(name))
}

fn tampered_round(
    store: &mut Store,
    url: &str,
    tamper: Tamper,
    foreign: &[Vec<u8>],
    withheld: &[(uuid::Uuid, u64)],
) -> SyncReport {
    let (_, token) = ok(store.sync_credentials()).unwrap_or_default();
    let mut link = Tampering {
        inner: HttpTransport::new(url, Some(token)),
        tamper,
        foreign: foreign.to_vec(),
        withheld: withheld.to_vec(),
    };
    ok(sync_once(store, &mut link, &mut |_, _| {}))
}

#[test]
fn a_server_that_reorders_duplicates_truncates_or_mixes_in_another_clinics_rows_breaks_nothing() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = clinic_of_two(&url, &dirs);
    let clock = ManualClock::at(time::OffsetDateTime::now_utc());
    b.set_time_source(Arc::new(clock.clone()));

    // Another clinic on the same server, with rows of its own.
    let dir_x = ok(tempfile::tempdir());
    let mut x = ok(Store::create(
        dir_x.path(),
        "Elsewhere Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    ok(vetdesk_core::demo::generate(
        &mut x,
        vetdesk_core::demo::DemoOptions {
            clients: 2,
            seed: 9,
            history_days: 1,
        },
        &mut |_, _| {},
    ));
    let clinic_x = set_up_sync(&mut x, &url);
    sync(&mut x);
    let foreign: Vec<Vec<u8>> = runtime.block_on(async {
        ok(sqlx::query_scalar(
            "SELECT body FROM envelopes WHERE clinic_id = $1 ORDER BY server_seq LIMIT 4",
        )
        .bind(clinic_x)
        .fetch_all(&pool)
        .await)
    });
    assert!(!foreign.is_empty());

    for (tamper, names) in [
        (
            Tamper::Reorder,
            ["Reorderedone", "Reorderedtwo", "Reorderedthree"],
        ),
        (
            Tamper::Duplicate,
            ["Duplicatedone", "Duplicatedtwo", "Duplicatedthree"],
        ),
        (Tamper::ForeignRows, ["Mixedone", "Mixedtwo", "Mixedthree"]),
        (
            Tamper::Truncate,
            ["Truncatedone", "Truncatedtwo", "Truncatedthree"],
        ),
        (
            Tamper::Withhold,
            ["Withheldone", "Withheldtwo", "Servedthree"],
        ),
    ] {
        let before = ok(a.sync_state()).acknowledged_seq;
        write_clients(&mut a, &names);
        sync(&mut a);
        // The sign-in and the first two clients are kept back; the third is served.
        let a_device = a.device_id();
        let withheld: Vec<(uuid::Uuid, u64)> = (before + 1..=before + 3)
            .map(|seq| (a_device, seq))
            .collect();
        let report = tampered_round(&mut b, &url, tamper, &foreign, &withheld);
        match tamper {
            Tamper::Reorder | Tamper::Duplicate => {
                assert!(report.rejected.is_empty(), "{tamper:?}: {report:?}");
                for name in names {
                    assert!(holds(&mut b, name), "{tamper:?}: {name} missing");
                }
            }
            Tamper::ForeignRows => {
                assert!(
                    !report.rejected.is_empty()
                        && report
                            .rejected
                            .iter()
                            .all(|(_, why)| why.contains("another clinic")
                                || why.contains("belongs to clinic")),
                    "{report:?}"
                );
                for name in names {
                    assert!(holds(&mut b, name), "{tamper:?}: {name} missing");
                }
            }
            Tamper::Truncate => {
                assert!(!report.rejected.is_empty(), "{report:?}");
                for name in names {
                    assert!(!holds(&mut b, name), "a cut envelope was applied: {name}");
                }
                // The honest server is back: what was refused is fetched again (after
                // its wait; at most 8 a round, so a round or two) and applied; nothing
                // was lost.
                clock.set(time::OffsetDateTime::now_utc() + time::Duration::minutes(5));
                let mut recovered = 0;
                for _ in 0..3 {
                    recovered += sync(&mut b).recovered_envelopes;
                }
                assert!(recovered > 0);
                assert_eq!(ok(b.rejected_envelopes()).len(), 0, "all fetched again");
                for name in names {
                    assert!(holds(&mut b, name), "{name} was lost");
                }
            }
            Tamper::Withhold => {
                // Noticed (a later changeset of A arrived), pulled again, still kept
                // back, and named.
                assert!(report.withheld.pulled_again, "{report:?}");
                assert_eq!(report.withheld.missing.len(), 1, "{report:?}");
                assert_eq!(report.withheld.missing[0].device, a_device);
                assert_eq!(report.withheld.missing[0].count, 3, "{report:?}");
                let problem = report.problem().unwrap_or_default();
                assert!(problem.contains("withholding"), "{problem}");
                assert!(
                    ok(b.sync_state())
                        .last_error
                        .is_some_and(|e| e.contains("withholding"))
                );
                assert!(holds(&mut b, "Servedthree"));
                assert!(!holds(&mut b, "Withheldone"));
                // The honest server is back: the next round past the hour asks again
                // (here, two hours later), and everything arrives.
                clock.set(time::OffsetDateTime::now_utc() + time::Duration::hours(2));
                let report = sync(&mut b);
                assert!(
                    report.withheld.pulled_again && report.withheld.missing.is_empty(),
                    "{report:?}"
                );
                for name in names {
                    assert!(holds(&mut b, name), "{name} was lost");
                }
                assert_eq!(ok(b.sync_state()).last_error, None);
            }
        }
    }
    // Nothing of the other clinic reached B; A and B end the same.
    let owner = ok(b.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let theirs = ok(x.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    for hit in ok(x.read(&theirs, |rx| rx.search("a", 20))) {
        assert!(
            ok(b.read(&owner, |rx| rx.search(&hit.title, 5)))
                .iter()
                .all(|h| h.id != hit.id),
            "another clinic's {} reached B",
            hit.title
        );
    }
    for _ in 0..2 {
        sync(&mut b);
        sync(&mut a);
    }
    assert!(canonical(&a) == canonical(&b), "A and B differ");
}
