//! Downloading a model over real HTTP from a small local server: an interrupted
//! transfer resumes where it stopped (a `Range` request), a file whose SHA-256 is not
//! the published one is deleted and never installed, and `verify` notices a model file
//! that changed after installation.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use vetdesk_scribe::catalog::KnownModel;
use vetdesk_scribe::install::{DownloadError, Manifest, download, verify};

/// Serves `body` at any path. The first `cut_first` responses stop after half the body
/// (then close), as a dropped connection would. Records each request's Range header.
fn serve(body: Vec<u8>, cut_first: usize) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&ranges);
    let served = AtomicUsize::new(0);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut range = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    range = v.trim().trim_end_matches('-').parse::<usize>().ok();
                }
            }
            seen.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(range.map(|r| r.to_string()));
            let mut stream = reader.into_inner();
            let from = range.unwrap_or(0).min(body.len());
            let head = match range {
                Some(_) => format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nConnection: close\r\n\r\n",
                    body.len() - from,
                    body.len() - 1,
                    body.len()
                ),
                None => format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                ),
            };
            let _ = stream.write_all(head.as_bytes());
            let rest = &body[from..];
            if served.fetch_add(1, Ordering::SeqCst) < cut_first {
                let _ = stream.write_all(&rest[..rest.len() / 2]);
            } else {
                let _ = stream.write_all(rest);
            }
        }
    });
    (url, ranges)
}

fn payload() -> (Vec<u8>, &'static str) {
    let body: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let hash: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (body, Box::leak(hash.into_boxed_str()))
}

fn model(sha256: &'static str) -> KnownModel {
    KnownModel {
        name: "test.en",
        file: "ggml-test.en.bin",
        sha256,
        approx_mb: 3,
        note: "",
    }
}

#[test]
fn an_interrupted_download_resumes_and_is_recorded_with_its_hash() {
    let (body, hash) = payload();
    let (url, ranges) = serve(body.clone(), 1);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = download(&model(hash), dir.path(), &url, &mut |_, _| {});
    assert!(matches!(first, Err(DownloadError::Network(_))), "{first:?}");
    let partial = dir.path().join("ggml-test.en.bin.partial");
    assert_eq!(
        std::fs::metadata(&partial).map(|m| m.len()).ok(),
        Some(1_500_000)
    );

    let mut last = (0, 0);
    let installed = download(&model(hash), dir.path(), &url, &mut |d, t| last = (d, t))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(std::fs::read(&installed).ok(), Some(body));
    assert_eq!(last, (3_000_000, 3_000_000));
    assert_eq!(
        *ranges.lock().unwrap_or_else(|p| p.into_inner()),
        [None, Some("1500000".to_string())],
        "the second request asked only for the rest"
    );
    assert!(!partial.exists());
    let manifest = Manifest::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(manifest.models.len(), 1);
    assert_eq!(manifest.models[0].sha256, hash);
}

#[test]
fn a_download_that_is_not_the_published_file_is_deleted_and_never_installed() {
    let (body, _) = payload();
    let (url, _) = serve(body, 0);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let wrong = "0".repeat(64);
    let result = download(
        &model(Box::leak(wrong.into_boxed_str())),
        dir.path(),
        &url,
        &mut |_, _| {},
    );
    assert!(
        matches!(&result, Err(DownloadError::ChecksumMismatch { .. })),
        "{result:?}"
    );
    let message = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("nothing was installed"), "{message}");
    assert!(
        std::fs::read_dir(dir.path())
            .map(|d| d.count())
            .unwrap_or(0)
            == 0
    );
}

#[test]
fn verify_notices_a_model_file_changed_after_installation() {
    let (body, hash) = payload();
    let (url, _) = serve(body, 0);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let installed =
        download(&model(hash), dir.path(), &url, &mut |_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    // Not a real ggml file, so its header is refused whatever its hash…
    let report = verify(dir.path(), &mut |_, _, _| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.len(), 1);
    assert!(
        !report[0].ok && report[0].verdict.contains("not a usable model"),
        "{report:?}"
    );
    // …and a changed byte is reported against the recorded hash once the header is fine.
    let mut bytes = std::fs::read(&installed).unwrap_or_default();
    bytes[..4].copy_from_slice(&0x6767_6d6c_u32.to_le_bytes());
    std::fs::write(&installed, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let report = verify(dir.path(), &mut |_, _, _| {}).unwrap_or_else(|e| panic!("{e}"));
    assert!(!report[0].ok, "{report:?}");
}
