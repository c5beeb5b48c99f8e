//! Shared by the scribe's integration tests: the real tiny.en model (converted once per
//! test process from the CTranslate2 package `scripts/setup.sh test` fetched), speech
//! synthesised with espeak-ng, and word error rate.

#![allow(dead_code)] // each test file uses part of it

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The CTranslate2 tiny.en model the setup script fetched.
pub fn ct2_tiny_en() -> PathBuf {
    let dir = vetdesk_testkit::test_models_dir().join("ct2-tiny.en");
    assert!(
        dir.join("model.bin").is_file(),
        "{} has no model.bin: run scripts/setup.sh test",
        dir.display()
    );
    dir
}

/// The CTranslate2 base model (multilingual, two parts) the setup script fetched.
pub fn ct2_base() -> PathBuf {
    let dir = ct2_tiny_en().with_file_name("ct2-base");
    assert!(
        dir.join("model.bin.part2").is_file(),
        "{} has no model.bin.part2: run scripts/setup.sh test",
        dir.display()
    );
    dir
}

/// The tiny.en ggml file, converted once for this test process.
pub fn tiny_en_ggml() -> &'static Path {
    static MODEL: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("ggml-tiny.en.bin");
        vetdesk_scribe::ct2::convert(&ct2_tiny_en(), &path, &mut |_, _| {})
            .unwrap_or_else(|e| panic!("{e}"));
        (dir, path)
    });
    path
}

/// `text` spoken by espeak-ng (US English, 150 words a minute) into `dir/name.wav`.
pub fn speak(dir: &Path, name: &str, text: &str) -> PathBuf {
    let wav = dir.join(format!("{name}.wav"));
    let status = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .unwrap_or_else(|e| panic!("espeak-ng: {e} (scripts/setup.sh test installs it)"));
    assert!(status.success());
    wav
}

/// Word error rate of `hypothesis` against `reference`: word-level edit distance over
/// the reference's length, after both are normalised (lowercase, no punctuation,
/// hyphens split, numbers as digits: "twenty-eight" and "28" are the same word).
pub fn wer(reference: &str, hypothesis: &str) -> f64 {
    let (r, h) = (
        vetdesk_draft::numbers::normalise(reference),
        vetdesk_draft::numbers::normalise(hypothesis),
    );
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for i in 1..=r.len() {
        let mut previous = row[0];
        row[0] = i;
        for j in 1..=h.len() {
            let substitution = previous + usize::from(r[i - 1] != h[j - 1]);
            previous = row[j];
            row[j] = substitution.min(row[j] + 1).min(row[j - 1] + 1);
        }
    }
    row[h.len()] as f64 / r.len().max(1) as f64
}
