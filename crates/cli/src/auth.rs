//! `vetdesk auth`: a staff member's second factor — enrolling an authenticator app (QR
//! code in the terminal), confirming it before admin acts, and an admin resetting
//! someone's. Admin commands elsewhere call [`confirm_for_admin_act`] first: the code
//! comes from `VETDESK_CODE` or a prompt, and one confirmation lasts a few minutes.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Result, bail};
use clap::Subcommand;
use vetdesk_core::{Actor, Store};

use crate::records::{SignIn, open, sign_in};

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Whether you have an authenticator, and until when it stands confirmed here.
    Status,
    /// Set up an authenticator app: shows a QR code and the secret, then takes the
    /// first code the app shows and prints your recovery codes (once; keep them on
    /// paper). Without a terminal: run it once with --json for the secret, then again
    /// with --secret and --code.
    Enroll {
        /// Finish with this secret (from a first run) instead of making a new one.
        #[arg(long, requires = "code")]
        secret: Option<String>,
        /// The app's code for the secret [default: VETDESK_CODE or a prompt].
        #[arg(long)]
        code: Option<String>,
        /// Print the new secret and its address as JSON and stop.
        #[arg(long, conflicts_with = "secret")]
        json: bool,
    },
    /// Confirm your second factor for the next few minutes, with a code from the app or
    /// a recovery code.
    Confirm {
        /// [default: VETDESK_CODE or a prompt]
        #[arg(long)]
        code: Option<String>,
    },
    /// Remove a staff member's authenticator and recovery codes so they enroll again
    /// (admins).
    Reset {
        /// Name or id.
        who: String,
    },
}

pub fn auth(data_dir: &Path, who: &SignIn, command: AuthCommand) -> Result<()> {
    let mut store = open(data_dir)?;
    let actor = sign_in(&mut store, who)?;
    match command {
        AuthCommand::Status => {
            let status = store.second_factor_status(&actor)?;
            println!("{}", serde_json::to_string_pretty(&status)?);
        }
        AuthCommand::Enroll { secret, code, json } => {
            if store.second_factor_status(&actor)?.enrolled {
                eprintln!(
                    "Replacing {}'s authenticator: confirm the old one first.",
                    actor.name
                );
                confirm_for_admin_act(&mut store, &actor)?;
            }
            let secret = match secret {
                Some(secret) => secret,
                None => {
                    let setup = store.begin_second_factor(&actor)?;
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({ "secret": setup.secret, "uri": setup.uri })
                        );
                        return Ok(());
                    }
                    if !std::io::stdin().is_terminal() && code.is_none() {
                        bail!(
                            "no terminal to show the QR code and ask for a code: run `vetdesk auth enroll --json`, then `vetdesk auth enroll --secret SECRET --code CODE`"
                        );
                    }
                    eprintln!("Scan this with an authenticator app (or type the secret):\n");
                    eprintln!("{}", setup.qr_text);
                    eprintln!("secret: {}\n", setup.secret);
                    setup.secret
                }
            };
            let code = code_from(code, "first code from the app")?;
            let recovery = store.finish_second_factor(&actor, &secret, &code)?;
            eprintln!(
                "Authenticator set up for {}. Recovery codes (each works once; keep them on paper, away from the phone):",
                actor.name
            );
            for code in &recovery {
                println!("{}", code.as_str());
            }
        }
        AuthCommand::Confirm { code } => {
            let code = code_from(code, "code from the app (or a recovery code)")?;
            let status = store.confirm_second_factor(&actor, &code)?;
            eprintln!(
                "Confirmed until {} ({} recovery code(s) left).",
                status.confirmed_until.as_deref().unwrap_or("-"),
                status.recovery_codes_left
            );
        }
        AuthCommand::Reset { who: member } => {
            let id = crate::records::staff_id(&mut store, &actor, &member)?;
            confirm_for_admin_act(&mut store, &actor)?;
            store.transact(&actor, |tx| tx.reset_second_factor(id))?;
            eprintln!("{member} enrolls an authenticator again before their next admin act.");
        }
    }
    Ok(())
}

/// Before an admin act: nothing when `actor`'s second factor stands confirmed here (or
/// they have none yet — the act then says to enroll); otherwise confirms it with
/// `VETDESK_CODE` or a code asked for at the terminal.
pub fn confirm_for_admin_act(store: &mut Store, actor: &Actor) -> Result<()> {
    let status = store.second_factor_status(actor)?;
    if !status.enrolled || status.confirmed_until.is_some() {
        return Ok(());
    }
    let code = code_from(None, &format!("authenticator code for {}", actor.name))?;
    store.confirm_second_factor(actor, &code)?;
    Ok(())
}

/// A code given on the command line, else `VETDESK_CODE`, else asked for.
fn code_from(given: Option<String>, what: &str) -> Result<String> {
    if let Some(code) = given {
        return Ok(code);
    }
    if let Ok(code) = std::env::var("VETDESK_CODE") {
        return Ok(code);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "admin acts need a second factor: set VETDESK_CODE (a code from the authenticator app, or a recovery code) or run at a terminal"
        );
    }
    Ok(rpassword::prompt_password(format!("{what}: "))?)
}
