//! Repository hygiene that no compiler checks: every Rust file opens with a `//!`
//! comment saying what it is for, and core stays free of the shell's frameworks.

use std::path::{Path, PathBuf};

use vetdesk_e2e::repo_root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(
                name.as_ref(),
                "target" | "node_modules" | ".git" | "gen" | "dist"
            ) && !name.starts_with('.')
            {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_comment() {
    let root = repo_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 20,
        "found only {} .rs files under {}",
        files.len(),
        root.display()
    );
    let missing: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            !first.starts_with("//!")
        })
        .map(|p| p.strip_prefix(&root).unwrap_or(p).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "these files do not start with a //! comment: {missing:#?}"
    );
}

/// The invariants of docs/ARCHITECTURE.md, checked on the resolved dependency graph
/// (direct and transitive): core never pulls in the window, the HTTP server or audio;
/// the sync server never pulls in core (it must not be able to read clinical data).
#[test]
fn the_dependency_direction_holds() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "vetdesk-billing",
            &["rusqlite", "tauri", "axum", "printpdf", "vetdesk-core"],
        ),
        (
            "vetdesk-core",
            &["tauri", "axum", "whisper-rs", "cpal", "sqlx", "printpdf"],
        ),
        (
            "vetdesk-proto",
            &["tauri", "axum", "whisper-rs", "cpal", "rusqlite", "tokio"],
        ),
        (
            "vetdesk-sync-server",
            &["vetdesk-core", "rusqlite", "tauri", "whisper-rs"],
        ),
    ];
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (package, banned) in cases {
        let output = std::process::Command::new(&cargo)
            .args([
                "tree",
                "--offline",
                "-e",
                "normal",
                "--prefix",
                "none",
                "-p",
                package,
            ])
            .current_dir(repo_root())
            .output()
            .unwrap_or_else(|e| panic!("cargo tree: {e}"));
        assert!(
            output.status.success(),
            "cargo tree -p {package}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8_lossy(&output.stdout);
        let names: Vec<&str> = tree
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(names.len() > 1, "empty tree for {package}");
        for bad in banned {
            assert!(!names.contains(bad), "{package} depends on {bad}");
        }
    }
}
