//! Sync under faults, through the real server and PostgreSQL: PostgreSQL crashing and
//! the server killed while a device pushes, a device killed (SIGKILL) at many points of
//! its rounds, every envelope delivered twice, and a device whose clock is hours ahead.
//! The property each checks: nothing acknowledged is lost, nothing is stored or applied
//! twice, and the devices end with identical records.

use std::time::{Duration, Instant};

use vetdesk_core::Store;
use vetdesk_core::services::clients::ClientInput;
use vetdesk_core::sources::ManualClock;
use vetdesk_core::sync::SyncError;
use vetdesk_core::sync_http::sync_with_stored_server;

use super::{
    ServerProcess, canonical, enroll_device, ok, protection, runtime, set_up_sync, sync, vetdesk,
};

/// Adds `n` clients on `store`, each in its own transaction (one changeset each).
fn add_clients(store: &mut Store, n: usize, tag: &str) {
    let admin = ok(store.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    for i in 0..n {
        let input = ClientInput {
            first_name: format!("{tag}{i}"),
            last_name: "Faultline".into(),
            ..ClientInput::default()
        };
        ok(store.transact(&admin, |tx| tx.create_client(&input)));
    }
}

fn demo_store(dir: &std::path::Path, clients: u32) -> Store {
    let mut store = ok(Store::create(
        dir,
        "Faultline Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    ok(vetdesk_core::demo::generate(
        &mut store,
        vetdesk_core::demo::DemoOptions {
            clients,
            seed: 4,
            history_days: 20,
        },
        &mut |_, _| {},
    ));
    store
}

/// Rounds until one succeeds with nothing pending; returns how many failed.
fn sync_until_done(store: &mut Store) -> Result<usize, String> {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut failures = 0;
    while Instant::now() < deadline {
        let outcome = sync_with_stored_server(store, &mut |_, _| {});
        match outcome {
            Ok(report) if report.push_refused.is_none() && ok(store.sync_state()).pending == 0 => {
                return Ok(failures);
            }
            Ok(_) | Err(SyncError::Offline(_) | SyncError::Unavailable(_)) => failures += 1,
            Err(e) => return Err(e.to_string()),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("still not synced after {failures} failed rounds"))
}

/// Starts pushing `store`'s pending changesets on another thread (rounds until all are
/// acknowledged) and returns once the server holds more of them than before — mid-push.
fn push_once_the_server_has_some(
    mut store: Store,
    stored: impl Fn() -> i64,
) -> std::thread::JoinHandle<(Store, Result<usize, String>)> {
    let before = stored();
    let pusher = std::thread::spawn(move || {
        let failures = sync_until_done(&mut store);
        (store, failures)
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while stored() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    pusher
}

/// (rows, distinct (device, seq)) of one device's envelopes on the server.
fn envelope_rows(
    runtime: &tokio::runtime::Runtime,
    pool: &sqlx::PgPool,
    device: uuid::Uuid,
) -> (i64, i64) {
    runtime.block_on(async {
        ok(sqlx::query_as(
            "SELECT count(*), count(DISTINCT device_seq) FROM envelopes WHERE device_id = $1",
        )
        .bind(device)
        .fetch_one(pool)
        .await)
    })
}

fn local_changesets(store: &Store) -> i64 {
    ok(store
        .connection_for_tests()
        .query_row("SELECT count(*) FROM local_changesets", [], |r| r.get(0)))
}

#[test]
fn pushes_through_a_postgres_crash_and_a_killed_server_lose_nothing_and_store_nothing_twice() {
    let runtime = runtime();
    let mut cluster = ok(vetdesk_testkit::OwnCluster::start());
    let database_url = runtime.block_on(cluster.fresh_database_url());
    let mut server = ServerProcess::start(&database_url);
    let watch_pool = runtime.block_on(async {
        ok(sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&database_url)
            .await)
    });
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = demo_store(dirs.0.path(), 4);
    set_up_sync(&mut a, &server.url());
    assert_eq!(sync_until_done(&mut a), Ok(0));
    let device = a.device_id();

    // 1. PostgreSQL crashes while A pushes 1,500 changesets (6 requests), and comes back.
    add_clients(&mut a, 1500, "Pg");
    let pusher =
        push_once_the_server_has_some(a, || envelope_rows(&runtime, &watch_pool, device).0);
    let at_crash = envelope_rows(&runtime, &watch_pool, device).0;
    ok(cluster.crash());
    std::thread::sleep(Duration::from_millis(700));
    ok(cluster.restart());
    let (mut a, failures) = pusher.join().unwrap_or_else(|_| panic!("pusher panicked"));
    let failures = ok(failures);
    let (rows, distinct) = envelope_rows(&runtime, &watch_pool, device);
    assert_eq!(
        (rows, distinct),
        (local_changesets(&a), local_changesets(&a))
    );
    eprintln!(
        "postgres crash: {at_crash} of {rows} envelopes stored when it crashed; the pusher failed {failures} rounds"
    );

    // 2. The server is killed (SIGKILL) while A pushes, and started again.
    add_clients(&mut a, 1500, "Kill");
    let pusher =
        push_once_the_server_has_some(a, || envelope_rows(&runtime, &watch_pool, device).0);
    server.kill();
    let at_kill = envelope_rows(&runtime, &watch_pool, device).0;
    std::thread::sleep(Duration::from_millis(500));
    server.restart();
    let (mut a, failures) = pusher.join().unwrap_or_else(|_| panic!("pusher panicked"));
    ok(failures);
    let (rows, distinct) = envelope_rows(&runtime, &watch_pool, device);
    assert_eq!(
        (rows, distinct),
        (local_changesets(&a), local_changesets(&a))
    );
    eprintln!("server kill: {at_kill} of {rows} envelopes were stored when it died");

    // A new device receives exactly A's records.
    let mut b = enroll_device(&server.url(), &mut a, dirs.1.path());
    assert_eq!(sync_until_done(&mut b), Ok(0));
    assert_eq!(ok(a.digest()), ok(b.digest()));
    assert!(canonical(&a) == canonical(&b));
}

#[test]
fn a_device_killed_at_many_points_of_its_rounds_resumes_without_loss_or_double_apply() {
    let runtime = runtime();
    let (url, pool) = vetdesk_e2e::sync_server::start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = demo_store(dirs.0.path(), 20);
    set_up_sync(&mut a, &url);
    assert_eq!(sync_until_done(&mut a), Ok(0));
    let mut b = enroll_device(&url, &mut a, dirs.1.path());
    // B has work of its own to push (its staff came in a first pull), and 1,500 of A's
    // changesets to pull; from here on it is only reached through the CLI.
    sync_until_done(&mut b).unwrap_or_else(|e| panic!("{e}"));
    add_clients(&mut b, 600, "Exam");
    add_clients(&mut a, 1500, "Desk");
    assert_eq!(sync_until_done(&mut a), Ok(0));
    let b_device = b.device_id();
    let b_changesets = local_changesets(&b);
    drop(b);

    // `vetdesk sync` on B (pull A's clinic, push B's 600), killed at spread-out moments.
    let binary = ok(vetdesk_e2e::built_binary("vetdesk"));
    let mut killed_mid_round = 0;
    for delay_ms in [40u64, 80, 130, 200, 280, 380, 500, 650, 850] {
        let mut round = ok(std::process::Command::new(&binary)
            .arg("sync")
            .env("VETDESK_DATA_DIR", dirs.1.path())
            .env("VETDESK_PASSPHRASE", "a long test passphrase")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn());
        std::thread::sleep(Duration::from_millis(delay_ms));
        if ok(round.try_wait()).is_none() {
            killed_mid_round += 1;
            let _ = round.kill();
        }
        let _ = round.wait();
    }
    let (done, out, err) = vetdesk(dirs.1.path(), &["sync"]);
    assert!(done, "{out} {err}");
    let (done, out, err) = vetdesk(dirs.1.path(), &["audit", "verify"]);
    assert!(done, "{out} {err}");
    eprintln!("device killed mid-round {killed_mid_round} of 9 times");

    let b = ok(Store::open(
        dirs.1.path(),
        &vetdesk_core::Unlock::with_passphrase("a long test passphrase"),
    ));
    assert_eq!(
        local_changesets(&b),
        b_changesets,
        "no local change lost or remade"
    );
    let (rows, distinct) = runtime.block_on(async {
        ok(sqlx::query_as::<_, (i64, i64)>(
            "SELECT count(*), count(DISTINCT device_seq) FROM envelopes WHERE device_id = $1",
        )
        .bind(b_device)
        .fetch_one(&pool)
        .await)
    });
    assert_eq!((rows, distinct), (b_changesets, b_changesets));
    assert_eq!(sync_until_done(&mut a), Ok(0));
    assert_eq!(ok(a.digest()), ok(b.digest()));
    assert!(canonical(&a) == canonical(&b));
}

#[test]
fn every_envelope_delivered_twice_changes_nothing() {
    let runtime = runtime();
    let (url, pool) = vetdesk_e2e::sync_server::start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = demo_store(dirs.0.path(), 20);
    set_up_sync(&mut a, &url);
    sync(&mut a);
    let mut b = enroll_device(&url, &mut a, dirs.1.path());
    sync(&mut b);
    let digest = ok(b.digest());

    // A's acknowledgement was lost: it pushes everything again. The server keeps one
    // copy of each and acknowledges up to the same seq.
    let acknowledged = ok(a.sync_state()).acknowledged_seq;
    ok(a.connection_for_tests()
        .execute("UPDATE sync_state SET pushed_seq = 0", []));
    let again = sync(&mut a);
    assert_eq!(again.acknowledged_seq, acknowledged);
    let rows: i64 = runtime.block_on(async {
        ok(sqlx::query_scalar("SELECT count(*) FROM envelopes")
            .fetch_one(&pool)
            .await)
    });
    assert_eq!(rows, local_changesets(&a));

    // B's cursor was lost: it pulls and applies the whole clinic again.
    ok(b.connection_for_tests()
        .execute("UPDATE sync_state SET cursor = 0", []));
    let report = sync(&mut b);
    assert!(report.pulled_envelopes > 0);
    assert_eq!(report.applied.applied, 0, "{report:?}");
    assert_eq!(report.applied.skipped, report.pulled_envelopes);
    assert_eq!(ok(b.digest()), digest);
}

#[test]
fn a_device_with_its_clock_hours_ahead_is_held_and_reported_until_the_others_catch_up() {
    let runtime = runtime();
    let (url, _pool) = vetdesk_e2e::sync_server::start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let now = time::OffsetDateTime::now_utc();
    let mut a = demo_store(dirs.0.path(), 5);
    a.set_time_source(std::sync::Arc::new(ManualClock::at(now)));
    set_up_sync(&mut a, &url);
    sync(&mut a);
    let mut b = enroll_device(&url, &mut a, dirs.1.path());
    sync(&mut b);

    // B's clock runs three hours fast; what it writes is stamped three hours ahead.
    b.set_time_source(std::sync::Arc::new(ManualClock::at(
        now + time::Duration::hours(3),
    )));
    add_clients(&mut b, 1, "Skewed");
    let report = sync(&mut b);
    let skew = report.server_clock_skew_ms.unwrap_or(0);
    assert!(
        skew < -2 * 3_600_000,
        "B is told its clock is off: {report:?}"
    );

    // A does not adopt B's clock: the change waits, and A says why.
    let report = sync(&mut a);
    let held = &report.applied.clock_skew;
    assert!(!held.is_empty(), "{report:?}");
    assert!(held.iter().all(|h| h.ahead_ms > 2 * 3_600_000), "{held:?}");
    assert_eq!(ok(a.held_changesets()), held.len() as u64);
    assert_ne!(ok(a.digest()), ok(b.digest()));
    // A's own writes still carry A's clock, not B's.
    add_clients(&mut a, 1, "Local");
    sync(&mut a);

    // Once real time reaches B's stamp, the held change applies and all agree. (Moving
    // A's clock alone would not do: A's next pull would find A three hours ahead of
    // the server and correct for it. A test cannot move the server's clock, so three
    // hours passing for everyone is a bound that the gap is within.)
    a.set_max_remote_ahead_ms(4 * 3_600_000);
    sync(&mut a);
    assert_eq!(ok(a.held_changesets()), 0);
    b.set_time_source(std::sync::Arc::new(ManualClock::at(
        now + time::Duration::hours(3) + time::Duration::minutes(2),
    )));
    sync(&mut b);
    assert_eq!(ok(a.digest()), ok(b.digest()));
}
