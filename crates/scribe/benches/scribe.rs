//! Scribe benchmarks (issue 5 §8), printed as a table; run by `make bench`.
//!
//! - Real-time factor (transcription time ÷ audio time) of tiny.en and base, 2 threads,
//!   greedy, on the same espeak-ng dictations, model loaded once.
//! - Streaming lag: utterances fed at real-time pace through the streaming transcriber
//!   (tiny.en); lag from an utterance's last audio to its segment, p50 and p95.
//! - Peak memory (`VmHWM`) of this process after each part.
//!
//! - Beside whisper.cpp's own `whisper-cli` (built by `scripts/build-whisper-cli.sh`
//!   against the same static libraries, path in `VETDESK_WHISPER_CLI`): the same five
//!   passes (a warm-up clip, then the four) on the same samples (written as 32-bit
//!   float 16 kHz WAVs), 2 threads, greedy (`-bs 1 -bo 1`), model loaded once; its
//!   time is its own `total − load` from `whisper_print_timings`. Run with flash
//!   attention off as our context is (`-nfa`) for the ratio, and at its defaults.
//!
//! The models are the CTranslate2 packages `scripts/setup.sh test` fetched from PyPI,
//! converted here.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vetdesk_scribe::stream::StreamingTranscriber;
use vetdesk_scribe::transcribe::{Options, Transcriber, read_wav};

const DICTATIONS: &[&str] = &[
    "Bella is a four year old spayed Labrador. She weighs twenty eight kilograms. Temperature thirty nine point one. Otitis externa in the left ear. Start Otomax drops twice daily in the left ear for ten days. Recheck in two weeks.",
    "Max is lame on the right hind leg. Weight thirty two kilograms. Carprofen one hundred milligrams by mouth twice daily for seven days.",
    "Luna the cat has been vomiting for two days. Temperature thirty eight point nine. Heart rate one hundred and eighty. Maropitant four milligrams once daily for three days.",
    "Rocky weighs sixty six pounds. Heart rate ninety six. Osteoarthritis in both hips. Gabapentin three hundred milligrams three times daily for thirty days.",
];

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn speak(dir: &Path, n: usize, text: &str) -> Vec<f32> {
    let wav = dir.join(format!("d{n}.wav"));
    let status = ok(std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&wav)
        .arg(text)
        .status());
    assert!(status.success());
    ok(read_wav(&wav))
}

fn peak_rss_mb() -> f64 {
    vetdesk_testkit::peak_rss_kb(None) as f64 / 1024.0
}

/// `samples` as a 32-bit float 16 kHz mono WAV: exactly what our transcriber gets.
fn write_float_wav(path: &Path, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = ok(hound::WavWriter::create(path, spec));
    for s in samples {
        ok(writer.write_sample(*s));
    }
    ok(writer.finalize());
}

/// whisper-cli's own time for transcribing `wavs` after loading `model`: `total − load`
/// from its `whisper_print_timings`, in seconds.
fn whisper_cli_seconds(cli: &Path, model: &Path, wavs: &[PathBuf], extra: &[&str]) -> f64 {
    let mut command = std::process::Command::new(cli);
    command
        .arg("-m")
        .arg(model)
        .args(["-t", "2", "-bs", "1", "-bo", "1", "-l", "en"])
        .args(extra);
    for wav in wavs {
        command.arg("-f").arg(wav);
    }
    let output = ok(command.output());
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "whisper-cli failed: {log}");
    let timing = |what: &str| -> f64 {
        log.lines()
            .find(|l| l.contains(&format!("{what} time =")))
            .and_then(|l| l.split('=').nth(1))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {what} time from whisper-cli: {log}"))
    };
    (timing("total") - timing("load")) / 1000.0
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0)
}

fn main() {
    let work = ok(tempfile::tempdir());
    let audio: Vec<Vec<f32>> = DICTATIONS
        .iter()
        .enumerate()
        .map(|(n, t)| speak(work.path(), n, t))
        .collect();
    let seconds: f64 = audio.iter().map(|a| a.len() as f64 / 16_000.0).sum();
    let mut rows: Vec<[String; 5]> = Vec::new();
    let options = Options {
        threads: 2,
        ..Options::default()
    };

    let whisper_cli = std::env::var_os("VETDESK_WHISPER_CLI")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    // The warm-up clip, then the four: the same passes for both programs.
    let passes: Vec<&Vec<f32>> = std::iter::once(&audio[0]).chain(audio.iter()).collect();
    let pass_seconds: f64 = passes.iter().map(|a| a.len() as f64 / 16_000.0).sum();
    let wavs: Vec<PathBuf> = passes
        .iter()
        .enumerate()
        .map(|(n, samples)| {
            let path = work.path().join(format!("pass{n}.f32.wav"));
            write_float_wav(&path, samples);
            path
        })
        .collect();

    let mut tiny_path = PathBuf::new();
    for (name, dir) in [("tiny.en", "ct2-tiny.en"), ("base", "ct2-base")] {
        let model = work.path().join(format!("ggml-{name}.bin"));
        ok(vetdesk_scribe::ct2::convert(
            &vetdesk_testkit::test_models_dir().join(dir),
            &model,
            &mut |_, _| {},
        ));
        if name == "tiny.en" {
            tiny_path = model.clone();
        }
        let loaded = Instant::now();
        let transcriber = ok(Transcriber::load(&model, name));
        let load = loaded.elapsed();
        // The warm-up pass, then the measured four (timed together for the ratio).
        let all = Instant::now();
        ok(transcriber.transcribe(passes[0], &options, |_| {}));
        let started = Instant::now();
        for clip in &passes[1..] {
            ok(transcriber.transcribe(clip, &options, |_| {}));
        }
        let took = started.elapsed().as_secs_f64();
        let ours_all = all.elapsed().as_secs_f64();
        let (baseline, ratio) = match &whisper_cli {
            Some(cli) => {
                let same = whisper_cli_seconds(cli, &model, &wavs, &["-nfa"]);
                let defaults = whisper_cli_seconds(cli, &model, &wavs, &[]);
                (
                    format!(
                        "whisper-cli, same 5 passes ({pass_seconds:.1} s): {same:.2} s without flash attention (ours {ours_all:.2} s); {defaults:.2} s at its defaults (flash attention on)"
                    ),
                    format!("{:.3}", ours_all / same),
                )
            }
            None => (
                "whisper-cli not built (set VETDESK_WHISPER_CLI; `make bench` does)".into(),
                "—".into(),
            ),
        };
        rows.push([
            format!("{name}: transcribe {seconds:.1} s of dictation (4 clips), 2 threads, greedy"),
            format!(
                "{took:.2} s = RTF {:.3} ({:.1}× real time); model load {:.2} s",
                took / seconds,
                seconds / took,
                load.as_secs_f64()
            ),
            baseline,
            ratio,
            "ratio ≤ 1.05 vs whisper-cli".into(),
        ]);
        rows.push([
            format!("  peak RSS after {name}"),
            format!("{:.0} MB", peak_rss_mb()),
            "—".into(),
            "—".into(),
            "—".into(),
        ]);
    }

    // Streaming lag, tiny.en, fed at real-time pace with a second of silence between.
    let transcriber = Arc::new(ok(Transcriber::load(&tiny_path, "tiny.en")));
    let lags = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&lags);
    let stream = ok(StreamingTranscriber::start(
        transcriber,
        options.clone(),
        move |segment| {
            if let Ok(mut l) = seen.lock() {
                l.push(segment.lag_ms);
            }
        },
    ));
    let mut fed = Vec::new();
    for clip in audio.iter().chain(audio.iter()) {
        fed.extend_from_slice(clip);
        fed.extend(std::iter::repeat_n(0.0, 16_000));
    }
    let started = Instant::now();
    for (n, block) in fed.chunks(1_600).enumerate() {
        stream.push(block);
        let due = Duration::from_millis(100 * (n as u64 + 1));
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    ok(stream.finish());
    let mut lags = lags.lock().map(|l| l.clone()).unwrap_or_default();
    lags.sort_unstable();
    rows.push([
        format!(
            "streaming: {:.0} s of speech fed in real time, tiny.en, 2 threads",
            fed.len() as f64 / 16_000.0
        ),
        format!(
            "{} segments; lag p50 {} ms, p95 {} ms, max {} ms",
            lags.len(),
            percentile(&lags, 0.5),
            percentile(&lags, 0.95),
            lags.last().copied().unwrap_or(0)
        ),
        "—".into(),
        format!(
            "{:.2} of the budget",
            percentile(&lags, 0.95) as f64 / 2000.0
        ),
        "p95 ≤ 2 s".into(),
    ]);
    rows.push([
        "  peak RSS while streaming (models loaded above included)".into(),
        format!("{:.0} MB", peak_rss_mb()),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    vetdesk_testkit::print_bench_table(&rows);
}
