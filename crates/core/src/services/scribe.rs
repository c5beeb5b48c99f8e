//! The scribe's drafts and the vet's approval of them.
//!
//! A draft (the transcript, the model that made it, the drafted items with their
//! evidence and flags) is stored beside the encounter and changes nothing in the
//! medical record. Only a vet's decision on an item — approve as drafted, approve as
//! edited, or reject — does anything, and only approval writes to the record: a weight
//! or vital sign as a vitals reading, a problem as a provisional diagnosis, a
//! medication as a prescription, signalment, follow-up and discharge words into the
//! SOAP note. Each decision is kept (append-only) with the approver, the time, the
//! model's SHA-256, the transcript version, the override reason for a flagged dose and
//! the ids of the rows it wrote. A dose the draft flagged as out of range cannot be
//! approved without an override reason.
//!
//! Two devices offline may decide on the same item. A prescription or diagnosis an
//! approval writes takes an id derived from the item, so two approvals make one row
//! (its columns merge last-writer-wins), never a double prescription. Decisions that
//! differ leave the item in `conflict` — on every device alike, as the status is a pure
//! function of the decisions — until a vet settles it; the settling decision stands and
//! the derived rows are rewritten (or cancelled) to match it.

use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;
use vetdesk_draft::extract::{DraftItem, Flag, Item};
use vetdesk_draft::text::Segment;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{SCRIBE_DECISIONS, SCRIBE_DRAFT_ITEMS, SCRIBE_DRAFTS};
use crate::services::encounters::{PrescriptionInput, VitalsInput};
use crate::write::Tx;
use crate::{Error, Result};

/// A transcription and its drafted items, as the scribe hands them over.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDraft {
    pub encounter: Uuid,
    pub model_file: String,
    pub model_sha256: String,
    /// Counts up each time the same visit is transcribed again (the live pass, the
    /// final pass at stop, a re-run with a better model).
    pub transcript_version: i64,
    pub segments: Vec<Segment>,
    pub items: Vec<DraftItem>,
}

/// A vet's decision on one drafted item.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Approve as drafted. `override_reason` is required for a flagged dose.
    Approve {
        override_reason: Option<String>,
    },
    /// Approve a corrected version of the item.
    Edit {
        item: Item,
        override_reason: Option<String>,
    },
    Reject {
        reason: Option<String>,
    },
}

/// A drafted item with what became of it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftItemView {
    pub id: Uuid,
    #[serde(flatten)]
    pub drafted: DraftItem,
    /// `pending`, `approved`, `edited`, `rejected` or `conflict` (see [`item_status`]).
    pub status: String,
    pub decisions: Vec<DecisionView>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionView {
    pub decision: String,
    pub item: Option<Item>,
    pub reason: Option<String>,
    pub decided_by: String,
    pub decided_at: String,
    pub model_sha256: String,
    pub transcript_version: i64,
    pub applied: Vec<Uuid>,
    /// This decision settles a conflict between earlier ones, and stands.
    pub settles_conflict: bool,
}

/// What became of a drafted item, from its decisions (ordered as stored: by time, then
/// id): `pending` with none; the latest settling decision's outcome if there is one;
/// else the decisions' common outcome (`approved`, `edited`, `rejected`) if they agree,
/// or `conflict` if devices decided differently.
pub fn item_status(decisions: &[DecisionView]) -> &str {
    if let Some(settled) = decisions.iter().rev().find(|d| d.settles_conflict) {
        return &settled.decision;
    }
    match decisions.split_first() {
        None => "pending",
        Some((first, rest))
            if rest
                .iter()
                .all(|d| d.decision == first.decision && d.item == first.item) =>
        {
            &first.decision
        }
        Some(_) => "conflict",
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftView {
    pub id: Uuid,
    pub encounter_id: Uuid,
    pub model_file: String,
    pub model_sha256: String,
    pub transcript_version: i64,
    pub segments: Vec<Segment>,
    pub items: Vec<DraftItemView>,
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Invalid {
        field: "draft",
        message: e.to_string(),
    })
}

fn parse<T: serde::de::DeserializeOwned>(field: &'static str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Invalid {
        field,
        message: format!("stored value is not understood: {e}"),
    })
}

impl Tx<'_> {
    /// Stores a draft beside `encounter` (vets and nurses). The record is unchanged.
    pub fn create_draft(&mut self, draft: &NewDraft) -> Result<Uuid> {
        self.actor().require(Permission::WriteClinical)?;
        self.require_draft(draft.encounter)?;
        let patient = self.patient_of(draft.encounter)?;
        let sha = crate::validate::text("model_sha256", &draft.model_sha256, 64, false)?;
        if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::Invalid {
                field: "model_sha256",
                message: "must be the model file's SHA-256 (64 hex digits)".into(),
            });
        }
        let model_file = crate::validate::text("model_file", &draft.model_file, 200, false)?;
        if draft.items.len() > 500 {
            return Err(Error::Invalid {
                field: "items",
                message: format!("{} items; at most 500 per draft", draft.items.len()),
            });
        }
        let id = self.new_id();
        let now = self.now_text();
        let by = self.actor().staff_id.to_string();
        self.insert(
            &SCRIBE_DRAFTS,
            id,
            vec![
                ("encounter_id", Value::Text(draft.encounter.to_string())),
                ("patient_id", Value::Text(patient)),
                ("model_file", Value::Text(model_file)),
                ("model_sha256", Value::Text(sha.to_lowercase())),
                ("transcript_version", Value::Int(draft.transcript_version)),
                ("transcript", Value::Text(json(&draft.segments)?)),
                ("created_by", Value::Text(by)),
                ("created_at", Value::Text(now)),
            ],
        )?;
        for (position, item) in draft.items.iter().enumerate() {
            let item_id = self.new_id();
            self.insert(
                &SCRIBE_DRAFT_ITEMS,
                item_id,
                vec![
                    ("draft_id", Value::Text(id.to_string())),
                    ("position", Value::Int(position as i64)),
                    ("item", Value::Text(json(&item.item)?)),
                    ("evidence", Value::Text(json(&item.evidence)?)),
                    ("flags", Value::Text(json(&item.flags)?)),
                ],
            )?;
        }
        self.audit(
            "scribe.draft",
            "encounter",
            &draft.encounter.to_string(),
            &format!("{} items", draft.items.len()),
        )?;
        Ok(id)
    }

    /// A vet's decision on one drafted item; returns the record rows an approval wrote.
    pub fn decide_draft_item(&mut self, item_id: Uuid, decision: &Decision) -> Result<Vec<Uuid>> {
        self.actor().require(Permission::SignEncounter)?;
        self.drafted_item(item_id)?;
        if self.item_decided(item_id)? {
            return Err(Error::NotAllowedNow(
                "this item has already been decided; its history keeps the decision".into(),
            ));
        }
        self.record_decision(item_id, decision, false)
    }

    /// Settles an item that two devices decided differently: this decision stands, and
    /// the prescription or diagnosis the approvals wrote is rewritten to match it, or
    /// cancelled / removed if it is a rejection. (Vitals readings stay in the history as
    /// the facts they are; SOAP lines added twice show as text conflicts of their own.)
    pub fn settle_draft_item(&mut self, item_id: Uuid, decision: &Decision) -> Result<Vec<Uuid>> {
        self.actor().require(Permission::SignEncounter)?;
        let decisions = decisions_of(self.conn(), &item_id.to_string())?;
        if item_status(&decisions) != "conflict" {
            return Err(Error::NotAllowedNow(format!(
                "this item is {}, not in conflict: there is nothing to settle",
                item_status(&decisions)
            )));
        }
        self.record_decision(item_id, decision, true)
    }

    /// Checks and applies one decision, and keeps it (append-only) with its audit event.
    fn record_decision(
        &mut self,
        item_id: Uuid,
        decision: &Decision,
        settles: bool,
    ) -> Result<Vec<Uuid>> {
        let (draft_id, drafted) = self.drafted_item(item_id)?;
        let (encounter, model_sha256, transcript_version) = self.draft_facts(&draft_id)?;
        let (kind, item, reason) = match decision {
            Decision::Approve { override_reason } => {
                check_override(&drafted, &drafted.item, override_reason.as_deref())?;
                (
                    "approved",
                    Some(drafted.item.clone()),
                    override_reason.clone(),
                )
            }
            Decision::Edit {
                item,
                override_reason,
            } => {
                check_override(&drafted, item, override_reason.as_deref())?;
                ("edited", Some(item.clone()), override_reason.clone())
            }
            Decision::Reject { reason } => ("rejected", None, reason.clone()),
        };
        let reason = crate::validate::optional_text("reason", reason.as_deref(), 1000, true)?;
        let applied = match (&item, settles) {
            (Some(item), false) => self.apply_item(encounter, item_id, item)?,
            (item, true) => self.settle_rows(encounter, item_id, &drafted.item, item.as_ref())?,
            (None, false) => Vec::new(),
        };
        let id = self.new_id();
        let now = self.now_text();
        let by = self.actor().staff_id.to_string();
        self.insert(
            &SCRIBE_DECISIONS,
            id,
            vec![
                ("item_id", Value::Text(item_id.to_string())),
                ("draft_id", Value::Text(draft_id.clone())),
                ("decision", Value::text(kind)),
                (
                    "item",
                    match &item {
                        Some(item) => Value::Text(json(item)?),
                        None => Value::Null,
                    },
                ),
                ("reason", Value::opt_text(reason.clone())),
                ("decided_by", Value::Text(by)),
                ("decided_at", Value::Text(now)),
                ("model_sha256", Value::Text(model_sha256)),
                ("transcript_version", Value::Int(transcript_version)),
                ("applied", Value::Text(json(&applied)?)),
                ("settles_conflict", Value::Int(i64::from(settles))),
            ],
        )?;
        let detail = match (&reason, drafted.needs_override() && kind != "rejected") {
            (Some(reason), true) => format!("{kind}; dose override: {reason}"),
            _ => kind.to_string(),
        };
        self.audit(
            if settles {
                "scribe.settle"
            } else {
                "scribe.decide"
            },
            "scribe_item",
            &item_id.to_string(),
            &detail,
        )?;
        Ok(applied)
    }

    /// Approves every undecided item of a draft as drafted. Refused (nothing written)
    /// if any of them has a flagged dose: those need their own decision.
    pub fn approve_whole_draft(&mut self, draft: Uuid) -> Result<usize> {
        self.actor().require(Permission::SignEncounter)?;
        let items: Vec<(String, String)> = self
            .conn()
            .prepare(
                "SELECT id, flags FROM scribe_draft_items WHERE draft_id = ?1 ORDER BY position",
            )?
            .query_map([draft.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<std::result::Result<_, _>>()?;
        if items.is_empty() && self.draft_facts(&draft.to_string()).is_err() {
            return Err(Error::NotFound {
                entity: "draft",
                id: draft.to_string(),
            });
        }
        let mut approved = 0;
        for (id, flags) in items {
            let id = crate::stored::id("draft item id", &id)?;
            if self.item_decided(id)? {
                continue;
            }
            let flags: Vec<Flag> = parse("flags", &flags)?;
            if flags
                .iter()
                .any(|f| matches!(f, Flag::DoseOutOfRange { .. }))
            {
                return Err(Error::NotAllowedNow(
                    "a drafted dose is outside its range: decide on that item on its own, with an override reason".into(),
                ));
            }
            self.decide_draft_item(
                id,
                &Decision::Approve {
                    override_reason: None,
                },
            )?;
            approved += 1;
        }
        Ok(approved)
    }

    fn drafted_item(&self, item: Uuid) -> Result<(String, DraftItem)> {
        let row: Option<(String, String, String, String)> = self
            .conn()
            .query_row(
                "SELECT draft_id, item, evidence, flags FROM scribe_draft_items WHERE id = ?1",
                [item.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let (draft, item_json, evidence, flags) = row.ok_or_else(|| Error::NotFound {
            entity: "draft item",
            id: item.to_string(),
        })?;
        Ok((
            draft,
            DraftItem {
                item: parse("item", &item_json)?,
                evidence: parse("evidence", &evidence)?,
                flags: parse("flags", &flags)?,
            },
        ))
    }

    fn draft_facts(&self, draft: &str) -> Result<(Uuid, String, i64)> {
        let row: Option<(String, String, i64)> = self
            .conn()
            .query_row(
                "SELECT encounter_id, model_sha256, transcript_version FROM scribe_drafts WHERE id = ?1",
                [draft],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (encounter, sha, version) = row.ok_or_else(|| Error::NotFound {
            entity: "draft",
            id: draft.to_string(),
        })?;
        let encounter = crate::stored::id("encounter id", &encounter)?;
        Ok((encounter, sha, version))
    }

    fn item_decided(&self, item: Uuid) -> Result<bool> {
        Ok(self
            .conn()
            .prepare_cached("SELECT 1 FROM scribe_decisions WHERE item_id = ?1")?
            .exists([item.to_string()])?)
    }

    /// Makes the prescription or diagnosis derived from a conflicting item say what the
    /// settling decision says (`None`: rejected); the ids of the rows it wrote.
    fn settle_rows(
        &mut self,
        encounter: Uuid,
        item_id: Uuid,
        drafted: &Item,
        chosen: Option<&Item>,
    ) -> Result<Vec<Uuid>> {
        match drafted {
            Item::Medication { .. } => {
                let id = derived_row(item_id, "prescription");
                let exists = self.row_exists(&crate::schema::PRESCRIPTIONS, id)?;
                match chosen {
                    None if exists => self.cancel_prescription(id)?,
                    None => {}
                    Some(item) if exists => {
                        self.amend_prescription(id, &prescription_of(encounter, item)?)?
                    }
                    Some(item) => {
                        self.prescribe_as(id, &prescription_of(encounter, item)?)?;
                    }
                }
                Ok(chosen.map(|_| id).into_iter().collect())
            }
            Item::Problem { .. } => {
                let id = derived_row(item_id, "diagnosis");
                let exists = self.row_exists(&crate::schema::DIAGNOSES, id)?;
                match chosen {
                    None if exists => {
                        self.require_draft(encounter)?;
                        self.delete(&crate::schema::DIAGNOSES, id)?;
                    }
                    None => {}
                    Some(Item::Problem { text }) if exists => {
                        self.require_draft(encounter)?;
                        self.update(
                            &crate::schema::DIAGNOSES,
                            id,
                            vec![
                                ("name", Value::Text(text.clone())),
                                ("deleted", Value::Int(0)),
                            ],
                        )?;
                    }
                    Some(Item::Problem { text }) => {
                        self.add_diagnosis_as(id, encounter, text, "provisional")?;
                    }
                    Some(_) => {
                        return Err(Error::Invalid {
                            field: "item",
                            message: "a drafted problem can only be settled as a problem".into(),
                        });
                    }
                }
                Ok(chosen.map(|_| id).into_iter().collect())
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Whether a row with this id was ever written to `table` (deleted or not).
    fn row_exists(&self, table: &'static crate::schema::Table, id: Uuid) -> Result<bool> {
        // The table name is a compile-time constant, never input.
        let sql = format!("SELECT 1 FROM {} WHERE id = ?1", table.name);
        Ok(self.conn().prepare_cached(&sql)?.exists([id.to_string()])?)
    }

    /// Writes an approved item into the encounter; the ids of the rows written.
    fn apply_item(&mut self, encounter: Uuid, item_id: Uuid, item: &Item) -> Result<Vec<Uuid>> {
        Ok(match item {
            Item::Weight { kg } => vec![self.record_vitals(
                encounter,
                &VitalsInput {
                    weight_kg: Some(*kg),
                    ..VitalsInput::default()
                },
            )?],
            Item::Temperature { celsius } => vec![self.record_vitals(
                encounter,
                &VitalsInput {
                    temperature_c: Some(*celsius),
                    ..VitalsInput::default()
                },
            )?],
            Item::HeartRate { per_minute } => vec![self.record_vitals(
                encounter,
                &VitalsInput {
                    heart_rate: Some(per_minute.round() as i64),
                    ..VitalsInput::default()
                },
            )?],
            Item::RespiratoryRate { per_minute } => vec![self.record_vitals(
                encounter,
                &VitalsInput {
                    respiratory_rate: Some(per_minute.round() as i64),
                    ..VitalsInput::default()
                },
            )?],
            Item::Problem { text } => vec![self.add_diagnosis_as(
                derived_row(item_id, "diagnosis"),
                encounter,
                text,
                "provisional",
            )?],
            Item::Medication { .. } => vec![self.prescribe_as(
                derived_row(item_id, "prescription"),
                &prescription_of(encounter, item)?,
            )?],
            Item::Signalment {
                age_years,
                sex,
                neutered,
            } => {
                let mut words = Vec::new();
                if let Some(age) = age_years {
                    words.push(format!("{age} years old"));
                }
                match (sex.as_deref(), neutered) {
                    (Some("female"), Some(true)) => words.push("spayed female".into()),
                    (Some(sex), Some(true)) => words.push(format!("neutered {sex}")),
                    (Some(sex), Some(false)) => words.push(format!("intact {sex}")),
                    (Some(sex), None) => words.push(sex.to_string()),
                    (None, Some(true)) => words.push("neutered".into()),
                    (None, Some(false)) => words.push("intact".into()),
                    (None, None) => {}
                }
                self.append_to_soap(
                    encounter,
                    "subjective",
                    &format!("Signalment: {}.", words.join(", ")),
                )?;
                Vec::new()
            }
            Item::FollowUp { text, .. } => {
                self.append_to_soap(encounter, "plan", &format!("Follow-up: {text}."))?;
                Vec::new()
            }
            Item::Discharge { text } => {
                self.append_to_soap(encounter, "plan", &format!("Discharge: {text}."))?;
                Vec::new()
            }
        })
    }

    /// Adds a line to one SOAP section of a draft encounter.
    fn append_to_soap(&mut self, encounter: Uuid, section: &str, line: &str) -> Result<()> {
        let soap = self
            .conn()
            .query_row(
                "SELECT subjective, objective, assessment, plan FROM encounters WHERE id = ?1",
                [encounter.to_string()],
                |r| {
                    Ok(crate::services::encounters::SoapInput {
                        subjective: r.get(0)?,
                        objective: r.get(1)?,
                        assessment: r.get(2)?,
                        plan: r.get(3)?,
                    })
                },
            )
            .optional()?;
        let mut soap = soap.ok_or_else(|| Error::NotFound {
            entity: "encounter",
            id: encounter.to_string(),
        })?;
        let add = |text: Option<String>| match text.filter(|t| !t.trim().is_empty()) {
            Some(text) => Some(format!("{text}\n{line}")),
            None => Some(line.to_string()),
        };
        match section {
            "subjective" => soap.subjective = add(soap.subjective),
            _ => soap.plan = add(soap.plan),
        }
        self.update_soap(encounter, &soap)
    }
}

/// The id of the record row an approval of `item` writes: the same on every device.
fn derived_row(item: Uuid, what: &str) -> Uuid {
    Uuid::new_v5(&item, what.as_bytes())
}

/// Every decision on an item, ordered by time then id (the same order on every device).
fn decisions_of(conn: &rusqlite::Connection, item_id: &str) -> Result<Vec<DecisionView>> {
    conn.prepare_cached(
        "SELECT decision, item, reason, decided_by, decided_at, model_sha256,
                transcript_version, applied, settles_conflict
         FROM scribe_decisions WHERE item_id = ?1 ORDER BY decided_at, id",
    )?
    .query_map([item_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, Option<i64>>(8)?,
        ))
    })?
    .collect::<std::result::Result<Vec<_>, _>>()?
    .into_iter()
    .map(
        |(decision, item, reason, by, at, sha, version, applied, settles)| {
            Ok(DecisionView {
                decision,
                item: item.map(|i| parse("item", &i)).transpose()?,
                reason,
                decided_by: by,
                decided_at: at,
                model_sha256: sha,
                transcript_version: version,
                applied: parse("applied", &applied)?,
                settles_conflict: settles == Some(1),
            })
        },
    )
    .collect()
}

/// A flagged dose needs an override reason, unless the (edited) item is back in range.
fn check_override(drafted: &DraftItem, item: &Item, reason: Option<&str>) -> Result<()> {
    let Some((min, max)) = drafted.flags.iter().find_map(|f| match f {
        Flag::DoseOutOfRange { min, max, .. } => Some((*min, *max)),
        _ => None,
    }) else {
        return Ok(());
    };
    let in_range = match item {
        Item::Medication {
            mg_per_kg: Some(per_kg),
            ..
        } => *per_kg >= min && *per_kg <= max,
        _ => false,
    };
    if in_range || reason.is_some_and(|r| !r.trim().is_empty()) {
        return Ok(());
    }
    Err(Error::NotAllowedNow(format!(
        "the drafted dose is outside {min}–{max} mg/kg for this species: correct it, or approve with an override reason"
    )))
}

/// The prescription an approved medication item stands for; every field a label
/// needs must be there (else: edit the item first).
fn prescription_of(encounter: Uuid, item: &Item) -> Result<PrescriptionInput> {
    let Item::Medication {
        drug,
        dose,
        unit,
        route,
        times_per_day,
        duration_days,
        ..
    } = item
    else {
        return Err(Error::Invalid {
            field: "item",
            message: "not a medication".into(),
        });
    };
    let missing = |what: &str| Error::Invalid {
        field: "medication",
        message: format!("the draft says no {what} for {drug}: edit the item before approving it"),
    };
    let unit = match unit.as_deref() {
        Some("mg/kg") => return Err(missing("dose in mg (it says mg/kg)")),
        Some("unit") => "iu".to_string(),
        Some(u) => u.to_string(),
        None => return Err(missing("dose unit")),
    };
    let (route, site) = match route.as_deref() {
        Some(r) => match r.split_once(", ") {
            Some((kind, site)) => (kind, Some(site.to_string())),
            None => (r, None),
        },
        None => return Err(missing("route")),
    };
    let route = match route {
        "subcutaneous" => "sc",
        "intramuscular" => "im",
        "intravenous" => "iv",
        other => other,
    };
    let per_day = times_per_day.ok_or_else(|| missing("frequency"))?;
    let days = duration_days.ok_or_else(|| missing("duration"))?;
    let frequency = match per_day {
        f if (f - 1.0).abs() < 1e-9 => "once daily".to_string(),
        f if (f - 2.0).abs() < 1e-9 => "twice daily".to_string(),
        f if (f - 3.0).abs() < 1e-9 => "three times daily".to_string(),
        f if (f - 4.0).abs() < 1e-9 => "four times daily".to_string(),
        f if (f - 0.5).abs() < 1e-9 => "every other day".to_string(),
        f => format!("{f} times daily"),
    };
    let dose = dose.ok_or_else(|| missing("dose"))?;
    Ok(PrescriptionInput {
        encounter_id: encounter,
        drug: drug.clone(),
        dose,
        unit,
        route: route.to_string(),
        frequency,
        duration_days: days.round() as i64,
        quantity: (per_day * days).ceil().max(1.0),
        refills: 0,
        instructions: site.map(|s| format!("Apply in the {s}.")),
    })
}

impl Rx<'_> {
    /// The drafts of an encounter with every item's status and decision history
    /// (roles that may read clinical notes).
    pub fn drafts(&self, encounter: Uuid) -> Result<Vec<DraftView>> {
        self.require(Permission::ReadClinical)?;
        let conn = self.conn();
        let drafts: Vec<(String, String, String, i64, String)> = conn
            .prepare(
                "SELECT id, model_file, model_sha256, transcript_version, transcript
                 FROM scribe_drafts WHERE encounter_id = ?1 ORDER BY created_at, id",
            )?
            .query_map([encounter.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::new();
        for (id, model_file, model_sha256, transcript_version, transcript) in drafts {
            let items: Vec<(String, String, String, String)> = conn
                .prepare(
                    "SELECT id, item, evidence, flags FROM scribe_draft_items
                     WHERE draft_id = ?1 ORDER BY position",
                )?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<std::result::Result<_, _>>()?;
            let mut views = Vec::new();
            for (item_id, item, evidence, flags) in items {
                let decisions = decisions_of(conn, &item_id)?;
                let status = item_status(&decisions).to_string();
                views.push(DraftItemView {
                    id: crate::stored::id("draft item id", &item_id)?,
                    drafted: DraftItem {
                        item: parse("item", &item)?,
                        evidence: parse("evidence", &evidence)?,
                        flags: parse("flags", &flags)?,
                    },
                    status,
                    decisions,
                });
            }
            out.push(DraftView {
                id: crate::stored::id("draft id", &id)?,
                encounter_id: encounter,
                model_file,
                model_sha256,
                transcript_version,
                segments: parse("transcript", &transcript)?,
                items: views,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(decision: &str, kg: Option<f64>, settles: bool) -> DecisionView {
        DecisionView {
            decision: decision.into(),
            item: kg.map(|kg| Item::Weight { kg }),
            reason: None,
            decided_by: "vet".into(),
            decided_at: "2026-11-23T09:00:00Z".into(),
            model_sha256: "0".repeat(64),
            transcript_version: 1,
            applied: Vec::new(),
            settles_conflict: settles,
        }
    }

    #[test]
    fn an_item_status_follows_its_decisions() {
        let approved = decided("approved", Some(10.0), false);
        let edited = decided("edited", Some(11.0), false);
        let rejected = decided("rejected", None, false);
        let cases: Vec<(Vec<DecisionView>, &str)> = vec![
            (vec![], "pending"),
            (vec![approved.clone()], "approved"),
            (vec![rejected.clone()], "rejected"),
            // Two devices agreeing is no conflict.
            (vec![approved.clone(), approved.clone()], "approved"),
            (vec![approved.clone(), rejected.clone()], "conflict"),
            (vec![approved.clone(), edited.clone()], "conflict"),
            // Two edits to different values disagree.
            (
                vec![edited.clone(), decided("edited", Some(12.0), false)],
                "conflict",
            ),
            // A settling decision stands; the latest one if settled twice.
            (
                vec![
                    approved.clone(),
                    rejected.clone(),
                    decided("rejected", None, true),
                ],
                "rejected",
            ),
            (
                vec![
                    approved.clone(),
                    rejected,
                    decided("rejected", None, true),
                    decided("edited", Some(9.5), true),
                ],
                "edited",
            ),
        ];
        for (decisions, expected) in cases {
            assert_eq!(item_status(&decisions), expected, "{decisions:?}");
        }
    }
}
