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

/// The boundaries of docs/ARCHITECTURE.md, checked on the resolved dependency graph
/// (direct and transitive): core never pulls in the window, the HTTP server or audio;
/// the sync server never pulls in core (it must not be able to read clinical data).
#[test]
fn the_dependency_direction_holds() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "vetdesk-draft",
            &[
                "rusqlite",
                "tauri",
                "axum",
                "whisper-rs",
                "cpal",
                "vetdesk-core",
            ],
        ),
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

/// What a domain service may answer on `Store` without the read door, and why: none
/// of it is a record a role could be refused (see `crates/core/src/engine/read.rs`).
const STORE_READS_OUTSIDE_THE_DOOR: [(&str, &str); 11] = [
    ("counts", "two numbers for the status line"),
    (
        "has_staff",
        "whether the first admin exists yet (before any sign-in)",
    ),
    (
        "sign_in_roster",
        "the sign-in screen: active names and roles",
    ),
    ("refresh_actor", "re-reads the signed-in person's own roles"),
    (
        "manages_devices",
        "whether this device holds the management key",
    ),
    (
        "clinic_devices",
        "the server's device list (no clinical data)",
    ),
    ("members", "the membership log of devices"),
    ("require_second_factor", "the second-factor check itself"),
    (
        "second_factor_status",
        "the signed-in person's own enrolment",
    ),
    (
        "begin_second_factor",
        "makes a new secret for the signed-in person",
    ),
    (
        "verify_controlled_register",
        "checks the chain; answers intact or not",
    ),
];

/// One `impl` block of a Rust file: its header line and its lines.
fn impl_blocks(text: &str) -> Vec<(String, Vec<&str>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in text.lines() {
        if line.starts_with("impl") && line.ends_with('{') {
            current = Some((line.to_string(), Vec::new()));
        } else if line == "}" {
            if let Some(block) = current.take() {
                blocks.push(block);
            }
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    blocks
}

/// The public methods of a block: name, signature lines joined, first body line.
fn public_methods(lines: &[&str]) -> Vec<(String, String, String)> {
    let mut methods = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(rest) = lines[i].strip_prefix("    pub fn ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let mut signature = String::new();
            while i < lines.len() {
                signature.push_str(lines[i].trim());
                if lines[i].ends_with('{') {
                    break;
                }
                i += 1;
            }
            let first = lines
                .get(i + 1..)
                .unwrap_or_default()
                .iter()
                .find(|l| !l.trim().is_empty() && !l.trim().starts_with("//"))
                .map(|l| l.trim().to_string())
                .unwrap_or_default();
            methods.push((name, signature, first));
        }
        i += 1;
    }
    methods
}

/// Reads have one door (issue 16): a domain service reads records only as a method
/// on `Rx` whose first line states its permission; it adds no reading method to
/// `Store` (beyond the listed non-record answers) and takes no bare connection in
/// anything public. Shells check no roles themselves: core does.
#[test]
fn every_public_read_goes_through_the_door() {
    let root = repo_root();
    let core = root.join("crates/core/src");
    let mut files = Vec::new();
    rust_files(&core.join("services"), &mut files);
    files.extend(["engine/audit.rs", "engine/read.rs"].map(|f| core.join(f)));
    assert!(files.iter().all(|f| f.exists()), "{files:?}");
    let mut problems = Vec::new();
    let mut door_reads = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let file = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (header, lines) in impl_blocks(code) {
            for (name, signature, first) in public_methods(&lines) {
                if signature.contains("Connection") {
                    problems.push(format!("{file}: pub fn {name} takes a bare connection"));
                }
                if header.starts_with("impl Store") && signature.contains("(&self") {
                    let listed = STORE_READS_OUTSIDE_THE_DOOR
                        .iter()
                        .any(|(allowed, _)| *allowed == name);
                    if !listed {
                        problems.push(format!(
                            "{file}: Store::{name} reads without the door (make it an Rx method)"
                        ));
                    }
                }
                let on_rx = header.starts_with("impl Rx") || header.starts_with("impl crate::Rx");
                if on_rx && !file.ends_with("read.rs") {
                    door_reads += 1;
                    if !first.starts_with("self.require") {
                        problems.push(format!(
                            "{file}: Rx::{name} does not start with its permission (`self.require(..)?`): {first}"
                        ));
                    }
                }
            }
        }
    }
    assert!(door_reads > 30, "found only {door_reads} reads on Rx");
    let mut shells = Vec::new();
    for dir in [
        "src-tauri/src",
        "crates/cli/src",
        "crates/visit/src",
        "crates/documents/src",
    ] {
        rust_files(&root.join(dir), &mut shells);
    }
    for path in &shells {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for needle in ["Permission::", ".require(", ".can("] {
            if code.contains(needle) {
                problems.push(format!(
                    "{}: a shell checks a role itself ({needle}); core's reads and writes do",
                    path.strip_prefix(&root).unwrap_or(path).display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Billing's modules in the order they may depend on each other (issue 16): each
/// uses only modules before it, so there is no cycle. The order is the one
/// `crates/core/src/services/billing/mod.rs` describes.
const BILLING_ORDER: [&str; 15] = [
    "catalog",
    "movement",
    "register",
    "stock",
    "orders",
    "documents",
    "payments",
    "views",
    "finalize",
    "counter",
    "corrections",
    "double_finalization",
    "day_close",
    "prescribing",
    "alerts",
];

/// The encounter folder's order (`crates/core/src/services/encounters/mod.rs`).
const ENCOUNTERS_ORDER: [&str; 5] = ["notes", "signing", "prescriptions", "conflicts", "chart"];

/// What breaks `order` in a folder of sibling modules: a module naming a later one
/// (`super::later::`), calling a method a later one defines (`self.name(`), a file
/// past ~600 lines, or a file the order does not list.
fn folder_order_problems(folder: &str, order: &[&str]) -> Vec<String> {
    let folder = repo_root().join(folder);
    let sources: Vec<(usize, &str, String)> = order
        .iter()
        .enumerate()
        .map(|(rank, module)| {
            let text = std::fs::read_to_string(folder.join(format!("{module}.rs")))
                .unwrap_or_else(|e| panic!("{module}.rs: {e}"));
            (rank, *module, text)
        })
        .collect();
    let mut problems = Vec::new();
    let listed = std::fs::read_dir(&folder)
        .map(|entries| entries.flatten().count())
        .unwrap_or(0);
    if listed != order.len() + 1 {
        problems.push(format!(
            "{}: a module is missing from the order",
            folder.display()
        ));
    }
    let mut defined_in = std::collections::HashMap::new();
    for (rank, _, text) in &sources {
        for line in text.lines() {
            let line = line.trim_start();
            let Some(rest) = ["pub(super) fn ", "pub(crate) fn ", "pub fn "]
                .iter()
                .find_map(|prefix| line.strip_prefix(prefix))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            defined_in.insert(name, *rank);
        }
    }
    for (rank, module, text) in &sources {
        let lines = text.lines().count();
        if lines > 620 {
            problems.push(format!("{module}.rs has {lines} lines"));
        }
        for (other_rank, other) in order.iter().enumerate() {
            if other_rank > *rank && text.contains(&format!("super::{other}::")) {
                problems.push(format!("{module} uses {other}, which comes after it"));
            }
        }
        for (name, other_rank) in &defined_in {
            let called = text.contains(&format!("self.{name}("))
                || text.contains(&format!(".read().{name}("));
            if other_rank > rank && called {
                let other = order[*other_rank];
                problems.push(format!(
                    "{module} calls {other}'s {name}, which comes after it"
                ));
            }
        }
    }
    problems
}

#[test]
fn billing_and_encounter_modules_depend_only_on_earlier_ones() {
    let mut problems = folder_order_problems("crates/core/src/services/billing", &BILLING_ORDER);
    problems.extend(folder_order_problems(
        "crates/core/src/services/encounters",
        &ENCOUNTERS_ORDER,
    ));
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The clinical tables: what the domain services own. The engine may name them only
/// through `schema` (its `Table` constants), never in its own SQL.
const CLINICAL_TABLES: [&str; 27] = [
    "clients",
    "patients",
    "patient_owners",
    "weights",
    "appointments",
    "waitlist",
    "encounters",
    "vitals",
    "diagnoses",
    "problems",
    "addenda",
    "prescriptions",
    "recordings",
    "scribe_drafts",
    "scribe_items",
    "catalog_items",
    "stock_lots",
    "stock_movements",
    "stock_counts",
    "controlled_register",
    "invoices",
    "invoice_lines",
    "payments",
    "invoice_finalizations",
    "finalization_settlements",
    "z_reports",
    "conflict_resolutions",
];

/// Engine files that still name clinical tables, each with why (a signature is the
/// engine's rule: signed records are frozen on every device, whatever merges). A file leaving this list is
/// progress; a file joining it fails the test.
const ENGINE_FILES_NAMING_CLINICAL_TABLES: [(&str, &str); 1] = [(
    "cells.rs",
    "materialize_signature: a signature freezes an encounter's SOAP text on every device",
)];

/// Engine and domain apart (issue 16): nothing under `crates/core/src/engine` names a
/// domain module, and only the listed files name a clinical table in their SQL.
#[test]
fn the_engine_knows_no_domain_module() {
    let folder = repo_root().join("crates/core/src/engine");
    let mut files = Vec::new();
    rust_files(&folder, &mut files);
    assert!(files.len() > 25, "found only {} engine files", files.len());
    let mut problems = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for domain in [
            "crate::services",
            "crate::demo",
            "crate::import",
            "crate::search::",
            "crate::search;",
        ] {
            if code.contains(domain) {
                problems.push(format!("engine/{name} names the domain module {domain}"));
            }
        }
        let allowed = ENGINE_FILES_NAMING_CLINICAL_TABLES
            .iter()
            .any(|(file, _)| *file == name);
        let words: Vec<String> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(str::to_lowercase)
            .collect();
        for pair in words.windows(2) {
            let keyword = matches!(pair[0].as_str(), "from" | "join" | "into" | "update");
            if keyword && CLINICAL_TABLES.contains(&pair[1].as_str()) && !allowed {
                problems.push(format!(
                    "engine/{name} names the clinical table {} in SQL",
                    pair[1]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
