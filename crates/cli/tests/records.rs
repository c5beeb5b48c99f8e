//! The records commands of `vetdesk` as a script uses them: ids on stdout, errors with
//! field names on stderr, exit codes that say whether it worked.

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
        ok && day.lines().count() == 2 && day.contains("Bella"),
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
    assert!(!text.contains("2468"), "no PIN in clear");
}
