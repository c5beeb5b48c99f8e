//! `vetdesk models …` and `vetdesk transcribe` as scripts use them, on the real tiny.en
//! model (the CTranslate2 package `scripts/setup.sh test` fetched from PyPI) and real
//! speech from espeak-ng.

#![cfg(feature = "scribe")]

use std::path::{Path, PathBuf};
use std::process::Command;

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
    let root = std::env::var_os("VETDESK_TEST_MODELS").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/vetdesk/test-models")
        },
        PathBuf::from,
    );
    root.join("ct2-tiny.en")
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
    let spoke = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&wav)
        .arg("The cat weighs four point two kilograms. Temperature thirty eight point nine.")
        .status()
        .unwrap_or_else(|e| panic!("espeak-ng: {e}"));
    assert!(spoke.success());
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
    let spoke = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&wav)
        .arg("She weighs ten kilograms. Temperature thirty nine point one. Carprofen two hundred milligrams by mouth once daily.")
        .status()
        .unwrap_or_else(|e| panic!("espeak-ng: {e}"));
    assert!(spoke.success());
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

/// A private PulseAudio daemon with a virtual microphone: whatever is played into its
/// null sink `vsink` comes out of the source `virtmic` (16 kHz mono). Stopped on drop.
struct VirtualMicrophone {
    daemon: std::process::Child,
    socket: PathBuf,
}

impl VirtualMicrophone {
    fn start(dir: &Path) -> Self {
        let socket = dir.join("native");
        let script = dir.join("virtmic.pa");
        std::fs::write(
            &script,
            format!(
                "load-module module-native-protocol-unix auth-anonymous=1 socket={}\n\
                 load-module module-null-sink sink_name=vsink rate=16000 channels=1 format=s16le\n\
                 load-module module-remap-source master=vsink.monitor source_name=virtmic channels=1\n\
                 set-default-source virtmic\n",
                socket.display()
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let daemon = Command::new("pulseaudio")
            .args(["-n", "-F"])
            .arg(&script)
            .args(["--daemonize=no", "--exit-idle-time=-1"])
            .env("XDG_RUNTIME_DIR", dir)
            .env("HOME", dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("pulseaudio: {e} (scripts/setup.sh test installs it)"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while !socket.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "pulseaudio did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { daemon, socket }
    }

    fn server(&self) -> String {
        format!("unix:{}", self.socket.display())
    }
}

impl Drop for VirtualMicrophone {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

#[test]
fn the_microphone_path_records_a_played_dictation_through_cpal_and_it_transcribes() {
    use std::io::BufRead;

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let (ok, _, err) = vetdesk(
        &data,
        &["models", "import-ct2", &ct2_tiny_en().to_string_lossy()],
    );
    assert!(ok, "{err}");
    let dictation = dir.path().join("dictation.wav");
    let spoke = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&dictation)
        .arg("The cat weighs four point two kilograms.")
        .status()
        .unwrap_or_else(|e| panic!("espeak-ng: {e}"));
    assert!(spoke.success());
    let mic = VirtualMicrophone::start(dir.path());
    let recording = dir.path().join("recording.wav");

    let mut recorder = Command::new(env!("CARGO_BIN_EXE_vetdesk"))
        .args(["record", "--seconds", "6", "--out"])
        .arg(&recording)
        .env("PULSE_SERVER", mic.server())
        .env("PULSE_SOURCE", "virtmic")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // Play the dictation once the recorder has its first audio.
    let stderr = recorder
        .stderr
        .take()
        .unwrap_or_else(|| panic!("no stderr"));
    let mut lines = std::io::BufReader::new(stderr);
    let mut first = String::new();
    let _ = lines.read_line(&mut first);
    assert!(first.contains("recording from"), "{first}");
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut lines, &mut rest);
        rest
    });
    let played = Command::new("paplay")
        .args(["-d", "vsink"])
        .arg(&dictation)
        .env("PULSE_SERVER", mic.server())
        .status()
        .unwrap_or_else(|e| panic!("paplay: {e}"));
    assert!(played.success());
    let status = recorder.wait().unwrap_or_else(|e| panic!("{e}"));
    let levels = drain.join().unwrap_or_default();
    assert!(status.success(), "{first}{levels}");
    assert!(levels.contains("dBFS"), "the level meter ran: {levels}");

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
}
