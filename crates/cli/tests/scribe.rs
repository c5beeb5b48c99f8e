//! `vetdesk models …` and `vetdesk transcribe` as scripts use them, on the real tiny.en
//! model (the CTranslate2 package `scripts/setup.sh test` fetched from PyPI) and real
//! speech from espeak-ng.

#![cfg(feature = "scribe")]

use std::path::{Path, PathBuf};
use std::process::Command;

use vetdesk_testkit::{VirtualMicrophone, speak};

fn vetdesk(data_dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vetdesk"))
        .args(args)
        .env("VETDESK_DATA_DIR", data_dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ct2_tiny_en() -> PathBuf {
    vetdesk_testkit::test_models_dir().join("ct2-tiny.en")
}

#[test]
fn a_model_is_imported_listed_verified_and_used_and_its_hash_goes_with_the_transcript() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let (ok, _, err) = vetdesk(&data, &["transcribe", "/nonexistent.wav"]);
    assert!(!ok && err.contains("no Whisper model"), "{err}");

    let source = ct2_tiny_en();
    let source = source.to_string_lossy();
    let (ok, out, err) = vetdesk(&data, &["models", "import-ct2", &source]);
    assert!(ok, "{out} {err}");
    assert!(
        out.contains("ggml-tiny.en-ct2.bin") && out.contains("77704715 bytes"),
        "{out}"
    );
    assert!(err.contains("100%"), "progress is shown: {err}");
    let (ok, out, _) = vetdesk(&data, &["models", "list"]);
    assert!(
        ok && out.contains("ggml-tiny.en-ct2.bin  (import-ct2"),
        "{out}"
    );
    assert!(
        out.contains("tiny.en ") && out.contains("base.en "),
        "{out}"
    );
    let (ok, out, _) = vetdesk(&data, &["models", "verify"]);
    assert!(ok && out.contains("ggml-tiny.en-ct2.bin  ok"), "{out}");
    let (ok, _, err) = vetdesk(&data, &["models", "install", "huge.en"]);
    assert!(!ok && err.contains("known: tiny.en"), "{err}");

    let wav = dir.path().join("cat.wav");
    speak(
        &wav,
        "The cat weighs four point two kilograms. Temperature thirty eight point nine.",
    );
    let (ok, out, err) = vetdesk(
        &data,
        &[
            "transcribe",
            &wav.to_string_lossy(),
            "--json",
            "--threads",
            "2",
        ],
    );
    assert!(ok, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data.join("models/manifest.json")).unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["model_sha256"], manifest["models"][0]["sha256"]);
    assert_eq!(json["model_file"], "ggml-tiny.en-ct2.bin");
    let text = json["text"].as_str().unwrap_or_default().to_lowercase();
    assert!(
        text.contains("cat") && text.contains("4.2") && text.contains("38.9"),
        "{text}"
    );
    assert!(
        json["segments"][0]["end_ms"].as_u64().unwrap_or(0) > 1000,
        "{json}"
    );

    let (ok, out, _) = vetdesk(
        &data,
        &[
            "transcribe",
            &wav.to_string_lossy(),
            "--model",
            "tiny.en-ct2",
        ],
    );
    assert!(ok && out.starts_with("[00:00.00 → "), "{out}");
    let (ok, _, err) = vetdesk(
        &data,
        &["transcribe", &wav.to_string_lossy(), "--model", "nope"],
    );
    assert!(!ok && err.contains("no model \"nope\""), "{err}");
}

#[test]
fn draft_returns_items_with_their_evidence_and_flags_a_dose_out_of_range() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let (ok, _, err) = vetdesk(
        &data,
        &["models", "import-ct2", &ct2_tiny_en().to_string_lossy()],
    );
    assert!(ok, "{err}");
    let wav = dir.path().join("visit.wav");
    speak(
        &wav,
        "She weighs ten kilograms. Temperature thirty nine point one. Carprofen two hundred milligrams by mouth once daily.",
    );
    let wav = wav.to_string_lossy();
    let (ok, out, err) = vetdesk(
        &data,
        &[
            "draft",
            &wav,
            "--species",
            "dog",
            "--json",
            "--threads",
            "2",
        ],
    );
    assert!(ok, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let items = json["items"].as_array().cloned().unwrap_or_default();
    let of = |kind: &str| items.iter().find(|i| i["item"]["kind"] == kind).cloned();
    let weight = of("weight").unwrap_or_else(|| panic!("no weight: {json:#}"));
    assert_eq!(weight["item"]["kg"], 10.0);
    let evidence = &weight["evidence"];
    assert!(
        evidence["quote"].as_str().unwrap_or("").contains("10"),
        "{evidence}"
    );
    assert!(evidence["start_ms"].as_u64() < evidence["end_ms"].as_u64());
    assert_eq!(
        of("temperature").map(|t| t["item"]["celsius"].clone()),
        Some(39.1.into())
    );
    // 200 mg for a 10 kg dog is 20 mg/kg; carprofen's range is 2–4.4.
    let medication = of("medication").unwrap_or_else(|| panic!("no medication: {json:#}"));
    assert_eq!(medication["item"]["drug"], "Carprofen");
    assert_eq!(
        medication["flags"][0]["flag"], "dose_out_of_range",
        "{medication}"
    );
    assert!(
        json["transcript"]["model_sha256"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );

    let (ok, _, err) = vetdesk(&data, &["draft", &wav, "--weight=-3"]);
    assert!(!ok && err.contains("not a patient's weight"), "{err}");
}

/// Runs `vetdesk record ARGS` against the virtual microphone, playing `dictation` into
/// it once recording has started; returns (success, stdout, stderr).
fn record_from(
    mic: &VirtualMicrophone,
    data: &Path,
    args: &[&str],
    dictation: &Path,
) -> (bool, String, String) {
    use std::io::BufRead;

    let mut recorder = Command::new(env!("CARGO_BIN_EXE_vetdesk"))
        .arg("record")
        .args(args)
        .env("VETDESK_DATA_DIR", data)
        .env("VETDESK_PASSPHRASE", PASSPHRASE)
        .env("VETDESK_STAFF", "Dr Ada Vet")
        .env("VETDESK_PIN", "2468")
        .env("PULSE_SERVER", mic.server())
        .env("PULSE_SOURCE", "virtmic")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = recorder
        .stderr
        .take()
        .unwrap_or_else(|| panic!("no stderr"));
    let mut lines = std::io::BufReader::new(stderr);
    let mut first = String::new();
    let _ = lines.read_line(&mut first);
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut lines, &mut rest);
        rest
    });
    if first.contains("recording from") {
        mic.play(dictation);
    }
    let out = recorder
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{e}"));
    let rest = drain.join().unwrap_or_default();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        format!("{first}{rest}"),
    )
}

const PASSPHRASE: &str = "a long test passphrase";

/// Runs `vetdesk ARGS` on a passphrase store, as Dr Ada Vet when `acting`.
fn clinician(data: &Path, acting: bool, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vetdesk"));
    cmd.args(args)
        .env("VETDESK_DATA_DIR", data)
        .env("VETDESK_PASSPHRASE", PASSPHRASE)
        .env("VETDESK_PIN", "2468")
        .env("VETDESK_NEW_PIN", "2468")
        .env_remove("VETDESK_STAFF")
        .stdin(std::process::Stdio::null());
    if acting {
        cmd.env("VETDESK_STAFF", "Dr Ada Vet");
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A passphrase store with Dr Ada Vet and Ann `surname`'s cat Tom; returns Tom's id.
fn clinic_with_a_cat(data: &Path, surname: &str) -> String {
    let init = [
        "init",
        "--clinic",
        "Harbour Vets",
        "--key-store",
        "passphrase",
    ];
    assert!(clinician(data, false, &init).0);
    let vet = ["staff", "add", "--name", "Dr Ada Vet", "--role", "vet"];
    assert!(clinician(data, false, &vet).0);
    let (ok, client, err) = clinician(
        data,
        true,
        &["client", "add", "--first", "Ann", "--last", surname],
    );
    assert!(ok, "{err}");
    let tom = [
        "patient",
        "add",
        "--name",
        "Tom",
        "--species",
        "cat",
        "--owner",
        &client,
    ];
    let (ok, patient, err) = clinician(data, true, &tom);
    assert!(ok, "{err}");
    patient
}

#[test]
fn the_microphone_path_records_a_played_dictation_through_cpal_and_it_transcribes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let (ok, _, err) = vetdesk(
        &data,
        &["models", "import-ct2", &ct2_tiny_en().to_string_lossy()],
    );
    assert!(ok, "{err}");
    let dictation = dir.path().join("dictation.wav");
    speak(&dictation, "The cat weighs four point two kilograms.");
    let mic = VirtualMicrophone::start(dir.path());

    // 1. Into a plain WAV.
    let recording = dir.path().join("recording.wav");
    let (ok, _, err) = record_from(
        &mic,
        &data,
        &["--seconds", "6", "--out", &recording.to_string_lossy()],
        &dictation,
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("recording from") && err.contains("dBFS"),
        "the level meter ran: {err}"
    );
    let (ok, out, err) = vetdesk(
        &data,
        &[
            "transcribe",
            &recording.to_string_lossy(),
            "--json",
            "--threads",
            "2",
        ],
    );
    assert!(ok, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let text = json["text"].as_str().unwrap_or_default().to_lowercase();
    assert!(text.contains("cat") && text.contains("4.2"), "{text}");
    let audio_ms = json["audio_ms"].as_u64().unwrap_or(0);
    assert!(
        (5_500..=6_500).contains(&audio_ms),
        "about 6 s recorded: {audio_ms}"
    );

    // 2. For an encounter: consent first, then encrypted as it is captured.
    let patient = clinic_with_a_cat(&data, "Ng");
    let (ok, encounter, err) =
        clinician(&data, true, &["encounter", "start", "--patient", &patient]);
    assert!(ok, "{err}");
    let (ok, _, err) = record_from(
        &mic,
        &data,
        &["--seconds", "6", "--encounter", &encounter],
        &dictation,
    );
    assert!(
        !ok && err.contains("consented"),
        "no consent, no recording: {err}"
    );
    assert!(
        !data.join("recordings").exists()
            || std::fs::read_dir(data.join("recordings"))
                .map(|d| d.count())
                .unwrap_or(0)
                == 0
    );
    let (ok, id, err) = record_from(
        &mic,
        &data,
        &[
            "--seconds",
            "6",
            "--encounter",
            &encounter,
            "--override-reason",
            "owner agreed on the phone",
            "--live",
        ],
        &dictation,
    );
    assert!(ok && id.len() == 36, "{id} {err}");
    // The live transcript showed the utterance while recording went on.
    let live = err.lines().find(|l| l.contains(" → ") && l.contains("lag"));
    assert!(
        live.is_some_and(|l| l.to_lowercase().contains("cat")),
        "{err}"
    );
    let file = std::fs::read(data.join(format!("recordings/{id}.vdrec"))).unwrap_or_default();
    assert!(
        file.starts_with(b"VDREC") && !file.windows(4).any(|w| w == b"RIFF"),
        "encrypted, not a WAV"
    );
    let (ok, out, err) = clinician(
        &data,
        true,
        &["transcribe", "--recording", &id, "--json", "--threads", "2"],
    );
    assert!(ok, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let text = json["text"].as_str().unwrap_or_default().to_lowercase();
    assert!(text.contains("cat"), "{text}");

    // The final pass over the whole recording becomes a draft beside the encounter;
    // the vet approves the weight it heard and it is in the record.
    let (ok, out, err) = clinician(
        &data,
        true,
        &[
            "draft",
            "--recording",
            &id,
            "--encounter",
            &encounter,
            "--json",
            "--threads",
            "2",
        ],
    );
    assert!(ok, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(json["draft_id"].is_string(), "{json:#}");
    let weight = json["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["item"]["kind"] == "weight"))
        .unwrap_or_else(|| panic!("no weight drafted: {json:#}"));
    assert_eq!(weight["item"]["kg"], 4.2, "{weight}");
    let (ok, listed, err) = clinician(
        &data,
        true,
        &["drafts", "list", "--encounter", &encounter, "--json"],
    );
    assert!(ok, "{err}");
    let drafts: serde_json::Value =
        serde_json::from_str(&listed).unwrap_or_else(|e| panic!("{e}: {listed}"));
    let item = drafts[0]["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["item"]["kind"] == "weight"))
        .and_then(|i| i["id"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("{drafts:#}"));
    let (ok, _, err) = clinician(&data, true, &["drafts", "approve", &item]);
    assert!(ok, "{err}");
    let (_, shown, _) = clinician(&data, true, &["encounter", "show", &encounter]);
    assert!(
        shown.contains("4.2"),
        "the approved weight is recorded: {shown}"
    );

    let (ok, list, err) = clinician(
        &data,
        true,
        &["recordings", "list", "--encounter", &encounter],
    );
    assert!(ok, "{err}");
    assert!(
        list.contains(&id)
            && list.contains("consent override (owner agreed on the phone)")
            && list.contains("audio on this device"),
        "{list}"
    );
    let (ok, out, err) = clinician(&data, true, &["recordings", "purge"]);
    assert!(
        ok && out.contains("0 recording(s)"),
        "nothing is past 30 days yet: {out} {err}"
    );
}

#[test]
fn draft_for_a_patient_takes_species_weight_and_names_from_the_record() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let (ok, _, err) = vetdesk(
        &data,
        &["models", "import-ct2", &ct2_tiny_en().to_string_lossy()],
    );
    assert!(ok, "{err}");
    let patient = clinic_with_a_cat(&data, "Okafor");
    let (ok, _, err) = clinician(&data, true, &["patient", "weight", &patient, "4"]);
    assert!(ok, "{err}");
    let wav = dir.path().join("tom.wav");
    // 0.4 mg of meloxicam for a 4 kg cat is 0.1 mg/kg: above a cat's 0.05.
    speak(
        &wav,
        "Tom is doing well. Meloxicam zero point four milligrams by mouth once daily for three days.",
    );
    let (ok, out, err) = clinician(
        &data,
        true,
        &[
            "draft",
            &wav.to_string_lossy(),
            "--patient",
            &patient,
            "--json",
            "--threads",
            "2",
        ],
    );
    assert!(ok, "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(json["context"]["species"], "cat");
    assert_eq!(json["context"]["weight_kg"], 4.0);
    let items = json["items"].as_array().cloned().unwrap_or_default();
    let medication = items
        .iter()
        .find(|i| i["item"]["kind"] == "medication")
        .unwrap_or_else(|| panic!("no medication: {json:#}"));
    assert_eq!(medication["item"]["drug"], "Meloxicam", "{medication}");
    assert_eq!(
        medication["flags"][0]["flag"], "dose_out_of_range",
        "{medication}"
    );
    let (ok, _, err) = clinician(
        &data,
        false,
        &["draft", &wav.to_string_lossy(), "--patient", &patient],
    );
    assert!(
        !ok && err.contains("--as"),
        "reading the record needs a signed-in clinician: {err}"
    );
}

#[test]
fn a_draft_stored_beside_an_encounter_is_reviewed_item_by_item_by_the_vet() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let (ok, _, err) = vetdesk(
        &data,
        &["models", "import-ct2", &ct2_tiny_en().to_string_lossy()],
    );
    assert!(ok, "{err}");
    let patient = clinic_with_a_cat(&data, "Mensah");
    let (ok, encounter, err) =
        clinician(&data, true, &["encounter", "start", "--patient", &patient]);
    assert!(ok, "{err}");
    let (ok, _, err) = clinician(&data, true, &["patient", "weight", &patient, "4"]);
    assert!(ok, "{err}");
    let wav = dir.path().join("tom.wav");
    speak(
        &wav,
        "Tom is doing well. Temperature thirty eight point five degrees. Meloxicam zero point four milligrams by mouth once daily for three days.",
    );
    let (ok, out, err) = clinician(
        &data,
        true,
        &[
            "draft",
            &wav.to_string_lossy(),
            "--encounter",
            &encounter,
            "--threads",
            "2",
        ],
    );
    assert!(
        ok && out.contains("stored beside the encounter"),
        "{out} {err}"
    );

    // Stored, pending, and the record unchanged.
    let (ok, listed, err) = clinician(
        &data,
        true,
        &["drafts", "list", "--encounter", &encounter, "--json"],
    );
    assert!(ok, "{err}");
    let drafts: serde_json::Value =
        serde_json::from_str(&listed).unwrap_or_else(|e| panic!("{e}: {listed}"));
    let items = drafts[0]["items"].as_array().cloned().unwrap_or_default();
    assert!(items.iter().all(|i| i["status"] == "pending"), "{drafts:#}");
    assert_eq!(drafts[0]["transcript_version"], 1);
    assert_eq!(drafts[0]["model_sha256"].as_str().map(str::len), Some(64));
    let find = |kind: &str| {
        items
            .iter()
            .find(|i| i["item"]["kind"] == kind)
            .and_then(|i| i["id"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no {kind} item: {drafts:#}"))
    };
    let (temperature, medication) = (find("temperature"), find("medication"));
    let (_, before, _) = clinician(&data, true, &["encounter", "show", &encounter]);
    assert!(before.contains("\"vitals\": []"), "{before}");

    // The flagged dose (0.1 mg/kg for a cat) is refused without a reason.
    let (ok, _, err) = clinician(&data, true, &["drafts", "approve", &medication]);
    assert!(!ok && err.contains("override reason"), "{err} {drafts:#}");
    let (ok, out, err) = clinician(
        &data,
        true,
        &[
            "drafts",
            "approve",
            &medication,
            "--override-reason",
            "single loading dose",
        ],
    );
    assert!(
        ok && out.contains("1 record row(s) written"),
        "{out} {err} {drafts:#}"
    );
    let (ok, out, err) = clinician(
        &data,
        true,
        &[
            "drafts",
            "reject",
            &temperature,
            "--reason",
            "owner will phone instead",
        ],
    );
    assert!(ok && out.contains("rejected"), "{out} {err}");
    let (ok, _, err) = clinician(&data, true, &["drafts", "approve", &temperature]);
    assert!(!ok && err.contains("already been decided"), "{err}");
    let (ok, _, err) = clinician(
        &data,
        true,
        &[
            "drafts",
            "edit",
            &temperature,
            "--item-json",
            "{\"kind\":\"dragon\"}",
        ],
    );
    assert!(!ok && err.contains("not a drafted item"), "{err}");

    let (_, listed, _) = clinician(&data, true, &["drafts", "list", "--encounter", &encounter]);
    assert!(
        listed.contains("approved") && listed.contains("single loading dose"),
        "{listed}"
    );
    assert!(listed.contains("owner will phone instead"), "{listed}");
    let (_, after, _) = clinician(&data, true, &["encounter", "show", &encounter]);
    assert_eq!(
        after, before,
        "a rejected temperature is not recorded; a prescription is not part of the SOAP"
    );
}
