//! `make bench`: the records benchmarks of issue 3, each against a baseline measured
//! in the same run, printed as a table.
//!
//! 1. Writing N patients, each with a new owner, through the services (validation,
//!    change log, audit chain, search index, SQLCipher) vs plain rusqlite inserts of
//!    the same rows into unencrypted tables, both in transactions of 1,000 patients.
//!    Also: one transaction per service call (each an fsync'd commit).
//! 2. Applying N remote column changes (another device's changesets) vs plain UPDATEs
//!    of the same cells in an unencrypted table.
//! 3. Search as you type at N clients / 1.5·N patients: every prefix of 300 names,
//!    phones and microchips typed key by key; p50 and p99 latency.
//!
//! `BENCH_SCALE` sets N (default 100000); `BENCH_ONLY=write` stops after the writes
//! (for profiling them); `BENCH_ONLY=apply` runs only 2, with hostile variants, and
//! what signing and checking changeset signatures costs (issue 14); `BENCH_ONLY=enrollment`
//! only what the invitation key costs (issue 15).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{Connection, params};
use uuid::Uuid;
use vetdesk_core::services::clients::{ClientInput, PatientInput};
use vetdesk_core::signing::Chain;
use vetdesk_core::sources::ManualClock;
use vetdesk_core::{Actor, KeyProtection, Role, Roles, SignedChangeset, Store, Value};
use zeroize::Zeroizing;

const SYLLABLES: [&str; 40] = [
    "an", "bel", "car", "dor", "el", "fa", "gor", "han", "is", "jo", "ka", "lin", "mar", "no",
    "ol", "pe", "qui", "ros", "sa", "tor", "ul", "ve", "wil", "xa", "yo", "zan", "mü", "ré", "ste",
    "vi", "ber", "cla", "dim", "fre", "gra", "hol", "kri", "lo", "mon", "ny",
];

fn name(rng: &mut ChaCha8Rng, parts: usize) -> String {
    let mut s: String = (0..parts)
        .map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())])
        .collect();
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + &s[1..];
    }
    s
}

struct Person {
    first: String,
    last: String,
    phone: String,
    email: String,
    pet: String,
    chip: String,
}

fn people(n: usize, seed: u64) -> Vec<Person> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let first = name(&mut rng, 2);
            let last = name(&mut rng, 3);
            Person {
                email: format!(
                    "{}.{}{i}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
                phone: format!("+44 7{:03} {:06}", rng.random_range(100..1000), i),
                pet: name(&mut rng, 2),
                chip: format!("985{:012}", rng.random_range(0..1_000_000_000_000u64)),
                first,
                last,
            }
        })
        .collect()
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn new_store(dir: &std::path::Path) -> (Store, Actor) {
    let now = time::OffsetDateTime::from_unix_timestamp(1_795_338_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut store = ok(Store::create(
        dir,
        "Bench Vets",
        KeyProtection::Passphrase(Zeroizing::new("bench passphrase".into())),
        now,
    ));
    store.set_time_source(Arc::new(ManualClock::at(now)));
    let owner = ok(store.bootstrap_owner("Owner", vec![Role::Vet], "1234"));
    ok(store.enroll_second_factor_for_tests(&owner));
    let id = ok(store.transact(&owner, |tx| {
        tx.add_staff("Desk", Roles::new([Role::FrontDesk]), "1234")
    }));
    let desk = Actor {
        staff_id: id,
        name: "Desk".into(),
        roles: Roles::new([Role::FrontDesk]),
    };
    (store, desk)
}

fn inputs(p: &Person) -> (ClientInput, PatientInput) {
    (
        ClientInput {
            first_name: p.first.clone(),
            last_name: p.last.clone(),
            phone: Some(p.phone.clone()),
            email: Some(p.email.clone()),
            consent_sms: true,
            ..Default::default()
        },
        PatientInput {
            name: p.pet.clone(),
            species: "dog".into(),
            sex: "female".into(),
            date_of_birth: Some("2019-05-01".into()),
            microchip: Some(p.chip.clone()),
            ..Default::default()
        },
    )
}

/// Services: client + patient + owner link per person, `batch` people per transaction.
fn write_through_services(
    store: &mut Store,
    desk: &Actor,
    people: &[Person],
    batch: usize,
) -> Duration {
    let started = Instant::now();
    for chunk in people.chunks(batch) {
        ok(store.transact(desk, |tx| {
            for p in chunk {
                let (client, patient) = inputs(p);
                let owner = tx.create_client(&client)?;
                tx.create_patient(&patient, &[owner])?;
            }
            Ok(())
        }));
    }
    started.elapsed()
}

const PLAIN_SCHEMA: &str = "
    CREATE TABLE clients (id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, phone TEXT, email TEXT,
        address TEXT, consent_email INTEGER, consent_sms INTEGER, consent_recording INTEGER, notes TEXT, created_at TEXT);
    CREATE TABLE patients (id TEXT PRIMARY KEY, name TEXT, species TEXT, breed TEXT, sex TEXT, neutered INTEGER,
        date_of_birth TEXT, microchip TEXT, colour TEXT, allergies TEXT, alerts TEXT, deceased INTEGER, created_at TEXT);
    CREATE TABLE patient_owners (id TEXT PRIMARY KEY, patient_id TEXT, client_id TEXT, is_primary INTEGER);";

/// The same rows as the services write, as plain INSERTs on `conn`, `batch` people per
/// transaction.
fn insert_rows(conn: &Connection, people: &[Person], batch: usize) -> Duration {
    let started = Instant::now();
    for chunk in people.chunks(batch) {
        ok(conn.execute_batch("BEGIN"));
        {
            let mut client = ok(conn.prepare_cached(
                "INSERT INTO clients (id, first_name, last_name, phone, email, consent_email, consent_sms,
                     consent_recording, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, 1, 0, ?6)",
            ));
            let mut patient = ok(conn.prepare_cached(
                "INSERT INTO patients (id, name, species, sex, neutered, date_of_birth, microchip, deceased, created_at)
                 VALUES (?1, ?2, 'dog', 'female', 0, '2019-05-01', ?3, 0, ?4)",
            ));
            let mut link = ok(conn.prepare_cached(
                "INSERT INTO patient_owners (id, patient_id, client_id, is_primary) VALUES (?1, ?2, ?3, 1)",
            ));
            for p in chunk {
                let (c, pt, l) = (
                    Uuid::now_v7().to_string(),
                    Uuid::now_v7().to_string(),
                    Uuid::now_v7().to_string(),
                );
                let at = "2026-11-22T09:00:00Z";
                ok(client.execute(params![c, p.first, p.last, p.phone, p.email, at]));
                ok(patient.execute(params![pt, p.pet, p.chip, at]));
                ok(link.execute(params![l, pt, c]));
            }
        }
        ok(conn.execute_batch("COMMIT"));
    }
    started.elapsed()
}

/// Baseline: the same rows, plain rusqlite, unencrypted, same batching and durability.
fn write_plain(path: &std::path::Path, people: &[Person], batch: usize) -> Duration {
    let conn = ok(Connection::open(path));
    ok(conn.pragma_update(None, "journal_mode", "WAL"));
    ok(conn.pragma_update(None, "synchronous", "FULL"));
    ok(conn.execute_batch(PLAIN_SCHEMA));
    insert_rows(&conn, people, batch)
}

/// Decomposition: the same plain INSERTs into the encrypted store's own tables (its
/// indexes, SQLCipher), without services, change log, audit or search index.
fn write_plain_encrypted(people: &[Person], batch: usize) -> Duration {
    let dir = ok(tempfile::tempdir());
    let (store, _) = new_store(dir.path());
    insert_rows(store.connection_for_tests(), people, batch)
}

/// What each remote changeset also carries, to measure merge's slow paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Poison {
    None,
    /// One change the pure rule refuses (a NULL tombstone): set aside before any SQL.
    Refused,
    /// One change SQLite refuses (a trigger): the changeset is rolled back and applied
    /// again change by change, each in its own savepoint.
    RefusedBySqlite,
}

/// Remote changes: device A sets `n` phone numbers (1,000 per transaction) on clients
/// device B already has; B applies them all. Baseline: plain UPDATEs of the same cells.
fn apply_remote(n: usize, poison: Poison) -> (Duration, Duration) {
    let dir_a = ok(tempfile::tempdir());
    let dir_b = ok(tempfile::tempdir());
    let (mut a, desk) = new_store(dir_a.path());
    let rows = 10_000.min(n);
    let crowd = people(rows, 11);
    write_through_services(&mut a, &desk, &crowd, 1000);
    let status = ok(a.status());
    let now = a.now();
    let mut b = ok(Store::join(
        dir_b.path(),
        ok(Uuid::parse_str(&status.clinic_id)),
        &status.clinic_name,
        KeyProtection::Passphrase(Zeroizing::new("bench passphrase".into())),
        now,
    ));
    b.set_time_source(Arc::new(ManualClock::at(now)));
    let initial = ok(a.outgoing(0, usize::MAX));
    ok(b.apply(&initial));
    let last_seq = initial.last().map_or(0, |c| c.changeset.seq);

    let ids: Vec<Uuid> = {
        let conn = a.connection_for_tests();
        let mut stmt = ok(conn.prepare("SELECT id FROM clients ORDER BY id"));
        ok(stmt.query_map([], |r| r.get::<_, String>(0)))
            .filter_map(|r| r.ok().and_then(|s| Uuid::parse_str(&s).ok()))
            .collect()
    };
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        ok(a.transact(&desk, |tx| {
            for i in chunk {
                let id = ids[i % ids.len()];
                tx.set(
                    &vetdesk_core::schema::CLIENTS,
                    id,
                    "phone",
                    Value::Text(format!("+44 20 7946 {:04}", i % 10_000)),
                )?;
            }
            Ok(())
        }));
    }
    let mut updates = ok(a.pending_changesets(last_seq, usize::MAX));
    let changes: usize = updates.iter().map(|c| c.changes.len()).sum();
    assert_eq!(changes, n);
    if poison == Poison::RefusedBySqlite {
        ok(b.connection_for_tests().execute_batch(
            "CREATE TEMP TRIGGER bench_refuse BEFORE UPDATE OF phone ON main.clients
             WHEN NEW.phone = 'refused' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;",
        ));
    }
    for changeset in &mut updates {
        let (column, value) = match poison {
            Poison::None => continue,
            Poison::Refused => ("deleted", Value::Null),
            Poison::RefusedBySqlite => ("phone", Value::text("refused")),
        };
        // In place of one of its changes: a changeset stays within the 1,000 limit.
        let middle = changeset.changes.len() / 2;
        changeset.changes[middle] = vetdesk_core::Change {
            table: "clients".into(),
            row: ids[0],
            op: vetdesk_core::Op::Set {
                column: column.into(),
                value,
                base: None,
            },
        };
    }
    // Signed as A sends them (a poisoned one signed after the poison went in, as a
    // hostile member device would): B's apply checks every signature.
    let updates: Vec<_> = updates
        .drain(..)
        .map(|c| ok(a.sign_as_this_device(c)))
        .collect();
    let started = Instant::now();
    let report = ok(b.apply(&updates));
    let ours = started.elapsed();
    let refused = if poison == Poison::None {
        0
    } else {
        updates.len()
    };
    assert_eq!((report.changes, report.quarantined), (n, refused));

    let plain_dir = ok(tempfile::tempdir());
    let mut conn = ok(Connection::open(plain_dir.path().join("plain.db")));
    ok(conn.pragma_update(None, "journal_mode", "WAL"));
    ok(conn.pragma_update(None, "synchronous", "FULL"));
    ok(conn.execute_batch(PLAIN_SCHEMA));
    {
        let tx = ok(conn.transaction());
        for id in &ids {
            ok(tx.execute("INSERT INTO clients (id) VALUES (?1)", [id.to_string()]));
        }
        ok(tx.commit());
    }
    let started = Instant::now();
    let tx = ok(conn.transaction());
    {
        let mut update = ok(tx.prepare("UPDATE clients SET phone = ?1 WHERE id = ?2"));
        for i in 0..n {
            ok(update.execute(params![
                format!("+44 20 7946 {:04}", i % 10_000),
                ids[i % ids.len()].to_string()
            ]));
        }
    }
    ok(tx.commit());
    (ours, started.elapsed())
}

/// Applying `n` remote changes, honest and with one change per changeset refused.
fn apply_rows(n: usize, rows: &mut Vec<[String; 5]>) {
    for (poison, label) in [
        (Poison::None, format!("apply {n} remote column changes")),
        (
            Poison::Refused,
            "  … each changeset also holding one change the pure rule sets aside".to_string(),
        ),
        (
            Poison::RefusedBySqlite,
            "  … each holding one change SQLite refuses (rolled back, applied change by change)"
                .to_string(),
        ),
    ] {
        eprintln!("  {label}…");
        let (apply, plain_update) = apply_remote(n, poison);
        rows.push([
            label,
            format!(
                "{:.2} s = {:.0} changes/s",
                apply.as_secs_f64(),
                n as f64 / apply.as_secs_f64()
            ),
            format!("{:.2} s plain UPDATEs", plain_update.as_secs_f64()),
            format!("{:.2}×", apply.as_secs_f64() / plain_update.as_secs_f64()),
            "≥ 100,000 changes/s".into(),
        ]);
    }
}

/// What signing costs a device: the signature each changeset gets as it leaves (one
/// per local write transaction, more for one over 1,000 changes), and the check every
/// other device makes before applying it. Baseline: the write transaction itself (one
/// patient with its owner, through the services, committed with fsync).
/// What the invitation key costs (issue 15): Argon2id over the invitation code, once on
/// the inviting device and once on the new one, beside SHA-256 of the same code — the
/// factor by which it multiplies the cost of each guess at the secret half.
fn enrollment_rows(rows: &mut Vec<[String; 5]>) {
    use sha2::Digest;
    use vetdesk_core::enrollment_proof::InvitationCode;
    let codes: Vec<InvitationCode> = (0..5)
        .map(|_| ok(InvitationCode::new("K7Q2MX9RTB")))
        .collect();
    let mut stretched: Vec<Duration> = codes
        .iter()
        .map(|code| {
            let started = Instant::now();
            std::hint::black_box(ok(code.invitation_key()));
            started.elapsed()
        })
        .collect();
    stretched.sort();
    let rounds = 100_000u32;
    let text = codes[0].display();
    let started = Instant::now();
    for i in 0..rounds {
        std::hint::black_box(sha2::Sha256::digest(format!("{text}{i}").as_bytes()));
    }
    let hashed = started.elapsed() / rounds;
    let median = stretched[stretched.len() / 2];
    rows.push([
        "invitation key: Argon2id 64 MiB × 3 passes over the code (median of 5)".into(),
        ms(median),
        format!("{:.2} µs: SHA-256 of the code", hashed.as_secs_f64() * 1e6),
        format!(
            "{:.0}× per guess",
            median.as_secs_f64() / hashed.as_secs_f64()
        ),
        "≤ 1 s per device per enrollment".into(),
    ]);
}

fn signing_rows(rows: &mut Vec<[String; 5]>) {
    let dir = ok(tempfile::tempdir());
    let (mut store, desk) = new_store(dir.path());
    let crowd = people(1_000, 12);
    let before = ok(store.pending_changesets(0, usize::MAX)).len() as u64;
    let single = 300;
    let per_transaction = write_through_services(&mut store, &desk, &crowd[..single], 1);
    write_through_services(&mut store, &desk, &crowd[single..], 700);
    let clinic = ok(store.clinic_id());
    let key = ok(store.device_public_key());
    let all = ok(store.pending_changesets(before, usize::MAX));
    let (small, large): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.changes.len() < 100);
    for (label, changesets) in [
        ("one patient's transaction", small),
        ("a 700-patient transaction", large),
    ] {
        let count = changesets.len().max(1);
        let changes: usize = changesets.iter().map(|c| c.changes.len()).sum::<usize>() / count;
        let signer = ok(store.device_signer());
        let started = Instant::now();
        let signed: Vec<SignedChangeset> = changesets
            .into_iter()
            .map(|c| SignedChangeset::sign(c, clinic, &signer))
            .collect();
        let sign = started.elapsed() / u32::try_from(count).unwrap_or(1);
        let started = Instant::now();
        let held = signed.iter().filter(|s| s.signed_by(clinic, &key)).count();
        let verify = started.elapsed() / u32::try_from(count).unwrap_or(1);
        assert_eq!(held, signed.len());
        let transaction = per_transaction / u32::try_from(single).unwrap_or(1);
        rows.push([
            format!("sign {label}'s changeset ({changes} changes), as it is pushed"),
            format!("{:.1} µs", sign.as_secs_f64() * 1e6),
            format!(
                "{:.2} ms: the write transaction of one patient",
                transaction.as_secs_f64() * 1e3
            ),
            format!("{:.3}×", sign.as_secs_f64() / transaction.as_secs_f64()),
            "small beside the write".into(),
        ]);
        rows.push([
            format!("  verify it on another device, before applying ({changes} changes)"),
            format!(
                "{:.1} µs = {:.1} µs per change",
                verify.as_secs_f64() * 1e6,
                verify.as_secs_f64() * 1e6 / changes.max(1) as f64
            ),
            "—".into(),
            "—".into(),
            "inside the apply rate".into(),
        ]);
    }
    // Each write transaction also signs the audit event it appends (and a controlled
    // drug's register entry); `audit verify` checks every event's signature.
    let transaction = per_transaction / u32::try_from(single).unwrap_or(1);
    let signer = ok(store.device_signer());
    let hashes: Vec<[u8; 32]> = (0..1000u32)
        .map(|i| {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_be_bytes());
            h
        })
        .collect();
    let started = Instant::now();
    for hash in &hashes {
        std::hint::black_box(signer.sign_chain_entry(Chain::Audit, hash));
    }
    let sign_event = started.elapsed() / 1000;
    rows.push([
        "sign the audit event a write transaction appends".into(),
        format!("{:.1} µs", sign_event.as_secs_f64() * 1e6),
        format!(
            "{:.2} ms: the write transaction of one patient",
            transaction.as_secs_f64() * 1e3
        ),
        format!(
            "{:.3}×",
            sign_event.as_secs_f64() / transaction.as_secs_f64()
        ),
        "small beside the write".into(),
    ]);
    let started = Instant::now();
    let verification = ok(store.verify_audit());
    let verify = started.elapsed();
    assert!(verification.is_intact() && verification.signer_unchecked == 0);
    rows.push([
        format!(
            "audit verify: {} events, hash chain and signature each",
            verification.events
        ),
        format!(
            "{:.1} ms = {:.1} µs per event",
            verify.as_secs_f64() * 1e3,
            verify.as_secs_f64() * 1e6 / verification.events.max(1) as f64
        ),
        "—".into(),
        "—".into(),
        "on demand (Owner → Audit)".into(),
    ]);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[allow(clippy::disallowed_methods)] // a benchmark binary is an edge: it reads its scale
fn main() {
    let n: usize = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let only = std::env::var("BENCH_ONLY").ok();
    let mut rows: Vec<[String; 5]> = Vec::new();
    eprintln!("records benchmarks at N = {n}");
    if only.as_deref() == Some("enrollment") {
        enrollment_rows(&mut rows);
        vetdesk_testkit::print_bench_table(&rows);
        return;
    }
    if only.as_deref() == Some("apply") {
        apply_rows(n, &mut rows);
        signing_rows(&mut rows);
        enrollment_rows(&mut rows);
        vetdesk_testkit::print_bench_table(&rows);
        return;
    }

    // 1. Writes.
    let crowd = people(n, 7);
    let dir = ok(tempfile::tempdir());
    let (mut store, desk) = new_store(dir.path());
    eprintln!("  writing {n} patients with owners through the services…");
    let ours = write_through_services(&mut store, &desk, &crowd, 1000);
    eprintln!("  writing the same rows with plain rusqlite…");
    let plain = write_plain(&dir.path().join("plain.db"), &crowd, 1000);
    rows.push([
        format!("write {n} patients + owners, 1,000 per transaction"),
        format!(
            "{:.2} s ({:.1} µs/patient)",
            ours.as_secs_f64(),
            ours.as_secs_f64() * 1e6 / n as f64
        ),
        format!("{:.2} s plain rusqlite, unencrypted", plain.as_secs_f64()),
        format!("{:.2}×", ours.as_secs_f64() / plain.as_secs_f64()),
        "≤ 2×".into(),
    ]);
    let encrypted = write_plain_encrypted(&crowd, 1000);
    rows.push([
        "  of which: the same INSERTs into the encrypted store's tables".into(),
        format!("{:.2} s", encrypted.as_secs_f64()),
        format!("{:.2} s plain rusqlite, unencrypted", plain.as_secs_f64()),
        format!("{:.2}×", encrypted.as_secs_f64() / plain.as_secs_f64()),
        "(SQLCipher + indexes)".into(),
    ]);
    let single = 500.min(n);
    let extra = people(single, 8);
    let one_by_one = write_through_services(&mut store, &desk, &extra, 1);
    let plain_one = write_plain(&dir.path().join("plain-single.db"), &extra, 1);
    rows.push([
        format!("write {single} patients + owners, one transaction each"),
        format!(
            "{:.2} ms/patient",
            one_by_one.as_secs_f64() * 1000.0 / single as f64
        ),
        format!(
            "{:.2} ms/patient plain",
            plain_one.as_secs_f64() * 1000.0 / single as f64
        ),
        format!("{:.2}×", one_by_one.as_secs_f64() / plain_one.as_secs_f64()),
        "(fsync-bound)".into(),
    ]);

    if only.as_deref() == Some("write") {
        vetdesk_testkit::print_bench_table(&rows);
        return;
    }

    // 3. Search, on N clients and 1.5·N patients (a second pet for every other client).
    eprintln!("  adding second pets for search…");
    let owners: Vec<Uuid> = {
        let conn = store.connection_for_tests();
        let mut stmt = ok(conn.prepare("SELECT id FROM clients ORDER BY rowid"));
        ok(stmt.query_map([], |r| r.get::<_, String>(0)))
            .filter_map(|r| r.ok().and_then(|s| Uuid::parse_str(&s).ok()))
            .collect()
    };
    let seconds = people(n / 2, 9);
    for (chunk_owners, chunk) in owners.chunks(1000).zip(seconds.chunks(1000)) {
        ok(store.transact(&desk, |tx| {
            for (owner, p) in chunk_owners.iter().zip(chunk) {
                let (_, pet) = inputs(p);
                tx.create_patient(&pet, &[*owner])?;
            }
            Ok(())
        }));
    }
    let (clients, patients) = ok(store.counts());
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut typed = Vec::new();
    for _ in 0..300 {
        let p = &crowd[rng.random_range(0..crowd.len())];
        let target = match rng.random_range(0..4) {
            0 => p.last.clone(),
            1 => format!("{} {}", p.first, p.last),
            2 => p.pet.clone(),
            _ => p.phone.replace([' ', '+'], "")[..9].to_string(),
        };
        let chars: Vec<char> = target.chars().collect();
        for len in 1..=chars.len() {
            typed.push(chars[..len].iter().collect::<String>());
        }
    }
    for q in typed.iter().take(200) {
        ok(store.read(&desk, |rx| rx.search(q, 20)));
    }
    let mut latencies: Vec<Duration> = typed
        .iter()
        .map(|q| {
            let started = Instant::now();
            let hits = ok(store.read(&desk, |rx| rx.search(q, 20)));
            std::hint::black_box(hits);
            started.elapsed()
        })
        .collect();
    latencies.sort();
    let one_char: Vec<Duration> = {
        let mut v: Vec<Duration> = typed
            .iter()
            .filter(|q| q.chars().count() == 1)
            .map(|q| {
                let started = Instant::now();
                std::hint::black_box(ok(store.read(&desk, |rx| rx.search(q, 20))));
                started.elapsed()
            })
            .collect();
        v.sort();
        v
    };
    rows.push([
        format!(
            "search as you type, {clients} clients / {patients} patients ({} keystrokes)",
            latencies.len()
        ),
        format!(
            "p50 {} · p99 {}",
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99))
        ),
        format!(
            "first keystroke alone: p99 {}",
            ms(percentile(&one_char, 0.99))
        ),
        format!(
            "p99/10 ms = {:.2}",
            percentile(&latencies, 0.99).as_secs_f64() * 100.0
        ),
        "p99 ≤ 10 ms".into(),
    ]);
    drop(store);

    // 2. Applying remote changes.
    apply_rows(n, &mut rows);
    enrollment_rows(&mut rows);
    vetdesk_testkit::print_bench_table(&rows);
}
