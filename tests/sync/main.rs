//! End-to-end sync: real devices (core stores) syncing through the real sync server
//! over HTTP, backed by a real PostgreSQL cluster the test starts itself.
//!
//! Faults (PostgreSQL crashing, the server killed, devices killed mid-round, duplicate
//! deliveries, skewed clocks) are in [`faults`]; the background engine going offline
//! and back in [`engine`].

mod attacks;
mod billing;
mod clinic_ca;
mod engine;
mod enrollment_attacks;
mod faults;
mod hostile;
mod key_rotation;
mod lost_answers;
mod restored;
mod tampering;

use std::sync::Arc;

use sha2::{Digest, Sha256};
use uuid::Uuid;
use vetdesk_core::demo::{DemoOptions, generate};
use vetdesk_core::sources::ManualClock;
use vetdesk_core::sync_http::HttpTransport;
use vetdesk_core::{KeyProtection, Store};
use zeroize::Zeroizing;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

use vetdesk_e2e::sync_server::{start_instance, start_server};

/// The real `vetdesk-sync-server` binary as a process of its own, so a test can kill
/// it with SIGKILL and start it again on the same address.
struct ServerProcess {
    child: std::process::Child,
    database_url: String,
    listen: String,
}

impl ServerProcess {
    fn start(database_url: &str) -> Self {
        let listen = ok(std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()));
        Self::start_on(database_url, &listen.to_string())
    }

    fn start_on(database_url: &str, listen: &str) -> Self {
        let binary = ok(vetdesk_e2e::built_binary("vetdesk-sync-server"));
        let child = ok(std::process::Command::new(binary)
            .args(["--database-url", database_url, "--listen", listen])
            .args(["--registration", "open"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn());
        // It migrates, then listens: accepting a connection means ready.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(listen).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the sync server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self {
            child,
            database_url: database_url.to_string(),
            listen: listen.to_string(),
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// SIGKILL: no graceful shutdown, connections cut mid-request.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn restart(&mut self) {
        self.kill();
        *self = Self::start_on(&self.database_url.clone(), &self.listen.clone());
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build())
}

/// Makes `store` its clinic's first syncing device: the clinic key, the clinic on the
/// server, the token. Returns the clinic id.
fn set_up_sync(store: &mut Store, url: &str) -> Uuid {
    ok(store.ensure_clinic_key());
    let clinic = ok(Uuid::parse_str(&ok(store.status()).clinic_id));
    let token = vetdesk_core::sync_http::new_device_token();
    ok(HttpTransport::new(url, None).create_clinic(
        clinic,
        store.device_id(),
        ok(store.device_public_key()),
        &token,
        None,
    ));
    ok(store.set_sync_server(&address(url), &token));
    clinic
}

/// A test server's address (loopback, plain http) as a device stores it.
fn address(url: &str) -> vetdesk_core::server_address::ServerAddress {
    ok(vetdesk_core::server_address::ServerAddress::parse(
        url,
        vetdesk_core::server_address::LanHttp::Refuse,
    ))
}

fn protection() -> KeyProtection {
    KeyProtection::Passphrase(Zeroizing::new("a long test passphrase".to_string()))
}

fn sync(store: &mut Store) -> vetdesk_core::sync::SyncReport {
    ok(vetdesk_core::sync_http::sync_with_stored_server(
        store,
        &mut |_, _| {},
    ))
}

fn canonical(store: &Store) -> Vec<u8> {
    let mut out = Vec::new();
    ok(store.export_canonical_for_tests(&mut out));
    out
}

#[test]
fn a_demo_clinic_syncs_to_a_second_device_and_the_server_holds_no_plaintext() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let (dir_a, dir_b) = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let now = time::OffsetDateTime::now_utc();

    // Device A: a demo clinic, set up for sync (it makes the clinic key and the clinic).
    let mut a = ok(Store::create(
        dir_a.path(),
        "Harbour Vets",
        protection(),
        now,
    ));
    ok(generate(
        &mut a,
        DemoOptions {
            clients: 25,
            seed: 3,
            history_days: 60,
        },
        &mut |_, _| {},
    ));
    let clinic = set_up_sync(&mut a, &url);
    let pushed = sync(&mut a);
    assert!(
        pushed.pushed > 0 && pushed.push_refused.is_none(),
        "{pushed:?}"
    );
    assert_eq!(ok(a.sync_state()).pending, 0);

    // Device B joins: the clinic key and a token, as enrollment will give it.
    let mut b = ok(Store::join(
        dir_b.path(),
        clinic,
        "Harbour Vets",
        protection(),
        now,
    ));
    b.set_time_source(Arc::new(ManualClock::at(time::OffsetDateTime::now_utc())));
    // An admin on A admits B (its key into the membership log) and seals it the key;
    // the approval reaches the server before B pulls.
    let admin = an_admin_of(&mut a);
    let (key_id, sealed) = ok(a.admit_device(
        &admin,
        b.device_id(),
        &ok(b.device_public_key()),
        Some("Front desk"),
        false,
    ));
    ok(b.accept_sealed_clinic_key(key_id, &sealed));
    sync(&mut a);
    let token_b = "device-b-token-for-the-test-only-0123456789";
    runtime.block_on(async {
        ok(sqlx::query("INSERT INTO devices (clinic_id, device_id, token_hash, status) VALUES ($1, $2, $3, 'approved')")
            .bind(clinic)
            .bind(b.device_id())
            .bind(Sha256::digest(token_b.as_bytes()).to_vec())
            .execute(&pool)
            .await);
    });
    ok(b.set_sync_server(&address(&url), token_b));
    let pulled = sync(&mut b);
    assert!(
        pulled.rejected.is_empty()
            && pulled.applied.quarantined == 0
            && pulled.applied.clock_skew.is_empty()
            && pulled.applied.applied > 10,
        "{pulled:?}"
    );
    assert!(canonical(&b) == canonical(&a), "B holds exactly A's clinic");

    // B works offline-first too: its edits reach A.
    let desk = ok(b.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    ok(b.transact(&desk, |tx| {
        tx.create_client(&vetdesk_core::services::clients::ClientInput {
            first_name: "Quentin".into(),
            last_name: "Zyxwerth".into(),
            ..Default::default()
        })
    }));
    sync(&mut b);
    sync(&mut a);
    sync(&mut b);
    assert_eq!(ok(a.digest()), ok(b.digest()));

    // Nothing on the server can be read as a client's or patient's name or a note.
    let secrets: Vec<String> = {
        let conn = a.connection_for_tests();
        let mut words: Vec<String> = Vec::new();
        for sql in [
            "SELECT last_name FROM clients WHERE length(last_name) >= 5 LIMIT 20",
            "SELECT name FROM patients WHERE length(name) >= 5 LIMIT 20",
            "SELECT substr(assessment, 1, 12) FROM encounters WHERE assessment IS NOT NULL LIMIT 5",
        ] {
            let mut stmt = ok(conn.prepare(sql));
            words.extend(ok(stmt.query_map([], |r| r.get::<_, String>(0))).filter_map(Result::ok));
        }
        words.push("Zyxwerth".into());
        words
    };
    assert!(secrets.len() > 20, "{secrets:?}");
    let hits = runtime.block_on(async {
        let columns: Vec<(String, String, String)> = ok(sqlx::query_as(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = 'public'",
        )
        .fetch_all(&pool)
        .await);
        let mut hits = Vec::new();
        for (table, column, ty) in &columns {
            for secret in &secrets {
                // Identifiers come from the catalogue, not from input.
                let sql = if ty == "bytea" {
                    format!("SELECT count(*) FROM \"{table}\" WHERE position(convert_to($1, 'UTF8') in \"{column}\") > 0")
                } else {
                    format!("SELECT count(*) FROM \"{table}\" WHERE \"{column}\"::text ILIKE '%' || $1 || '%'")
                };
                let n: i64 = ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(secret).fetch_one(&pool).await);
                if n > 0 {
                    hits.push(format!("{table}.{column} holds {secret:?}"));
                }
            }
        }
        hits
    });
    assert!(hits.is_empty(), "plaintext on the server: {hits:?}");
}

/// The real `vetdesk` binary on `data_dir`, signed in as the demo clinic's owner.
fn vetdesk_command(data_dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let binary = ok(vetdesk_e2e::built_binary("vetdesk"));
    let mut command = std::process::Command::new(binary);
    command
        .args(args)
        .env("VETDESK_DATA_DIR", data_dir)
        .env("VETDESK_PASSPHRASE", "a long test passphrase")
        .env("VETDESK_STAFF", "Dr Maria Santos")
        .env("VETDESK_PIN", vetdesk_core::demo::DEMO_PIN)
        .env_remove("VETDESK_SYNC_URL")
        .env_remove("VETDESK_CODE")
        .stdin(std::process::Stdio::null());
    if let Some(code) = cli_code(data_dir) {
        command.env("VETDESK_CODE", code);
    }
    command
}

/// `vetdesk devices approve DEVICE --fingerprint FINGERPRINT` on `data_dir`, as an admin
/// types it after comparing the fingerprint the new device shows.
fn approve_with_cli(
    data_dir: &std::path::Path,
    device: &str,
    fingerprint: &str,
) -> (bool, String, String) {
    vetdesk(
        data_dir,
        &["devices", "approve", device, "--fingerprint", fingerprint],
    )
}

/// Runs the real `vetdesk` binary on `data_dir`.
fn vetdesk(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = ok(vetdesk_command(data_dir, args).output());
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_sets_up_sync_runs_rounds_and_says_when_the_server_is_unreachable() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let dir = ok(tempfile::tempdir());
    let data = dir.path().join("clinic");
    let (done, _, err) = vetdesk(
        &data,
        &["demo", "--clients", "8", "--key-store", "passphrase"],
    );
    assert!(done, "{err}");

    let (done, out, err) = vetdesk(&data, &["sync", "setup", "--server", &url]);
    assert!(done, "{out} {err}");
    assert!(
        out.contains("Sync is set up") && out.contains("pushed"),
        "{out}"
    );
    let (done, out, _) = vetdesk(&data, &["sync", "status"]);
    assert!(done && out.contains("pending:       0 changesets"), "{out}");
    let (done, out, err) = vetdesk(&data, &["sync"]);
    assert!(done && out.contains("pushed 0"), "{out} {err}");
    let (again, _, err) = vetdesk(&data, &["sync", "setup", "--server", &url]);
    assert!(!again && err.contains("already set up"), "{err}");

    // The server goes away: the round says so, keeps everything, and status shows it.
    let unreachable = dir.path().join("clinic-2");
    let (done, _, err) = vetdesk(
        &unreachable,
        &["demo", "--clients", "2", "--key-store", "passphrase"],
    );
    assert!(done, "{err}");
    let (done, _, err) = vetdesk(
        &unreachable,
        &["sync", "setup", "--server", "http://127.0.0.1:9"],
    );
    assert!(!done && err.contains("cannot be reached"), "{err}");
    let (_, out, _) = vetdesk(&unreachable, &["sync", "status"]);
    assert!(out.contains("(not set up)"), "{out}");
}

#[test]
fn the_cli_sets_up_sync_on_a_server_that_asks_for_the_operators_registration_token() {
    let runtime = runtime();
    let (url, pool) = vetdesk_e2e::sync_server::start_server_with(
        &runtime,
        vetdesk_sync_server::registration::Registration::Token,
    );
    let dir = ok(tempfile::tempdir());
    let data = dir.path().join("front-desk");
    assert!(
        vetdesk(
            &data,
            &["demo", "--clients", "2", "--key-store", "passphrase"]
        )
        .0
    );
    let (done, _, err) = vetdesk(&data, &["sync", "setup", "--server", &url]);
    assert!(!done && err.contains("registration token"), "{err}");
    let token = runtime.block_on(async {
        ok(vetdesk_sync_server::registration::issue_token(&pool, "Riverside Vets").await)
    });
    let (done, out, err) = vetdesk(
        &data,
        &[
            "sync",
            "setup",
            "--server",
            &url,
            "--registration-token",
            &token,
        ],
    );
    assert!(done, "{out} {err}");
    let (done, out, err) = vetdesk(&data, &["sync"]);
    assert!(done, "{out} {err}");
}

#[test]
fn a_new_device_enrolls_with_a_code_waits_for_approval_then_receives_the_clinic() {
    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let dir = ok(tempfile::tempdir());
    let (first, second) = (dir.path().join("front-desk"), dir.path().join("exam-room"));
    assert!(
        vetdesk(
            &first,
            &["demo", "--clients", "6", "--key-store", "passphrase"]
        )
        .0
    );
    let (done, out, err) = vetdesk(&first, &["sync", "setup", "--server", &url]);
    assert!(done, "{out} {err}");

    // Inviting a device is an admin act: it needs the admin's second factor, which the
    // demo's admin has not set up yet.
    let (refused, _, err) = vetdesk(&first, &["devices", "invite"]);
    assert!(!refused && err.contains("authenticator"), "{err}");
    enroll_cli_admin(&first);
    let (done, code, err) = vetdesk(&first, &["devices", "invite"]);
    assert!(done, "{err}");
    let code = code.trim().to_string();
    assert_eq!(code.len(), 23, "four groups of five: {code}");
    let enroll = |data: &std::path::Path, name: &str| {
        vetdesk(
            data,
            &[
                "enroll",
                "--server",
                &url,
                "--code",
                &code,
                "--name",
                name,
                "--key-store",
                "passphrase",
            ],
        )
    };
    let (done, out, err) = enroll(&second, "Exam room");
    assert!(done, "{out} {err}");
    let fingerprint = enrolled_fingerprint(&out);
    let third = dir.path().join("third");
    let (again, _, err) = enroll(&third, "Spare laptop");
    assert!(
        !again && err.contains("not valid"),
        "a code works once: {err}"
    );
    assert!(!third.exists(), "a failed enrollment leaves nothing behind");

    let (done, _, err) = vetdesk(&second, &["sync"]);
    assert!(!done && err.contains("waiting for an admin"), "{err}");
    let (_, list, _) = vetdesk(&first, &["devices", "list"]);
    let pending = pending_device(&list);
    // The admin sees the new device's name and the fingerprint its own screen shows.
    assert!(
        list.lines().any(|l| l.starts_with(&pending)
            && l.contains(&fingerprint)
            && l.contains("\"Exam room\"")),
        "{fingerprint}: {list}"
    );
    let (refused, _, err) = approve_with_cli(&first, &pending, "0000-0000-0000-0000");
    assert!(!refused && err.contains("fingerprint"), "{err}");
    let (done, out, err) = approve_with_cli(&first, &pending, &fingerprint);
    assert!(done, "{out} {err}");
    // The approval put its key into the clinic's membership log.
    let (_, list, _) = vetdesk(&first, &["devices", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(&pending) && l.contains("member   key ")),
        "{list}"
    );

    let (done, out, err) = vetdesk(&second, &["sync"]);
    assert!(done, "{out} {err}");
    let counts = records_line;
    assert_eq!(counts(&second), counts(&first));
    assert!(counts(&second).contains("6 clients"), "{}", counts(&second));

    // The server holds the clinic key only sealed: the raw key appears nowhere.
    let first_store = ok(Store::open(
        &first,
        &vetdesk_core::Unlock::with_passphrase("a long test passphrase"),
    ));
    let raw: Vec<u8> =
        ok(first_store
            .connection_for_tests()
            .query_row("SELECT key FROM clinic_keys", [], |r| r.get(0)));
    let hits: i64 = runtime.block_on(async {
        ok(sqlx::query_scalar("SELECT count(*) FROM devices WHERE position($1 in coalesce(wrapped_key, ''::bytea)) > 0")
            .bind(&raw)
            .fetch_one(&pool)
            .await)
    });
    assert_eq!(hits, 0);

    let (done, _, err) = vetdesk(&first, &["devices", "revoke", &pending]);
    assert!(done, "{err}");
    let (_, list, _) = vetdesk(&first, &["devices", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(&pending) && l.matches("revoked").count() == 2),
        "revoked on the server and in the log: {list}"
    );
    let (done, _, err) = vetdesk(&second, &["sync"]);
    assert!(!done && err.contains("401"), "revoked: {err}");
}

/// A clinic on device A, syncing, with a demo's records.
pub(crate) fn clinic_on_a(url: &str, dir: &std::path::Path) -> Store {
    let mut a = ok(Store::create(
        dir,
        "Harbour Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    ok(vetdesk_core::demo::generate(
        &mut a,
        vetdesk_core::demo::DemoOptions {
            clients: 3,
            seed: 11,
            history_days: 1,
        },
        &mut |_, _| {},
    ));
    set_up_sync(&mut a, url);
    sync(&mut a);
    a
}

/// Enrolls a new device into `admin`'s clinic as the CLI and the app do (core's
/// `Store::enroll`), and approves it the way an admin's device does.
fn enroll_device(url: &str, admin: &mut Store, dir: &std::path::Path) -> Store {
    enroll_device_as(url, admin, dir, false)
}

/// As [`enroll_device`]; `manages`: approved as a device that manages the clinic's
/// devices too.
fn enroll_device_as(url: &str, admin: &mut Store, dir: &std::path::Path, manages: bool) -> Store {
    let owner = an_admin_of(admin);
    let code = ok(admin.invite_device(&owner)).code;
    let mut store = ok(Store::enroll(
        dir,
        &enrollment(url, &code, "Exam room 2"),
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    let fingerprint = ok(store.status()).device_fingerprint;
    ok(admin.approve_device(&owner, store.device_id(), &fingerprint, manages));
    // The approval (the new device's key in the membership log) goes out with the
    // admin's device's next round, as the app's sync engine sends it.
    sync(admin);
    ok(store.fetch_clinic_key_if_missing());
    store
}

/// The authenticator secrets of the admins these tests enrolled, by clinic and staff id
/// (the same on every device of a clinic; the demo's staff ids repeat across clinics) —
/// the phone in the admin's pocket.
static AUTHENTICATORS: std::sync::Mutex<Vec<((Uuid, Uuid), String)>> =
    std::sync::Mutex::new(Vec::new());

fn authenticator_of(who: (Uuid, Uuid)) -> Option<vetdesk_core::second_factor::TotpSecret> {
    let known = AUTHENTICATORS.lock().unwrap_or_else(|e| e.into_inner());
    let (_, secret) = known.iter().find(|(id, _)| *id == who)?;
    vetdesk_core::second_factor::TotpSecret::parse(secret).ok()
}

/// `admin`'s second factor confirmed on `store`, as the admin does with their phone
/// before an admin act: enrolled first if they have none; a code from this step, else
/// the next one (a phone a little ahead), else the next step's once it comes.
pub fn confirmed(store: &mut Store, admin: &vetdesk_core::Actor) {
    use vetdesk_core::Error;
    let who = (ok(store.clinic_id()), admin.staff_id);
    match store.require_second_factor(admin) {
        Ok(()) => return,
        Err(Error::SecondFactorNotEnrolled(_)) => {
            let secret = ok(store.enroll_second_factor_for_tests(admin));
            AUTHENTICATORS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((who, secret.as_base32().to_string()));
            return;
        }
        Err(_) => {}
    }
    let secret = authenticator_of(who).unwrap_or_else(|| {
        panic!(
            "{} has an authenticator these tests did not enroll",
            admin.name
        )
    });
    let step = std::time::Duration::from_secs(vetdesk_core::second_factor::STEP_SECONDS);
    let mut refusals = Vec::new();
    for wait in [std::time::Duration::ZERO, step] {
        std::thread::sleep(wait);
        for ahead in [0, step.as_secs() as i64] {
            let at = store.now() + time::Duration::seconds(ahead);
            let code = ok(vetdesk_core::second_factor::code_at(&secret, at));
            match store.confirm_second_factor(admin, &code) {
                Ok(_) => return,
                Err(e) => refusals.push(e.to_string()),
            }
        }
    }
    panic!(
        "{}'s authenticator codes were refused: {refusals:?}",
        admin.name
    );
}

/// The code `data_dir`'s admin's authenticator shows now, for the CLI (`VETDESK_CODE`),
/// if these tests enrolled one for that clinic's CLI admin.
fn cli_code(data_dir: &std::path::Path) -> Option<String> {
    let known = CLI_AUTHENTICATORS.lock().unwrap_or_else(|e| e.into_inner());
    let (_, secret) = known.iter().find(|(dir, _)| dir == data_dir)?;
    let secret = vetdesk_core::second_factor::TotpSecret::parse(secret).ok()?;
    vetdesk_core::second_factor::code_at(&secret, time::OffsetDateTime::now_utc()).ok()
}

/// The authenticator secrets of the CLI's admin (the demo's Dr Maria Santos), by data folder.
static CLI_AUTHENTICATORS: std::sync::Mutex<Vec<(std::path::PathBuf, String)>> =
    std::sync::Mutex::new(Vec::new());

/// Enrolls an authenticator for the CLI's admin of `data_dir` as a script does with
/// `vetdesk auth enroll` (the secret as JSON, then the app's first code); later
/// `vetdesk` runs on that folder carry a fresh code in `VETDESK_CODE`.
fn enroll_cli_admin(data_dir: &std::path::Path) {
    let (done, out, err) = vetdesk(data_dir, &["auth", "enroll", "--json"]);
    assert!(done, "{out} {err}");
    let setup: serde_json::Value = ok(serde_json::from_str(&out));
    let secret = setup["secret"].as_str().unwrap_or_default().to_string();
    let parsed = ok(vetdesk_core::second_factor::TotpSecret::parse(&secret));
    let code = ok(vetdesk_core::second_factor::code_at(
        &parsed,
        time::OffsetDateTime::now_utc(),
    ));
    let (done, out, err) = vetdesk(
        data_dir,
        &["auth", "enroll", "--secret", &secret, "--code", &code],
    );
    assert!(done, "{out} {err}");
    assert_eq!(out.lines().count(), 10, "ten recovery codes: {out}");
    CLI_AUTHENTICATORS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((data_dir.to_path_buf(), secret));
}

/// An admin of `store`'s clinic, as a signed-in session would hold them (a clinic with
/// no staff yet gets its owner, as its first sign-in makes them), with their second
/// factor confirmed on `store` for the admin acts that follow.
pub fn an_admin_of(store: &mut Store) -> vetdesk_core::Actor {
    let admin = an_admin_found_in(store);
    confirmed(store, &admin);
    admin
}

fn an_admin_found_in(store: &mut Store) -> vetdesk_core::Actor {
    let found: Vec<(String, String, String)> = {
        let conn = store.connection_for_tests();
        let mut stmt = ok(conn.prepare(
            "SELECT id, name, roles FROM staff WHERE roles LIKE '%admin%' AND active = 1 ORDER BY created_at LIMIT 1",
        ));
        ok(stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
            .filter_map(Result::ok)
            .collect()
    };
    let Some((id, name, roles)) = found.into_iter().next() else {
        return ok(store.bootstrap_owner("Olivia Owner", vec![], "1111"));
    };
    vetdesk_core::Actor {
        staff_id: ok(Uuid::parse_str(&id)),
        name,
        roles: vetdesk_core::Roles::parse(&roles),
    }
}

fn enrollment(
    server: &str,
    code: &str,
    name: &str,
) -> vetdesk_core::services::enrollment::Enrollment {
    vetdesk_core::services::enrollment::Enrollment {
        server: server.into(),
        lan_http: vetdesk_core::server_address::LanHttp::Refuse,
        code: code.into(),
        device_name: name.into(),
        trust: None,
    }
}

#[test]
fn a_device_enrolled_with_a_code_waits_for_approval_then_receives_the_clinic() {
    use vetdesk_core::sync::SyncError;

    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let (dir_a, dir_b) = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let mut a = ok(Store::create(
        dir_a.path(),
        "Lighthouse Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    let owner = ok(a.bootstrap_owner("Olivia Owner", vec![], "1111"));
    set_up_sync(&mut a, &url);
    sync(&mut a);
    // Inviting is an admin act: the owner sets up her authenticator first.
    assert!(matches!(
        a.invite_device(&owner),
        Err(SyncError::Store(
            vetdesk_core::Error::SecondFactorNotEnrolled(_)
        ))
    ));
    confirmed(&mut a, &owner);
    let invitation = ok(a.invite_device(&owner));

    // A mistyped code is refused before anything is sent; a wrong one by the server;
    // neither leaves a store behind.
    let short = Store::enroll(
        dir_b.path(),
        &enrollment(&url, "WRONG-CODE", "Front desk 2"),
        protection(),
        time::OffsetDateTime::now_utc(),
    );
    assert!(
        matches!(
            &short,
            Err(SyncError::Store(vetdesk_core::Error::Invalid {
                field: "code",
                ..
            }))
        ),
        "{short:?}"
    );
    let refused = Store::enroll(
        dir_b.path(),
        &enrollment(&url, "00000-00000-00000-00000", "Front desk 2"),
        protection(),
        time::OffsetDateTime::now_utc(),
    );
    // The server's own code for it reaches the device (not just its words).
    assert!(
        matches!(&refused, Err(SyncError::Refused(r))
            if r.is(vetdesk_proto::errors::ServerErrorCode::Forbidden)),
        "{refused:?}"
    );
    assert!(!dir_b.path().join(vetdesk_core::DB_FILE_NAME).exists());

    let mut b = ok(Store::enroll(
        dir_b.path(),
        &enrollment(&url, &invitation.code, "Front desk 2"),
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    // The code works once.
    let again = Store::enroll(
        &dir_b.path().join("another"),
        &enrollment(&url, &invitation.code, "Front desk 3"),
        protection(),
        time::OffsetDateTime::now_utc(),
    );
    assert!(
        matches!(&again, Err(SyncError::Refused(r))
            if r.is(vetdesk_proto::errors::ServerErrorCode::Forbidden)),
        "{again:?}"
    );

    // Until an admin approves it, a round says so and changes nothing.
    let waiting = vetdesk_core::sync_http::sync_with_stored_server(&mut b, &mut |_, _| {});
    assert!(
        matches!(waiting, Err(SyncError::AwaitingApproval(id)) if id == b.device_id()),
        "{waiting:?}"
    );
    assert!(!ok(b.has_staff()));

    // A non-admin cannot approve; the owner can.
    let desk = ok(a.transact(&owner, |tx| {
        tx.add_staff(
            "Fred Desk",
            vetdesk_core::Roles::new([vetdesk_core::Role::FrontDesk]),
            "2468",
        )
    }));
    let fred = ok(a.sign_in(&desk.to_string(), "2468"));
    // The admin sees the name and the key fingerprint the new device shows (its
    // introduction holds), and must give that fingerprint to approve it.
    let shown = ok(b.status());
    let pending = ok(a.clinic_devices())
        .into_iter()
        .find(|d| d.device_id == b.device_id())
        .unwrap_or_else(|| panic!("B is not listed"));
    assert_eq!(pending.status, "pending");
    assert_eq!(
        pending.proof,
        Some(vetdesk_core::services::devices::PendingProof::Verified)
    );
    assert_eq!(pending.name.as_deref(), Some("Front desk 2"));
    assert_eq!(
        pending.fingerprint.as_deref(),
        Some(shown.device_fingerprint.as_str())
    );
    assert_eq!(shown.device_name.as_deref(), Some("Front desk 2"));
    assert!(
        a.approve_device(&fred, b.device_id(), &shown.device_fingerprint, false)
            .is_err()
    );
    // Fred's sign-in at A ended the owner's confirmation there: she confirms again.
    confirmed(&mut a, &owner);
    let mistaken = a.approve_device(&owner, b.device_id(), "0000-0000-0000-0000", false);
    assert!(
        matches!(
            &mistaken,
            Err(SyncError::Store(vetdesk_core::Error::Invalid {
                field: "fingerprint",
                ..
            }))
        ),
        "{mistaken:?}"
    );
    ok(a.approve_device(
        &owner,
        b.device_id(),
        &shown.device_fingerprint.to_uppercase(),
        false,
    ));
    sync(&mut a);
    sync(&mut b);
    let status = ok(b.status());
    assert_eq!(status.clinic_name, "Lighthouse Vets");
    assert_eq!(status.clinic_id, ok(a.status()).clinic_id);
    let names: Vec<String> = ok(b.read(&owner, |rx| rx.staff()))
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(ok(b.sign_in("Fred Desk", "2468")).name == "Fred Desk");
}

#[test]
fn three_devices_edit_the_same_records_offline_and_converge_through_two_server_instances() {
    use vetdesk_core::services::encounters::SoapInput;

    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    // A second, stateless instance over the same database.
    let second_url = start_instance(&runtime, &pool);
    let dirs = (
        ok(tempfile::tempdir()),
        ok(tempfile::tempdir()),
        ok(tempfile::tempdir()),
    );
    let mut a = ok(Store::create(
        dirs.0.path(),
        "Harbour Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    ok(generate(
        &mut a,
        DemoOptions {
            clients: 10,
            seed: 9,
            history_days: 30,
        },
        &mut |_, _| {},
    ));
    set_up_sync(&mut a, &url);
    sync(&mut a);
    let mut b = enroll_device(&url, &mut a, dirs.1.path());
    let mut c = enroll_device(&second_url, &mut a, dirs.2.path());
    sync(&mut b);
    sync(&mut c);

    // Everyone offline: all three edit the same client's notes and the same draft.
    let vet = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let client = ok(a.read(&vet, |rx| rx.search("44", 1))).remove(0).id;
    let patient = ok(a.read(&vet, |rx| rx.patients_of(client))).remove(0).id;
    let encounter = ok(a.transact(&vet, |tx| tx.start_encounter(patient, None)));
    sync(&mut a);
    sync(&mut b);
    sync(&mut c);
    for (store, words) in [
        (&mut a, "from the front desk"),
        (&mut b, "from exam room 1"),
        (&mut c, "from the owner's laptop"),
    ] {
        let mut fields = ok(store.read(&vet, |rx| rx.client(client))).fields;
        fields.notes = Some(format!("Call before 10 — {words}"));
        ok(store.transact(&vet, |tx| tx.update_client(client, &fields)));
        let soap = SoapInput {
            assessment: Some(format!("Otitis externa ({words})")),
            ..Default::default()
        };
        ok(store.transact(&vet, |tx| tx.update_soap(encounter, &soap)));
    }
    // Reconnect in an awkward order, through both instances, some rounds twice.
    sync(&mut c);
    sync(&mut a);
    sync(&mut c);
    ok(b.set_sync_server(
        &address(&second_url),
        &ok(b.sync_credentials()).unwrap_or_default().1,
    ));
    sync(&mut b);
    sync(&mut b);
    for store in [&mut a, &mut b, &mut c] {
        sync(store);
    }
    let digests: Vec<String> = [&a, &b, &c].iter().map(|s| ok(s.digest())).collect();
    assert!(digests.iter().all(|d| *d == digests[0]), "{digests:?}");
    assert!(canonical(&a) == canonical(&b) && canonical(&b) == canonical(&c));
    // Two of the three concurrent notes and assessments lost, and are kept as conflicts.
    let conflicts = ok(c.read(&vet, |rx| rx.conflicts(None)));
    assert_eq!(conflicts.len(), 4, "{conflicts:#?}");
    assert_eq!(ok(a.read(&vet, |rx| rx.conflicts(None))), conflicts);
}

#[test]
fn a_push_through_one_instance_is_announced_at_once_to_devices_listening_on_another() {
    use std::io::BufRead;

    let runtime = runtime();
    let (url, pool) = start_server(&runtime);
    let other_url = start_instance(&runtime, &pool);
    let dirs = (
        ok(tempfile::tempdir()),
        ok(tempfile::tempdir()),
        ok(tempfile::tempdir()),
    );
    let mut a = ok(Store::create(
        dirs.0.path(),
        "Harbour Vets",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    set_up_sync(&mut a, &url);
    let b = enroll_device(&url, &mut a, dirs.1.path());
    let (_, b_token) = ok(b.sync_credentials()).unwrap_or_default();

    // Another clinic's device listens too, and must hear nothing of A's clinic.
    let stranger = ok(Store::create(
        dirs.2.path(),
        "Elsewhere",
        protection(),
        time::OffsetDateTime::now_utc(),
    ));
    let stranger_clinic = ok(Uuid::parse_str(&ok(stranger.status()).clinic_id));
    let stranger_token = vetdesk_core::sync_http::new_device_token();
    ok(HttpTransport::new(&url, None).create_clinic(
        stranger_clinic,
        stranger.device_id(),
        ok(stranger.device_public_key()),
        &stranger_token,
        None,
    ));

    let listen = |base: &str, token: String| {
        let (sender, receiver) = std::sync::mpsc::channel::<String>();
        let url = format!("{base}/v1/notify");
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(std::time::Duration::from_secs(20)))
                .build()
                .into();
            let Ok(mut response) = agent
                .get(&url)
                .header("authorization", format!("Bearer {token}"))
                .header("x-vetdesk-protocol", "1")
                .call()
            else {
                return;
            };
            let reader = std::io::BufReader::new(response.body_mut().as_reader());
            for line in reader.lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        receiver
    };
    let heard_by_b = listen(&other_url, b_token);
    let heard_by_stranger = listen(&other_url, stranger_token);
    std::thread::sleep(std::time::Duration::from_millis(500));

    // A writes and pushes through the first instance; B listens on the second.
    let owner = an_admin_of(&mut a);
    ok(a.transact(&owner, |tx| {
        tx.create_client(&vetdesk_core::services::clients::ClientInput {
            first_name: "Nora".into(),
            last_name: "Notified".into(),
            ..Default::default()
        })
    }));
    let report = sync(&mut a);
    assert!(report.pushed > 0, "{report:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut heard = Vec::new();
    while std::time::Instant::now() < deadline {
        if let Ok(line) = heard_by_b.recv_timeout(std::time::Duration::from_millis(200)) {
            heard.push(line.clone());
            if line.starts_with("event: pushed") {
                break;
            }
        }
    }
    assert!(
        heard.iter().any(|l| l == "event: pushed"),
        "B heard: {heard:?}"
    );
    let strange: Vec<String> = heard_by_stranger.try_iter().collect();
    assert!(
        strange.iter().all(|l| !l.starts_with("event: pushed")),
        "another clinic heard: {strange:?}"
    );
}

#[test]
fn a_watching_device_pulls_as_soon_as_another_device_pushes() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let dir = ok(tempfile::tempdir());
    let (first, second) = (dir.path().join("front-desk"), dir.path().join("exam-room"));
    assert!(
        vetdesk(
            &first,
            &["demo", "--clients", "3", "--key-store", "passphrase"]
        )
        .0
    );
    assert!(vetdesk(&first, &["sync", "setup", "--server", &url]).0);
    enroll_cli_admin(&first);
    let (_, code, _) = vetdesk(&first, &["devices", "invite"]);
    let enrolled = vetdesk(
        &second,
        &[
            "enroll",
            "--server",
            &url,
            "--code",
            code.trim(),
            "--name",
            "Exam",
            "--key-store",
            "passphrase",
        ],
    );
    assert!(enrolled.0, "{enrolled:?}");
    let fingerprint = enrolled_fingerprint(&enrolled.1);
    let (_, list, _) = vetdesk(&first, &["devices", "list"]);
    let pending = pending_device(&list);
    assert!(approve_with_cli(&first, &pending, &fingerprint).0);

    // B watches; after its first round it waits for news.
    let binary = ok(vetdesk_e2e::built_binary("vetdesk"));
    let mut watcher = ok(std::process::Command::new(binary)
        .args(["sync", "--watch"])
        .env("VETDESK_DATA_DIR", &second)
        .env("VETDESK_PASSPHRASE", "a long test passphrase")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn());
    let records = records_line;
    let wait_for = |want: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
        while std::time::Instant::now() < deadline && !records(&second).contains(want) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        records(&second)
    };
    assert!(wait_for("3 clients").contains("3 clients"));
    std::thread::sleep(std::time::Duration::from_millis(500));

    // A adds a client and pushes; B has it well before its 10 s timer would fire.
    let started = std::time::Instant::now();
    assert!(
        vetdesk(
            &first,
            &["client", "add", "--first", "Nia", "--last", "Okoro"]
        )
        .0
    );
    assert!(vetdesk(&first, &["sync"]).0);
    let seen = wait_for("4 clients");
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert!(seen.contains("4 clients"), "{seen}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

/// The id of the pending device in `vetdesk devices list` output.
/// The key fingerprint `vetdesk enroll` printed for the new device.
fn enrolled_fingerprint(out: &str) -> String {
    out.split("key fingerprint ")
        .nth(1)
        .map(|rest| rest.trim().trim_end_matches('.').to_string())
        .unwrap_or_else(|| panic!("no fingerprint in: {out}"))
}

fn pending_device(list: &str) -> String {
    list.lines()
        .find(|l| l.contains("pending"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no pending device: {list}"))
        .to_string()
}

/// The `records:` line of `vetdesk status` on `data`.
fn records_line(data: &std::path::Path) -> String {
    let (_, status, _) = vetdesk(data, &["status"]);
    status
        .lines()
        .find(|l| l.starts_with("records:"))
        .map(str::to_owned)
        .unwrap_or_default()
}
