//! The records commands of `vetdesk` as a script uses them: ids on stdout, errors with
//! field names on stderr, exit codes that say whether it worked.

mod common;

use std::path::Path;
use std::process::Command;

const PASSPHRASE: &str = "a long test passphrase";

fn vetdesk(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vetdesk"));
    cmd.env_remove("VETDESK_STAFF")
        .env_remove("VETDESK_PIN")
        .env("VETDESK_DATA_DIR", data_dir)
        .env("VETDESK_PASSPHRASE", PASSPHRASE)
        .stdin(std::process::Stdio::null());
    cmd
}

/// Runs as `who` with PIN 2468; returns (success, stdout, stderr).
fn run_as(data_dir: &Path, who: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = vetdesk(data_dir);
    cmd.args(args).env("VETDESK_PIN", "2468");
    if let Some(who) = who {
        cmd.env("VETDESK_STAFF", who);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("run vetdesk: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Dr Ada Vet (the admin, her second factor confirmed) adds Fred Desk at the front
/// desk, PIN 2468.
fn add_fred_desk_as_ada(data: &Path) {
    let out = vetdesk(data)
        .args([
            "staff",
            "add",
            "--name",
            "Fred Desk",
            "--role",
            "front_desk",
        ])
        .env("VETDESK_STAFF", "Dr Ada Vet")
        .env("VETDESK_PIN", "2468")
        .env("VETDESK_NEW_PIN", "2468")
        .output()
        .unwrap_or_else(|e| panic!("run vetdesk: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn clinic() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("clinic");
    let (ok, _, err) = run_as(
        &data,
        None,
        &[
            "init",
            "--clinic",
            "Harbour Vets",
            "--key-store",
            "passphrase",
        ],
    );
    assert!(ok, "{err}");
    let (ok, id, err) = run_as(
        &data,
        None,
        &["staff", "add", "--name", "Dr Ada Vet", "--role", "vet"],
    );
    assert!(ok && id.len() == 36, "{id} {err}");
    (dir, data)
}

#[test]
fn a_visit_from_the_command_line() {
    let (_dir, data) = clinic();
    let vet = Some("Dr Ada Vet");
    let (ok, _, err) = run_as(
        &data,
        None,
        &["client", "add", "--first", "Ann", "--last", "Ng"],
    );
    assert!(
        !ok && err.contains("--as NAME"),
        "acting needs a signed-in staff member: {err}"
    );

    let (ok, client, err) = run_as(
        &data,
        vet,
        &[
            "client",
            "add",
            "--first",
            "Ann",
            "--last",
            "Ng",
            "--phone",
            "020 7946 0001",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run_as(
        &data,
        vet,
        &[
            "patient",
            "add",
            "--name",
            "Bella",
            "--species",
            "dragon",
            "--owner",
            &client,
        ],
    );
    assert!(
        !ok && err.contains("species: \"dragon\" is not one of"),
        "{err}"
    );
    let (ok, patient, err) = run_as(
        &data,
        vet,
        &[
            "patient",
            "add",
            "--name",
            "Bella",
            "--species",
            "dog",
            "--owner",
            &client,
        ],
    );
    assert!(ok, "{err}");

    let book = |start: &str, force: bool| {
        let mut args = vec![
            "appt",
            "book",
            "--patient",
            &patient,
            "--client",
            &client,
            "--vet",
            "Dr Ada Vet",
            "--start",
            start,
        ];
        if force {
            args.push("--force");
        }
        run_as(&data, vet, &args)
    };
    assert!(book("2026-11-23T09:30:00Z", false).0);
    let (ok, _, err) = book("2026-11-23T09:45:00Z", false);
    assert!(!ok && err.contains("already booked"), "{err}");
    assert!(book("2026-11-23T09:45:00Z", true).0);
    let (ok, day, _) = run_as(&data, vet, &["appt", "list", "--date", "2026-11-23"]);
    assert!(
        ok && day.lines().count() == 3 && day.contains("Bella"),
        "{day}"
    );
    assert!(
        day.contains("CLASH: the vet is double-booked (on purpose)"),
        "{day}"
    );

    let (ok, encounter, err) = run_as(&data, vet, &["encounter", "start", "--patient", &patient]);
    assert!(ok, "{err}");
    let (ok, _, err) = run_as(
        &data,
        vet,
        &[
            "encounter",
            "soap",
            &encounter,
            "--assessment",
            "Otitis externa",
        ],
    );
    assert!(ok, "{err}");
    let (ok, hash, err) = run_as(&data, vet, &["encounter", "sign", &encounter]);
    assert!(ok && hash.len() == 64, "{hash} {err}");
    let (ok, _, err) = run_as(
        &data,
        vet,
        &["encounter", "soap", &encounter, "--plan", "changed"],
    );
    assert!(!ok && err.contains("signed"), "{err}");

    // The owner's copy of the visit, as a PDF read back with pdftotext.
    let summary = data.with_file_name("summary.pdf");
    let (ok, _, err) = run_as(
        &data,
        vet,
        &[
            "encounter",
            "summary",
            &encounter,
            "-o",
            &summary.to_string_lossy(),
            "--discharge",
            "Rest for a week; recheck in 7 days.",
        ],
    );
    assert!(ok, "{err}");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&summary)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("pdftotext (poppler-utils): {e}"));
    let text = String::from_utf8_lossy(&text.stdout);
    for needle in [
        "Visit summary",
        "Bella",
        "Ann Ng",
        "Dr Ada Vet",
        "Rest for a week",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }

    let (ok, hits, _) = run_as(&data, vet, &["search", "bel"]);
    assert!(
        ok && hits.contains("Bella") && hits.contains("dog · Ng"),
        "{hits}"
    );
    let (ok, shown, _) = run_as(&data, vet, &["patient", "show", &patient]);
    let json: serde_json::Value =
        serde_json::from_str(&shown).unwrap_or_else(|e| panic!("{e}: {shown}"));
    assert!(ok && json["encounters"][0]["signed"] == true, "{shown}");

    let (ok, verdict, _) = run_as(&data, None, &["audit", "verify"]);
    assert!(ok && verdict.contains("chain intact"), "{verdict}");
}

#[test]
fn import_reports_bad_rows_by_line_and_exits_non_zero() {
    let (dir, data) = clinic();
    let csv = dir.path().join("clients.csv");
    std::fs::write(
        &csv,
        "first_name,last_name,email,patient_name,species\nAnn,Ng,ann@example.com,Bella,dog\nBob,,bob@example.com,,\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let csv = csv.to_string_lossy().into_owned();
    let (ok, out, _) = run_as(&data, Some("Dr Ada Vet"), &["import", &csv]);
    assert!(!ok, "a rejected row makes the exit code 1");
    assert!(out.contains("line 3: last name: is required"), "{out}");
    assert!(
        out.contains("1 clients and 1 patients imported, 1 rows rejected"),
        "{out}"
    );
}

#[test]
fn export_is_canonical_json_written_whole() {
    let (dir, data) = clinic();
    let vet = Some("Dr Ada Vet");
    assert!(
        run_as(
            &data,
            vet,
            &["client", "add", "--first", "Ann", "--last", "Ng"]
        )
        .0
    );
    let file = dir.path().join("export.json");
    let path = file.to_string_lossy().into_owned();
    let (ok, _, err) = run_as(&data, vet, &["export", "--format", "json", "-o", &path]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["format"], "vetdesk-export-v1");
    assert_eq!(json["tables"]["clients"][0]["last_name"], "Ng");
    // Tables appear in name order in the file itself (serde_json's map would sort them anyway).
    let positions: Vec<usize> = [
        "\"addenda\":[",
        "\"appointments\":[",
        "\"clients\":[",
        "\"weights\":[",
    ]
    .iter()
    .map(|t| text.find(t).unwrap_or_else(|| panic!("{t} missing")))
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(
        !text.contains("pin_hash") && !text.contains("argon2id"),
        "PIN hashes stay in the store"
    );
    // As a value of its own: the digits alone turn up by chance inside random ids and
    // hashes (this failed once on a UUID).
    assert!(!text.contains("\"2468\""), "no PIN in clear");
}

#[test]
fn an_import_killed_mid_write_leaves_all_or_nothing() {
    use std::io::{BufRead, BufReader};

    let (dir, data) = clinic();
    let csv = dir.path().join("big.csv");
    let mut text = String::from("first_name,last_name,phone,patient_name,species\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "Client{i},Family{},+44 7700 {i:06},Pet{i},dog\n",
            i % 97
        ));
    }
    std::fs::write(&csv, text).unwrap_or_else(|e| panic!("{e}"));

    let mut child = vetdesk(&data)
        .args(["import", &csv.to_string_lossy()])
        .env("VETDESK_STAFF", "Dr Ada Vet")
        .env("VETDESK_PIN", "2468")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // Wait until rows are being written (progress is reported in the transaction).
    let mut stderr = BufReader::new(child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("importing: 1000/") {
        let mut chunk = Vec::new();
        if stderr.read_until(b'\r', &mut chunk).unwrap_or(0) == 0 {
            break;
        }
        seen.extend(chunk);
    }
    let still_running = child.try_wait().ok().flatten().is_none();
    child.kill().unwrap_or_else(|e| panic!("{e}")); // SIGKILL
    let _ = child.wait();
    assert!(
        still_running,
        "the import finished before it could be killed: {}",
        String::from_utf8_lossy(&seen)
    );

    let (ok, status, err) = run_as(&data, None, &["status"]);
    assert!(ok, "the store opens after a kill -9: {err}");
    assert!(
        status.contains("records:      0 clients, 0 patients"),
        "nothing half-written: {status}"
    );
    let (ok, verdict, _) = run_as(&data, None, &["audit", "verify"]);
    assert!(ok && verdict.contains("chain intact"), "{verdict}");

    // The same import, run again to the end, writes everything.
    let (ok, out, err) = run_as(
        &data,
        Some("Dr Ada Vet"),
        &["import", &csv.to_string_lossy()],
    );
    assert!(ok, "{out} {err}");
    let (_, status, _) = run_as(&data, None, &["status"]);
    assert!(
        status.contains("records:      20000 clients, 20000 patients"),
        "{status}"
    );
}

#[test]
fn only_an_admin_manages_staff_and_a_deactivated_member_cannot_sign_in() {
    let (_dir, data) = clinic();
    let admin = Some("Dr Ada Vet");
    // Managing staff needs the admin's second factor: refused until she has one.
    let (ok, _, err) = run_as(
        &data,
        admin,
        &[
            "staff",
            "roles",
            "Dr Ada Vet",
            "--role",
            "admin",
            "--role",
            "vet",
        ],
    );
    assert!(!ok && err.contains("auth enroll"), "{err}");
    let (_, recovery_codes) = common::enroll_authenticator(|args| run_as(&data, admin, args));
    add_fred_desk_as_ada(&data);

    let (ok, _, err) = run_as(
        &data,
        Some("Fred Desk"),
        &["staff", "roles", "Fred Desk", "--role", "admin"],
    );
    assert!(!ok && err.contains("not allowed: manage staff"), "{err}");
    let (ok, _, err) = run_as(
        &data,
        Some("Fred Desk"),
        &["client", "add", "--first", "Ann", "--last", "Ng"],
    );
    assert!(ok, "the front desk registers clients: {err}");

    // Fred signed in here since: Ada's confirmation ended, and her next admin act
    // needs a code again — here one of her recovery codes, as if her phone were away.
    let (ok, _, err) = run_as(&data, admin, &["staff", "deactivate", "Fred Desk"]);
    assert!(!ok && err.contains("VETDESK_CODE"), "{err}");
    let deactivate = vetdesk(&data)
        .args(["staff", "deactivate", "Fred Desk"])
        .env("VETDESK_STAFF", "Dr Ada Vet")
        .env("VETDESK_PIN", "2468")
        .env("VETDESK_CODE", &recovery_codes[0])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        deactivate.status.success(),
        "{}",
        String::from_utf8_lossy(&deactivate.stderr)
    );
    let (ok, _, err) = run_as(
        &data,
        Some("Fred Desk"),
        &["client", "add", "--first", "Bo", "--last", "Ng"],
    );
    assert!(!ok && err.contains("no longer active"), "{err}");
    let (ok, list, _) = run_as(&data, admin, &["staff", "list"]);
    assert!(
        ok && list.contains("Fred Desk") && list.contains("(inactive)"),
        "{list}"
    );
    let (ok, log, _) = run_as(&data, admin, &["audit", "log", "--action", "denied"]);
    assert!(
        ok && log.lines().count() == 1,
        "the refusal is audited: {log}"
    );
}

/// Reads sign in like writes (no `--as`, no answer), and a read core refuses is
/// refused here too, with core's words, and lands in the audit log.
#[test]
fn reads_sign_in_like_writes_and_a_refused_read_is_audited() {
    let (_dir, data) = clinic();
    let admin = Some("Dr Ada Vet");
    for args in [
        &["invoice", "list"][..],
        &[
            "invoice",
            "statement",
            "00000000-0000-0000-0000-000000000000",
        ],
        &["staff", "list"],
        &["catalog", "list"],
        &["stock", "list"],
        &["stock", "alerts"],
    ] {
        let (ok, out, err) = run_as(&data, None, args);
        assert!(
            !ok && out.is_empty() && err.contains("say who is acting"),
            "{args:?}: {out} {err}"
        );
    }
    let (ok, out, err) = run_as(&data, admin, &["staff", "list"]);
    assert!(ok && out.contains("Dr Ada Vet"), "{err}");

    common::enroll_authenticator(|args| run_as(&data, admin, args));
    add_fred_desk_as_ada(&data);

    let (ok, out, err) = run_as(&data, Some("Fred Desk"), &["audit", "log"]);
    assert!(
        !ok && out.is_empty() && err.contains("not allowed: view the audit log"),
        "{out} {err}"
    );
    let (ok, out, err) = run_as(&data, Some("Fred Desk"), &["invoice", "list"]);
    assert!(
        ok,
        "the front desk bills, so it lists invoices: {out} {err}"
    );
    let (ok, log, err) = run_as(&data, admin, &["audit", "log", "--action", "denied"]);
    assert!(ok, "{err}");
    assert!(
        log.lines()
            .any(|l| l.contains("permission") && l.contains("view the audit log")),
        "{log}"
    );
}
