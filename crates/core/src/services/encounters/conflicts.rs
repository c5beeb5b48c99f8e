//! Concurrent edits of clinical text that lost to another device's (or arrived after
//! signing) kept as conflicts a vet resolves: keep what is shown, or take the other text.
//! Nothing clinical is ever dropped silently.

use rusqlite::{OptionalExtension, params};
use sea_query::{Expr, ExprTrait, Query, SqliteQueryBuilder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Rx;
use crate::changes::Value;
use crate::roles::Permission;
use crate::schema::{self, CONFLICT_RESOLUTIONS, ENCOUNTERS};
use crate::write::Tx;
use crate::{Error, Result};

/// A concurrent edit of clinical text that lost to the visible value and that nobody
/// has seen and decided on yet.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextConflict {
    pub table: String,
    pub row_id: Uuid,
    pub column: String,
    /// The losing edit's clock, hex: names the conflict when resolving it.
    pub loser_hlc: String,
    pub other_value: String,
    pub visible_value: Option<String>,
}

/// A `text_history` row: (table, row, column, clock, value).
pub(super) type HistoryEntry = (String, String, String, Vec<u8>, Option<String>);

/// How a vet settles a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    KeepVisible,
    TakeOther,
    MakeAddendum,
}

impl Resolution {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Resolution::KeepVisible => "kept_visible",
            Resolution::TakeOther => "took_other",
            Resolution::MakeAddendum => "made_addendum",
        }
    }
}

impl Tx<'_> {
    /// Settles a conflict: keep what is shown, take the other text (drafts only), or
    /// keep the other text as an addendum (signed encounters).
    pub fn resolve_conflict(
        &mut self,
        conflict: &TextConflict,
        resolution: Resolution,
    ) -> Result<()> {
        self.actor().require(Permission::WriteClinical)?;
        let table = schema::table(&conflict.table)
            .filter(|t| t.has_clinical_text())
            .ok_or_else(|| Error::Invalid {
                field: "conflict",
                message: format!("{} holds no clinical text", conflict.table),
            })?;
        let column = table
            .column(&conflict.column)
            .filter(|c| c.clinical_text)
            .ok_or_else(|| Error::Invalid {
                field: "conflict",
                message: format!(
                    "{}.{} is not clinical text",
                    conflict.table, conflict.column
                ),
            })?;
        let loser = hex::decode(&conflict.loser_hlc).map_err(|_| Error::Invalid {
            field: "conflict",
            message: "the conflict's clock is not hex".into(),
        })?;
        match resolution {
            Resolution::KeepVisible => {}
            Resolution::TakeOther => {
                if table.name == ENCOUNTERS.name {
                    self.require_draft(conflict.row_id)?;
                }
                self.set(
                    table,
                    conflict.row_id,
                    column.name,
                    Value::text(&conflict.other_value),
                )?;
            }
            Resolution::MakeAddendum => {
                if table.name != ENCOUNTERS.name {
                    return Err(Error::Invalid {
                        field: "resolution",
                        message: "only an encounter takes addenda".into(),
                    });
                }
                let text = format!(
                    "[{} from a concurrent edit] {}",
                    column.name, conflict.other_value
                );
                self.add_addendum(conflict.row_id, &text)?;
            }
        }
        let id = self.new_id();
        let values = vec![
            ("tbl", Value::text(table.name)),
            ("row_id", Value::Text(conflict.row_id.to_string())),
            ("col", Value::text(column.name)),
            ("loser_hlc", Value::Blob(loser)),
            ("resolution", Value::text(resolution.as_str())),
            (
                "resolved_by",
                Value::Text(self.actor().staff_id.to_string()),
            ),
            ("resolved_at", Value::Text(self.now_text())),
        ];
        self.insert(&CONFLICT_RESOLUTIONS, id, values)?;
        self.audit(
            "conflict.resolve",
            table.name,
            &conflict.row_id.to_string(),
            resolution.as_str(),
        )
    }
}

impl Rx<'_> {
    /// Unresolved conflicts of clinical text, for one row or all. Needs a clinical role.
    pub fn conflicts(&self, row: Option<Uuid>) -> Result<Vec<TextConflict>> {
        self.require(Permission::ReadClinical)?;
        let candidates: Vec<HistoryEntry> = self
            .conn()
            .prepare_cached(
                "SELECT h.tbl, h.row_id, h.col, h.hlc, h.value FROM text_history h
                 WHERE (?1 IS NULL OR h.row_id = ?1)
                   AND NOT EXISTS (SELECT 1 FROM text_history b WHERE b.tbl = h.tbl AND b.row_id = h.row_id
                                   AND b.col = h.col AND b.base_hlc = h.hlc)
                   AND NOT EXISTS (SELECT 1 FROM conflict_resolutions r WHERE r.tbl = h.tbl
                                   AND r.row_id = h.row_id AND r.col = h.col AND r.loser_hlc = h.hlc)
                 ORDER BY h.tbl, h.row_id, h.col, h.hlc",
            )?
            .query_map(params![row.map(|r| r.to_string())], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut conflicts = Vec::new();
        for (tbl, row_id, col, hlc, value) in candidates {
            let Some(table) = schema::table(&tbl) else {
                continue;
            };
            let Some(column) = table.column(&col) else {
                continue;
            };
            let (sql, _) = Query::select()
                .column(column.name)
                .from(table.name)
                .and_where(Expr::col("id").eq(row_id.clone()))
                .build(SqliteQueryBuilder);
            let visible: Option<String> = self
                .conn()
                .prepare_cached(&sql)?
                .query_row([&row_id], |r| r.get(0))
                .optional()?
                .flatten();
            let other = value.unwrap_or_default();
            if visible.as_deref() != Some(other.as_str()) && !other.is_empty() {
                conflicts.push(TextConflict {
                    table: tbl,
                    row_id: crate::stored::id("record id", &row_id)?,
                    column: col,
                    loser_hlc: hex::encode(hlc),
                    other_value: other,
                    visible_value: visible,
                });
            }
        }
        Ok(conflicts)
    }
}
