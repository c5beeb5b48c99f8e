//! Getting a store's passphrase: from `VETDESK_PASSPHRASE`, else by asking at the
//! terminal (never echoed). Without either, a clear error says what to set.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Result, bail};
use vetdesk_core::{KeyKind, Store, Unlock};
use zeroize::Zeroizing;

const ENV: &str = "VETDESK_PASSPHRASE";

/// The passphrase for a new store (asked twice at a terminal).
pub fn new_passphrase() -> Result<Zeroizing<String>> {
    if let Ok(value) = std::env::var(ENV) {
        return Ok(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no OS keyring and no passphrase: set {ENV} or run at a terminal");
    }
    let first = Zeroizing::new(rpassword::prompt_password(
        "New passphrase for the store: ",
    )?);
    let second = Zeroizing::new(rpassword::prompt_password("Repeat the passphrase: ")?);
    if first != second {
        bail!("the two passphrases differ");
    }
    Ok(first)
}

/// What to open the store in `data_dir` with, from the environment alone: `None` when
/// it needs a passphrase and `VETDESK_PASSPHRASE` is unset. A missing or damaged key
/// file is left for `Store::open` to report.
pub fn unlock_from_env(data_dir: &Path) -> Option<Unlock> {
    match Store::key_kind_of(data_dir) {
        Ok(KeyKind::Passphrase) => std::env::var(ENV).ok().map(Unlock::with_passphrase),
        _ => Some(Unlock::default()),
    }
}

/// What to open the store in `data_dir` with, asking at the terminal for a passphrase
/// the environment does not give.
pub fn unlock_for(data_dir: &Path) -> Result<Unlock> {
    if let Some(unlock) = unlock_from_env(data_dir) {
        return Ok(unlock);
    }
    if !std::io::stdin().is_terminal() {
        bail!("this store is protected by a passphrase: set {ENV}");
    }
    Ok(Unlock::with_passphrase(rpassword::prompt_password(
        "Passphrase of the store: ",
    )?))
}
