//! Signing an encounter and what comes after: the signature freezes the SOAP text as
//! a hashed snapshot (canonical JSON); later words are addenda, never edits. Vets only.

use uuid::Uuid;

use crate::cells::{self, SignedSoap};
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{ADDENDA, ENCOUNTER_SNAPSHOTS};
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

impl Tx<'_> {
    /// Signs the encounter: its SOAP text is frozen in a hashed snapshot. Vets only.
    pub fn sign_encounter(&mut self, encounter: Uuid) -> Result<String> {
        self.actor().require(Permission::SignEncounter)?;
        self.require_draft(encounter)?;
        let soap = self
            .conn()
            .prepare_cached(
                "SELECT subjective, objective, assessment, plan FROM encounters WHERE id = ?1",
            )?
            .query_row([encounter.to_string()], |r| {
                Ok(SignedSoap {
                    subjective: r.get(0)?,
                    objective: r.get(1)?,
                    assessment: r.get(2)?,
                    plan: r.get(3)?,
                })
            })?;
        let content = serde_json::to_string(&soap).map_err(|e| Error::Invalid {
            field: "encounter",
            message: e.to_string(),
        })?;
        let hash = cells::snapshot_hash(&content);
        let id = self.new_id();
        let signed_at = self.now_text();
        let signer = self.actor().staff_id.to_string();
        self.insert(
            &ENCOUNTER_SNAPSHOTS,
            id,
            vec![
                ("encounter_id", Value::Text(encounter.to_string())),
                ("content", Value::Text(content)),
                ("content_hash", Value::Text(hash.clone())),
                ("signed_by", Value::Text(signer)),
                ("signed_at", Value::Text(signed_at)),
            ],
        )?;
        self.audit("encounter.sign", "encounter", &encounter.to_string(), &hash)?;
        Ok(hash)
    }

    /// Adds an addendum to a signed encounter (the only way to change it).
    pub fn add_addendum(&mut self, encounter: Uuid, text: &str) -> Result<Uuid> {
        self.actor().require(Permission::WriteClinical)?;
        if !cells::is_signed(self.conn(), &encounter.to_string())? {
            return Err(Error::NotAllowedNow(
                "this encounter is not signed yet: edit it instead of adding an addendum".into(),
            ));
        }
        let text = validate::text("addendum", text, 50_000, true)?;
        let id = self.new_id();
        let created_at = self.now_text();
        let author = self.actor().staff_id.to_string();
        self.insert(
            &ADDENDA,
            id,
            vec![
                ("encounter_id", Value::Text(encounter.to_string())),
                ("author_id", Value::Text(author)),
                ("text", Value::Text(text)),
                ("created_at", Value::Text(created_at)),
            ],
        )?;
        self.audit(
            "encounter.addendum",
            "encounter",
            &encounter.to_string(),
            "",
        )?;
        Ok(id)
    }
}
