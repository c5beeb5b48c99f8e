//! `vetdesk drafts`: a vet's review of the scribe's drafts. Lists an encounter's drafts
//! with every item's evidence (the words and audio time it came from), flags, status
//! and decisions; approves, edits or rejects item by item, or approves a whole draft;
//! settles an item that two devices decided differently. Every rule (who may decide,
//! a flagged dose needs an override) is core's; this only parses and prints.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Subcommand;
use uuid::Uuid;
use vetdesk_core::services::scribe::{Decision, DraftView};
use vetdesk_draft::extract::Item;

#[derive(Debug, Subcommand)]
pub enum DraftsCommand {
    /// An encounter's drafts: each item with its evidence, flags, status and decisions.
    List {
        #[arg(long)]
        encounter: Uuid,
        #[arg(long)]
        json: bool,
    },
    /// Approve an item as drafted: it is written into the medical record.
    Approve {
        item: Uuid,
        /// Why a dose flagged as out of range is right for this patient (required then).
        #[arg(long)]
        override_reason: Option<String>,
        /// Settle an item two devices decided differently: this decision stands.
        #[arg(long)]
        settle: bool,
    },
    /// Approve a corrected item, given as JSON in the form `list --json` shows it.
    Edit {
        item: Uuid,
        #[arg(long = "item-json")]
        item_json: String,
        #[arg(long)]
        override_reason: Option<String>,
        #[arg(long)]
        settle: bool,
    },
    /// Reject an item: nothing is written; the draft's history keeps it.
    Reject {
        item: Uuid,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        settle: bool,
    },
    /// Approve every undecided item of a draft as drafted (refused, with nothing
    /// written, if any of them has a flagged dose).
    ApproveAll { draft: Uuid },
}

pub fn run(data_dir: &Path, who: &crate::records::SignIn, command: DraftsCommand) -> Result<()> {
    let mut store = crate::records::open(data_dir)?;
    let actor = crate::records::sign_in(&mut store, who)?;
    let (item, decision, settle) = match command {
        DraftsCommand::List { encounter, json } => {
            let drafts = store.read(&actor, |rx| rx.drafts(encounter))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&drafts)?);
            } else {
                print_drafts(&drafts)?;
            }
            return Ok(());
        }
        DraftsCommand::ApproveAll { draft } => {
            let approved = store.transact(&actor, |tx| tx.approve_whole_draft(draft))?;
            println!("approved {approved} item(s) of draft {draft}");
            return Ok(());
        }
        DraftsCommand::Approve {
            item,
            override_reason,
            settle,
        } => (item, Decision::Approve { override_reason }, settle),
        DraftsCommand::Edit {
            item,
            item_json,
            override_reason,
            settle,
        } => {
            let edited: Item = serde_json::from_str(&item_json).with_context(|| {
                "--item-json is not a drafted item (see `vetdesk drafts list --json` for the form)"
            })?;
            (
                item,
                Decision::Edit {
                    item: edited,
                    override_reason,
                },
                settle,
            )
        }
        DraftsCommand::Reject {
            item,
            reason,
            settle,
        } => (item, Decision::Reject { reason }, settle),
    };
    let written = store.transact(&actor, |tx| {
        if settle {
            tx.settle_draft_item(item, &decision)
        } else {
            tx.decide_draft_item(item, &decision)
        }
    })?;
    let what = match decision {
        Decision::Approve { .. } => "approved",
        Decision::Edit { .. } => "approved as edited",
        Decision::Reject { .. } => "rejected",
    };
    match written.len() {
        0 => println!("{item}: {what}"),
        n => println!(
            "{item}: {what}; {n} record row(s) written: {}",
            written
                .iter()
                .map(Uuid::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
    Ok(())
}

fn print_drafts(drafts: &[DraftView]) -> Result<()> {
    if drafts.is_empty() {
        println!("no drafts for this encounter");
    }
    for draft in drafts {
        println!(
            "draft {}  transcript v{}  model {} (SHA-256 {})",
            draft.id, draft.transcript_version, draft.model_file, draft.model_sha256
        );
        for item in &draft.items {
            let flags = if item.drafted.flags.is_empty() {
                String::new()
            } else {
                format!("  FLAGS: {}", serde_json::to_string(&item.drafted.flags)?)
            };
            println!(
                "  {}  {:<9} {}  [{} → {} \"{}\"]{flags}",
                item.id,
                item.status,
                serde_json::to_string(&item.drafted.item)?,
                clock(item.drafted.evidence.start_ms),
                clock(item.drafted.evidence.end_ms),
                item.drafted.evidence.quote
            );
            for decision in &item.decisions {
                println!(
                    "      {}{} by {} at {}{}",
                    decision.decision,
                    if decision.settles_conflict {
                        " (settles the conflict)"
                    } else {
                        ""
                    },
                    decision.decided_by,
                    decision.decided_at,
                    decision
                        .reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// Audio time as mm:ss.cc.
pub fn clock(ms: u64) -> String {
    format!(
        "{:02}:{:02}.{:02}",
        ms / 60_000,
        (ms / 1000) % 60,
        (ms % 1000) / 10
    )
}
