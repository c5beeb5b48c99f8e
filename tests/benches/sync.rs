//! Sync benchmarks (issue 4 §7), printed as a table; run by `make bench`.
//!
//! 1. **Ingest**: 50 simulated devices (10 clinics × 5) push and pull at the same time
//!    against one in-process server over real HTTP, on a PostgreSQL cluster with full
//!    durability (fsync on). Each device pushes 1,000 sealed envelopes
//!    (`CHANGES_PER_ENVELOPE` changes each) in batches, and pulls its clinic's news
//!    after each push (or once at the end). Reported: changes/s stored, p50/p95/p99 push latency; baseline: one
//!    `COPY` of the same rows (same bytes, same indexes) into a twin table, same cluster.
//! 2. **New device**: a clinic of exactly `BENCH_SYNC_CHANGES` (default 1,000,000)
//!    changes — a demo clinic topped up with phone-number edits — is uploaded by its
//!    first device; then the real release `vetdesk sync` on a newly enrolled device
//!    pulls and applies all of it. Reported: wall time and the process's peak RSS
//!    (`VmHWM`, read every 20 ms while it runs); the two devices' digests must match.
//! 3. **Key rotation** (issue 15, requirement 9): a clinic of 20 devices over the same
//!    server; one is revoked. Reported: the admin's `revoke_device` (the server's
//!    revocation, the revocation sent under the old key, the new epoch's 18 grants made
//!    and handed over), making an epoch alone, and a remaining member's first round
//!    after it (taking its grant, then the news) beside an idle round of the same
//!    member (the baseline).

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use uuid::Uuid;
use vetdesk_core::envelope::{self, DataKey};
use vetdesk_core::hlc::Hlc;
use vetdesk_core::signing::DeviceSigner;
use vetdesk_core::sync::{SyncError, Transport, sync_once};
use vetdesk_core::sync_http::HttpTransport;
use vetdesk_core::{Change, Changeset, KeyProtection, Op, SignedChangeset, Store, Value};
use vetdesk_testkit::{Durability, OwnCluster};
use zeroize::Zeroizing;

const CLINICS: usize = 10;
const DEVICES_PER_CLINIC: usize = 5;
/// Envelopes each device pushes in a run.
const ENVELOPES_PER_DEVICE: usize = 1000;
const CHANGES_PER_ENVELOPE: usize = 10;
const PASSPHRASE: &str = "bench passphrase";

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// A sync server on a free port over `database_url`; returns its URL.
fn start_server(runtime: &tokio::runtime::Runtime, database_url: &str) -> String {
    runtime.block_on(async {
        let pool = ok(vetdesk_sync_server::db::connect_and_migrate(database_url, 32).await);
        let listener = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
        let address = ok(listener.local_addr());
        let mut state = vetdesk_sync_server::AppState::new(
            pool,
            vetdesk_sync_server::registration::Registration::Open,
        );
        // 50 devices enroll from one address here; a real clinic's are fewer.
        state.address_limiter =
            vetdesk_sync_server::metrics::address_limiter(1_000, Duration::from_millis(1));
        let app = vetdesk_sync_server::app(state, vetdesk_sync_server::DEFAULT_MAX_BODY_BYTES);
        tokio::spawn(vetdesk_sync_server::serve(
            listener,
            app,
            std::future::pending(),
        ));
        format!("http://{address}")
    })
}

/// One simulated device: its identity, token and the envelopes it will push.
struct SimulatedDevice {
    token: String,
    batches: Vec<Vec<Vec<u8>>>,
}

/// `ENVELOPES_PER_DEVICE` sealed envelopes of phone-number edits, as `device` would
/// make them, in batches of `batch`.
fn envelopes_of(
    clinic: Uuid,
    device: Uuid,
    key: &DataKey,
    node: u64,
    batch: usize,
) -> Vec<Vec<Vec<u8>>> {
    let start_ms = unix_ms_now();
    let mut seq = 0u64;
    let signer = DeviceSigner::from_secret(&Zeroizing::new(rand::random()));
    (0..ENVELOPES_PER_DEVICE / batch)
        .map(|_| {
            (0..batch)
                .map(|_| {
                    seq += 1;
                    let hlc = ok(Hlc::new(start_ms + seq, 0, node)).to_bytes();
                    let changes = (0..CHANGES_PER_ENVELOPE)
                        .map(|i| Change {
                            table: "clients".into(),
                            row: Uuid::new_v4(),
                            op: Op::Set {
                                column: "phone".into(),
                                value: Value::Text(format!(
                                    "+44 20 7946 {:04}",
                                    (seq + i as u64) % 10_000
                                )),
                                base: None,
                            },
                        })
                        .collect();
                    let changeset = Changeset {
                        device,
                        seq,
                        schema_version: *vetdesk_core::SCHEMA_VERSION,
                        hlc,
                        author: Some(Uuid::nil()),
                        changes,
                    };
                    let signed = SignedChangeset::sign(changeset, clinic, &signer);
                    ok(envelope::seal(&signed, clinic, key))
                })
                .collect()
        })
        .collect()
}

#[allow(clippy::disallowed_methods)] // a benchmark binary is an edge: it reads the clock
fn unix_ms_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0))
}

/// Registers `CLINICS × DEVICES_PER_CLINIC` devices the way real ones enroll.
fn register_devices(url: &str, batch: usize) -> Vec<SimulatedDevice> {
    let mut devices = Vec::new();
    for c in 0..CLINICS {
        // The clinic id is made from its first device's key, which signs its
        // management requests (invitations, approvals).
        let signer = DeviceSigner::from_secret(&Zeroizing::new(rand::random()));
        let clinic = vetdesk_proto::management::clinic_id_founded_by(&signer.public_key());
        let key = DataKey::random(1);
        let first = Uuid::now_v7();
        let first_token = vetdesk_core::sync_http::new_device_token();
        ok(HttpTransport::new(url, None).create_clinic(
            clinic,
            first,
            signer.public_key(),
            &first_token,
            None,
        ));
        let mut admin = HttpTransport::new(url, Some(first_token.clone())).signing_management(
            vetdesk_core::sync_http::ManagementSigner {
                clinic,
                device: first,
                signer: Arc::new(signer),
                next_counter: 1,
                reserved_to: u64::MAX,
            },
        );
        devices.push(SimulatedDevice {
            token: first_token,
            batches: envelopes_of(
                clinic,
                first,
                &key,
                (c * DEVICES_PER_CLINIC) as u64 + 1,
                batch,
            ),
        });
        for d in 1..DEVICES_PER_CLINIC {
            let device = Uuid::now_v7();
            let code = ok(admin.enrollment_code(600)).code;
            let public_key: [u8; 32] = rand::random();
            // The introduction is opaque to the server: a sealed name's size is enough.
            let enrolled = ok(HttpTransport::new(url, None).enroll(
                &code,
                device,
                public_key,
                vec![1; 60],
                &vetdesk_core::sync_http::new_device_token(),
            ));
            ok(admin.approve(device, 1, vec![7; 80], false));
            devices.push(SimulatedDevice {
                token: enrolled.token,
                batches: envelopes_of(
                    clinic,
                    device,
                    &key,
                    (c * DEVICES_PER_CLINIC + d) as u64 + 1,
                    batch,
                ),
            });
        }
    }
    devices
}

/// What one device saw: push latencies, envelopes pulled, retries after 429/503.
struct DeviceRun {
    push_latencies: Vec<Duration>,
    /// When its last push was acknowledged.
    pushes_done: Instant,
    pulled: usize,
    retries: usize,
}

fn run_device(
    url: &str,
    device: SimulatedDevice,
    pull_between: bool,
    start: &Barrier,
    pushed: &Barrier,
) -> DeviceRun {
    let mut transport = HttpTransport::new(url, Some(device.token));
    let mut run = DeviceRun {
        push_latencies: Vec::with_capacity(device.batches.len()),
        pulled: 0,
        retries: 0,
        pushes_done: Instant::now(),
    };
    let mut cursor = 0u64;
    start.wait();
    let rounds = device.batches.len();
    let batch_len = device.batches.first().map_or(0, Vec::len);
    for (round, batch) in device.batches.into_iter().enumerate() {
        loop {
            let started = Instant::now();
            match transport.push(batch.clone()) {
                Ok(response) => {
                    run.push_latencies.push(started.elapsed());
                    assert_eq!(response.results.len(), batch_len);
                    break;
                }
                Err(SyncError::Unavailable(_)) => {
                    run.retries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("push: {e}"),
            }
        }
        // After the last push, wait for every device's, so the last pull sees all.
        if round + 1 == rounds {
            run.pushes_done = Instant::now();
            pushed.wait();
        } else if !pull_between {
            continue;
        }
        loop {
            match transport.pull(cursor, 4 << 20) {
                Ok(page) => {
                    run.pulled += page.envelopes.len();
                    cursor = page.next;
                    if !page.has_more {
                        break;
                    }
                }
                Err(SyncError::Unavailable(_)) => {
                    run.retries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("pull: {e}"),
            }
        }
    }
    run
}

/// One `envelopes` row: clinic, server seq, envelope id, device, device seq, key id,
/// HLC ms, body.
type StoredRow = (Uuid, i64, Uuid, Uuid, i64, i32, i64, Vec<u8>);

/// The same rows the server stored, `COPY`ed into a twin table with the same indexes.
fn copy_baseline(runtime: &tokio::runtime::Runtime, database_url: &str) -> (Duration, usize) {
    runtime.block_on(async {
        use sqlx::Connection;
        let mut conn = ok(sqlx::PgConnection::connect(database_url).await);
        ok(sqlx::query(
            "CREATE TABLE envelopes_copy (LIKE envelopes INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)",
        )
        .execute(&mut conn)
        .await);
        // The exact rows, as text COPY input (bytea in hex), built before timing.
        let rows: Vec<StoredRow> = ok(sqlx::query_as(
            "SELECT clinic_id, server_seq, envelope_id, device_id, device_seq, key_id, hlc_ms, body FROM envelopes",
        )
        .fetch_all(&mut conn)
        .await);
        let mut input = String::new();
        for (clinic, seq, id, device, device_seq, key, hlc, body) in &rows {
            use std::fmt::Write;
            let _ = write!(input, "{clinic}\t{seq}\t{id}\t{device}\t{device_seq}\t{key}\t{hlc}\t\\\\x");
            for byte in body {
                let _ = write!(input, "{byte:02x}");
            }
            input.push_str("\t2026-01-01 00:00:00+00\n");
        }
        let started = Instant::now();
        let mut copy = ok(conn
            .copy_in_raw(
                "COPY envelopes_copy (clinic_id, server_seq, envelope_id, device_id, device_seq, key_id, hlc_ms, body, received_at) FROM STDIN",
            )
            .await);
        for chunk in input.as_bytes().chunks(1 << 20) {
            ok(copy.send(chunk).await);
        }
        ok(copy.finish().await);
        (started.elapsed(), rows.len())
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

/// One ingest run: every device pushes its envelopes `batch` at a time; with
/// `pull_between` it pulls after each push, else once at the end.
fn ingest(rows: &mut Vec<[String; 5]>, batch: usize, pull_between: bool) {
    let (runtime, _cluster, database_url, url) = server_on_own_cluster();
    eprintln!(
        "  registering {} devices and sealing their envelopes…",
        CLINICS * DEVICES_PER_CLINIC
    );
    let devices = register_devices(&url, batch);
    let count = devices.len();
    let start = Arc::new(Barrier::new(count + 1));
    let pushed = Arc::new(Barrier::new(count));
    let threads: Vec<_> = devices
        .into_iter()
        .map(|device| {
            let (url, start, pushed) = (url.clone(), Arc::clone(&start), Arc::clone(&pushed));
            std::thread::spawn(move || run_device(&url, device, pull_between, &start, &pushed))
        })
        .collect();
    eprintln!("  {count} devices pushing and pulling…");
    start.wait();
    let started = Instant::now();
    let runs: Vec<DeviceRun> = threads
        .into_iter()
        .map(|t| {
            t.join()
                .unwrap_or_else(|_| panic!("a device thread panicked"))
        })
        .collect();
    // Ingest time: until the last push was acknowledged (the final pulls come after).
    let wall = runs
        .iter()
        .map(|r| r.pushes_done)
        .max()
        .map_or_else(|| started.elapsed(), |done| done - started);
    let mut latencies: Vec<Duration> = runs.iter().flat_map(|r| r.push_latencies.clone()).collect();
    latencies.sort();
    let envelopes = count * ENVELOPES_PER_DEVICE;
    let changes = envelopes * CHANGES_PER_ENVELOPE;
    let pulled: usize = runs.iter().map(|r| r.pulled).sum();
    let retries: usize = runs.iter().map(|r| r.retries).sum();
    // Each device sees every envelope of its clinic, its own included.
    assert_eq!(pulled, envelopes * DEVICES_PER_CLINIC);
    let rate = changes as f64 / wall.as_secs_f64();
    eprintln!("  COPY of the same rows…");
    let (copy_time, copied) = copy_baseline(&runtime, &database_url);
    assert_eq!(copied, envelopes);
    let copy_rate = changes as f64 / copy_time.as_secs_f64();
    let pulling = if pull_between {
        "each pulling after every push"
    } else {
        "pulling once at the end"
    };
    rows.push([
        format!(
            "ingest: {count} devices × {} pushes of {batch} envelopes ({CHANGES_PER_ENVELOPE} changes each), {pulling}",
            ENVELOPES_PER_DEVICE / batch
        ),
        format!(
            "{:.2} s = {:.0} changes/s ({:.0} envelopes/s); {pulled} envelopes pulled; {retries} retries",
            wall.as_secs_f64(),
            rate,
            envelopes as f64 / wall.as_secs_f64()
        ),
        format!(
            "COPY of the same {envelopes} rows: {:.2} s = {:.0} changes/s",
            copy_time.as_secs_f64(),
            copy_rate
        ),
        format!("{:.0}% of COPY", 100.0 * rate / copy_rate),
        "≥ 50% of COPY".into(),
    ]);
    rows.push([
        format!(
            "  push latency over {} pushes (p50 / p95 / p99)",
            latencies.len()
        ),
        format!(
            "{} / {} / {}",
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.95)),
            ms(percentile(&latencies, 0.99))
        ),
        "—".into(),
        "—".into(),
        "p95 ≤ 50 ms".into(),
    ]);
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// A store for `dir` with the bench passphrase.
fn protection() -> KeyProtection {
    KeyProtection::Passphrase(Zeroizing::new(PASSPHRASE.into()))
}

/// Makes the first device's clinic: a demo, topped up with phone edits to `total` changes.
fn clinic_of_changes(dir: &std::path::Path, total: usize) -> Store {
    let mut store = ok(Store::create(
        dir,
        "Benchmark Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    let clients = u32::try_from((total / 100).clamp(10, 5_000)).unwrap_or(5_000);
    ok(vetdesk_core::demo::generate(
        &mut store,
        vetdesk_core::demo::DemoOptions {
            clients,
            seed: 1,
            history_days: 365,
        },
        &mut |_, _| {},
    ));
    let have: usize = ok(store.pending_changesets(0, usize::MAX))
        .iter()
        .map(|c| c.changes.len())
        .sum();
    assert!(have <= total, "the demo alone has {have} changes");
    let admin = ok(store.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let ids: Vec<Uuid> = {
        let conn = store.connection_for_tests();
        let mut stmt = ok(conn.prepare("SELECT id FROM clients ORDER BY id"));
        ok(stmt.query_map([], |r| r.get::<_, String>(0)))
            .filter_map(|r| r.ok().and_then(|s| Uuid::parse_str(&s).ok()))
            .collect()
    };
    // Signing in writes an audit event: count what is there now.
    let log = ok(store.pending_changesets(0, usize::MAX));
    let mut have: usize = log.iter().map(|c| c.changes.len()).sum();
    let mut last_seq = log.last().map_or(0, |c| c.seq);
    let mut i = 0usize;
    while have < total {
        // Each transaction also writes one audit change.
        let edits = (total - have - 1).min(998);
        if edits == 0 {
            break;
        }
        ok(store.transact(&admin, |tx| {
            for _ in 0..edits {
                tx.set(
                    &vetdesk_core::schema::CLIENTS,
                    ids[i % ids.len()],
                    "phone",
                    Value::Text(format!("+44 20 7946 {:04}", i % 10_000)),
                )?;
                i += 1;
            }
            Ok(())
        }));
        for changeset in ok(store.pending_changesets(last_seq, usize::MAX)) {
            have += changeset.changes.len();
            last_seq = changeset.seq;
        }
    }
    store
}

/// A runtime, a PostgreSQL cluster with full durability (kept while the result lives)
/// and the sync server on a fresh database of it; returns the database's and the
/// server's URLs.
fn server_on_own_cluster() -> (tokio::runtime::Runtime, OwnCluster, String, String) {
    let runtime = ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build());
    let cluster = ok(OwnCluster::start_with(Durability::Full));
    let database_url = runtime.block_on(cluster.fresh_database_url());
    let url = start_server(&runtime, &database_url);
    (runtime, cluster, database_url, url)
}

fn new_device(rows: &mut Vec<[String; 5]>, total: usize) {
    let (_runtime, _cluster, _, url) = server_on_own_cluster();
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    eprintln!("  making a clinic of {total} changes…");
    let mut first = clinic_of_changes(dirs.0.path(), total);
    let changes: usize = ok(first.pending_changesets(0, usize::MAX))
        .iter()
        .map(|c| c.changes.len())
        .sum();

    eprintln!("  the first device uploads {changes} changes…");
    let (token, address) = register_first(&mut first, &url);
    let started = Instant::now();
    ok(sync_once(
        &mut first,
        &mut HttpTransport::new(&url, Some(token.clone())),
        &mut |_, _| {},
    ));
    let upload = started.elapsed();

    // A new device, enrolled and approved the way the CLI does it.
    let owner = ok(first.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    // Approving and revoking are admin acts: her authenticator, set up and confirmed.
    ok(first.enroll_second_factor_for_tests(&owner));
    let (mut second, second_token) =
        join_approved(&mut first, &owner, &url, &token, &address, dirs.1.path());
    // The approval (and the sign-in before it) go up before the new device pulls.
    let first_token = ok(first.sync_credentials()).unwrap_or_default().1;
    ok(sync_once(
        &mut first,
        &mut HttpTransport::new(&url, Some(first_token)),
        &mut |_, _| {},
    ));
    let wrapped = ok(HttpTransport::new(&url, Some(second_token)).sealed_key());
    ok(second.accept_sealed_clinic_key(wrapped.key_id, &wrapped.wrapped_key));
    drop(second);

    eprintln!("  the new device pulls them with `vetdesk sync` (release)…");
    let binary = ok(vetdesk_e2e::built_binary("vetdesk"));
    let started = Instant::now();
    let mut child = ok(std::process::Command::new(binary)
        .arg("sync")
        .env("VETDESK_DATA_DIR", dirs.1.path())
        .env("VETDESK_PASSPHRASE", PASSPHRASE)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(status) = ok(child.try_wait()) {
            break status;
        }
        // (`getrusage(RUSAGE_CHILDREN)` is no use: a child spawned with vfork inherits
        // the spawner's high-water mark, which is this benchmark's own.)
        peak_kb = peak_kb.max(vetdesk_testkit::peak_rss_kb(Some(child.id())));
        std::thread::sleep(Duration::from_millis(20));
    };
    let pull = started.elapsed();
    assert!(status.success(), "vetdesk sync failed");
    let peak_rss_mb = peak_kb as f64 / 1024.0;
    let second = ok(Store::open(
        dirs.1.path(),
        &vetdesk_core::Unlock::with_passphrase(PASSPHRASE),
    ));
    assert_eq!(
        ok(first.digest()),
        ok(second.digest()),
        "the devices differ"
    );
    rows.push([
        format!("new device: `vetdesk sync` pulls and applies {changes} changes"),
        format!(
            "{:.1} s = {:.0} changes/s; peak RSS {peak_rss_mb:.0} MB",
            pull.as_secs_f64(),
            changes as f64 / pull.as_secs_f64()
        ),
        "atuin 85k records in 42 s; Zero 2.3M rows in 22.5 s (reported)".into(),
        format!(
            "{:.0}% of the 30 s budget",
            100.0 * pull.as_secs_f64() / 30.0
        ),
        "≤ 30 s, ≤ 500 MB".into(),
    ]);
    rows.push([
        format!("  the first device uploading the same {changes} changes"),
        format!(
            "{:.1} s = {:.0} changes/s",
            upload.as_secs_f64(),
            changes as f64 / upload.as_secs_f64()
        ),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
}

/// Registers `first`'s clinic on the server at `url` as its first device; returns its
/// token and the server's address as stored.
fn register_first(
    first: &mut Store,
    url: &str,
) -> (String, vetdesk_core::server_address::ServerAddress) {
    ok(first.ensure_clinic_key());
    let clinic = ok(Uuid::parse_str(&ok(first.status()).clinic_id));
    let token = vetdesk_core::sync_http::new_device_token();
    ok(HttpTransport::new(url, None).create_clinic(
        clinic,
        first.device_id(),
        ok(first.device_public_key()),
        &token,
        None,
    ));
    let address = ok(vetdesk_core::server_address::ServerAddress::parse(
        url,
        vetdesk_core::server_address::LanHttp::Refuse,
    ));
    ok(first.set_sync_server(&address, &token));
    (token, address)
}

/// A new device in `dir`, invited by `first` (token `token`), enrolled and approved
/// by `owner` there; returns it (its clinic key not yet fetched) and its token. Core's
/// own approve/accept with their enrollment proofs are tested in tests/sync; here the
/// grant is the plain sealed key, which the server relays as it is.
fn join_approved(
    first: &mut Store,
    owner: &vetdesk_core::Actor,
    url: &str,
    token: &str,
    address: &vetdesk_core::server_address::ServerAddress,
    dir: &std::path::Path,
) -> (Store, String) {
    let mut admin = HttpTransport::new(url, Some(token.to_string()))
        .signing_management(ok(first.management_signer()));
    let code = ok(admin.enrollment_code(600)).code;
    let mut member = ok(Store::join(
        dir,
        Uuid::nil(),
        "(enrolling)",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    let public_key = ok(member.device_public_key());
    let enrolled = ok(HttpTransport::new(url, None).enroll(
        &code,
        member.device_id(),
        public_key,
        vec![1; 60],
        &vetdesk_core::sync_http::new_device_token(),
    ));
    ok(member.adopt_clinic(enrolled.clinic_id));
    ok(member.set_sync_server(address, &enrolled.token));
    let (key_id, sealed) =
        ok(first.admit_device(owner, member.device_id(), &public_key, None, false));
    ok(admin.approve(member.device_id(), key_id, sealed, false));
    (member, enrolled.token)
}

/// Milliseconds of `f`, and its result.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let started = Instant::now();
    let out = f();
    (started.elapsed().as_secs_f64() * 1000.0, out)
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A clinic of `devices` devices (a small demo clinic on the first), every one synced;
/// then the first revokes the last.
fn rotation(rows: &mut Vec<[String; 5]>, devices: usize) {
    let (_runtime, _cluster, _, url) = server_on_own_cluster();
    let dirs: Vec<tempfile::TempDir> = (0..devices).map(|_| ok(tempfile::tempdir())).collect();
    eprintln!("  a clinic of {devices} devices…");
    let mut first = ok(Store::create(
        dirs[0].path(),
        "Rotation Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    ok(vetdesk_core::demo::generate(
        &mut first,
        vetdesk_core::demo::DemoOptions {
            clients: 20,
            seed: 5,
            history_days: 2,
        },
        &mut |_, _| {},
    ));
    let (token, address) = register_first(&mut first, &url);
    let owner = ok(first.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    // Approving and revoking are admin acts: her authenticator, set up and confirmed.
    ok(first.enroll_second_factor_for_tests(&owner));
    let mut members = Vec::new();
    for dir in &dirs[1..] {
        let (mut member, member_token) =
            join_approved(&mut first, &owner, &url, &token, &address, dir.path());
        let wrapped = ok(HttpTransport::new(&url, Some(member_token)).sealed_key());
        ok(member.accept_sealed_clinic_key(wrapped.key_id, &wrapped.wrapped_key));
        members.push(member);
    }
    let round = |store: &mut Store| {
        ok(vetdesk_core::sync_http::sync_with_stored_server(
            store,
            &mut |_, _| {},
        ))
    };
    round(&mut first);
    for member in &mut members {
        round(member);
    }
    // Idle rounds of every remaining member: the baseline.
    let idle: Vec<f64> = members[..devices - 2]
        .iter_mut()
        .map(|m| timed(|| round(m)).0)
        .collect();

    let revoked = members[devices - 2].device_id();
    let (revoke_ms, ()) = timed(|| ok(first.revoke_device(&owner, revoked)));
    let mut after: Vec<f64> = Vec::new();
    for member in &mut members[..devices - 2] {
        let (took, report) = timed(|| round(member));
        assert_eq!(report.key_grants.keys_added, 1, "{report:?}");
        after.push(took);
    }
    // Making an epoch alone (its grants queued, not sent), a few times.
    let epochs: Vec<f64> = (0..5)
        .map(|_| timed(|| ok(first.start_key_epoch())).0)
        .collect();
    let (idle, after, epoch) = (median_ms(idle), median_ms(after), median_ms(epochs));
    let remaining = devices - 2;
    rows.push([
        format!("rotation: revoke 1 of {devices} devices (revocation sent, {remaining} grants made and sent)"),
        format!("{revoke_ms:.0} ms"),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    rows.push([
        format!(
            "  making the epoch alone: new key, {remaining} grants sealed and signed (median of 5)"
        ),
        format!("{epoch:.1} ms"),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    rows.push([
        format!(
            "  a member's first round after it: its grant, then the news (median of {remaining})"
        ),
        format!("{after:.1} ms"),
        format!("idle round {idle:.1} ms"),
        format!("{:.2}×", after / idle),
        "—".into(),
    ]);
}

#[allow(clippy::disallowed_methods)] // a benchmark binary is an edge: it reads its scale
fn main() {
    let total: usize = std::env::var("BENCH_SYNC_CHANGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let only = std::env::var("BENCH_ONLY").ok();
    let mut rows: Vec<[String; 5]> = Vec::new();
    eprintln!("sync benchmarks");
    if only.as_deref().is_none_or(|o| o == "ingest") {
        ingest(&mut rows, 25, true);
        ingest(&mut rows, 25, false);
        ingest(&mut rows, 250, true);
    }
    if only.as_deref().is_none_or(|o| o == "new-device") {
        new_device(&mut rows, total);
    }
    if only.as_deref().is_none_or(|o| o == "rotation") {
        rotation(&mut rows, 20);
    }
    vetdesk_testkit::print_bench_table(&rows);
}
