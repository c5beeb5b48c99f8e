//! Fails when `ui/src/ipc/bindings.ts` no longer matches the Rust IPC types. Run with
//! `UPDATE_BINDINGS=1` to rewrite the file after changing a type on purpose.

use std::path::PathBuf;

#[test]
fn committed_typescript_bindings_match_the_rust_types() -> std::io::Result<()> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/ipc/bindings.ts");
    let generated = vetdesk_ipc::typescript_bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated)?;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date with crates/ipc; run `UPDATE_BINDINGS=1 cargo test -p vetdesk-ipc` and commit it",
        path.display()
    );
    Ok(())
}
