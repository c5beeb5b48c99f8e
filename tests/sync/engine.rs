//! The background sync engine against the real server: it pulls as soon as another
//! device pushes, says it is offline when the server goes away (keeping every change),
//! and catches up by itself when the server returns (partition and heal).

use std::time::{Duration, Instant};

use vetdesk_core::Store;
use vetdesk_core::services::clients::ClientInput;
use vetdesk_core::sync_engine::{EngineOptions, LiveSyncStatus, SyncEngine};

use super::{ServerProcess, enroll_device, ok, protection, runtime, set_up_sync, sync};

fn wait_until(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "waited {seconds} s for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn add_client(store: &mut Store, first_name: &str) {
    let admin = ok(store.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let input = ClientInput {
        first_name: first_name.into(),
        last_name: "Partition".into(),
        ..ClientInput::default()
    };
    ok(store.transact(&admin, |tx| tx.create_client(&input)));
}

fn clients(store: &Store) -> u64 {
    ok(store.counts()).0
}

#[test]
fn the_engine_pulls_on_notify_goes_offline_with_the_server_and_catches_up_when_it_returns() {
    let runtime = runtime();
    let database_url = runtime.block_on(vetdesk_testkit::fresh_database_url());
    let mut server = ServerProcess::start(&database_url);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = ok(Store::create(
        dirs.0.path(),
        "Partition Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    ok(vetdesk_core::demo::generate(
        &mut a,
        vetdesk_core::demo::DemoOptions {
            clients: 5,
            seed: 2,
            history_days: 10,
        },
        &mut |_, _| {},
    ));
    set_up_sync(&mut a, &server.url());
    sync(&mut a);
    let mut b = enroll_device(&server.url(), &mut a, dirs.1.path());

    // B's engine: no timer to speak of (an hour), so only notify and sync_now move it.
    let options = EngineOptions {
        interval: Duration::from_secs(3600),
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(1),
        listen: true,
    };
    let engine = ok(SyncEngine::start(
        ok(b.another_connection()),
        options,
        |_| {},
    ));
    // The records arrive while the round is still going: wait for the round's end too.
    wait_until("B's first round", 20, || {
        clients(&b) == 5 && !engine.status().syncing
    });
    let status = engine.status();
    assert_eq!(status.online, Some(true), "{status:?}");

    // A pushes; the server's notify wakes B's engine at once.
    add_client(&mut a, "Announced");
    sync(&mut a);
    wait_until("B pulls A's push", 10, || clients(&b) == 6);

    // Partition: the server dies. Both keep working; B's engine says it is offline.
    server.kill();
    add_client(&mut b, "WrittenOffline");
    engine.sync_now();
    wait_until("B's engine notices", 10, || {
        let s: LiveSyncStatus = engine.status();
        s.online == Some(false) && s.consecutive_failures >= 2
    });
    let offline = engine.status();
    assert!(
        offline.state.as_ref().is_some_and(|s| s.pending > 0),
        "the offline change waits: {offline:?}"
    );
    assert!(
        offline
            .state
            .as_ref()
            .and_then(|s| s.last_error.as_deref())
            .is_some_and(|e| e.contains("cannot be reached")),
        "{offline:?}"
    );
    add_client(&mut a, "AlsoOffline");

    // Heal: the server returns on the same address; B's engine retries by itself.
    server.restart();
    wait_until("B's engine pushes after the outage", 15, || {
        let s = engine.status();
        s.online == Some(true) && s.state.as_ref().is_some_and(|st| st.pending == 0)
    });
    sync(&mut a);
    assert_eq!(clients(&a), 8);
    // B hears of A's push once its notify stream has reconnected (within 5 s).
    wait_until("B pulls A's offline work", 20, || clients(&b) == 8);
    engine.stop();
    sync(&mut a);
    assert_eq!(ok(a.digest()), ok(b.digest()));
}

/// A write wakes its device's engine wherever it is made — through core on the app's
/// connection, or by another `vetdesk` process — and reaches the other device through
/// the running engines long before the timer (30 s) would have moved either.
#[test]
fn a_write_reaches_the_other_device_through_the_running_engines_well_before_the_timer() {
    let runtime = runtime();
    let (url, _pool) = super::start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = super::clinic_on_a(&url, dirs.0.path());
    let b = enroll_device(&url, &mut a, dirs.1.path());
    let options = EngineOptions::default();
    assert_eq!(options.interval, Duration::from_secs(30));
    let engine_a = ok(SyncEngine::start(
        ok(a.another_connection()),
        options,
        |_| {},
    ));
    let engine_b = ok(SyncEngine::start(
        ok(b.another_connection()),
        options,
        |_| {},
    ));
    wait_until("both engines' first rounds", 30, || {
        clients(&b) == 3 && !engine_a.status().syncing && !engine_b.status().syncing
    });

    // Through core, on the app's own connection: no one calls sync_now.
    let written = Instant::now();
    add_client(&mut a, "Woken");
    wait_until("B has A's new client", 10, || clients(&b) == 4);
    let through_core = written.elapsed();

    // By another process: the `vetdesk` CLI on A's data folder.
    let written = Instant::now();
    let (done, _, err) = super::vetdesk(
        dirs.0.path(),
        &["client", "add", "--first", "Cli", "--last", "Written"],
    );
    assert!(done, "{err}");
    wait_until("B has the client the CLI wrote on A", 10, || {
        clients(&b) == 5
    });
    let through_cli = written.elapsed();
    assert!(
        through_core < options.interval / 4 && through_cli < options.interval / 4,
        "{through_core:?} {through_cli:?}"
    );
    engine_a.stop();
    engine_b.stop();
}
