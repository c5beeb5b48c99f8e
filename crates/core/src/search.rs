//! Search as you type over clients (names, phones, emails) and patients (names,
//! microchips, owners' surnames): SQLite FTS5 with prefix indexes, accent-insensitive
//! (`unicode61 remove_diacritics 2`), ranked by bm25. The index is kept by triggers
//! (see `migrations/local/02-records`), so local writes and merged remote changes
//! alike are searchable at once.

use serde::Serialize;
use uuid::Uuid;

use crate::Result;
use crate::roles::Actor;
use crate::store::Store;

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Client,
    Patient,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub kind: HitKind,
    pub id: Uuid,
    /// "Ann Ng" or "Bella"
    pub title: String,
    /// The phone/email of a client; the species and owners of a patient.
    pub detail: String,
    pub rank: f64,
}

/// Turns what a person typed into an FTS5 query: every word must match as a prefix.
/// Quotes are doubled and each word is quoted, so no input is FTS syntax. `None` when
/// nothing searchable was typed.
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '_')
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Store {
    /// The best `limit` clients and patients for what was typed so far.
    pub fn search(&self, _actor: &Actor, typed: &str, limit: usize) -> Result<Vec<Hit>> {
        let Some(query) = fts_query(typed) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit.clamp(1, 200)).unwrap_or(20);
        let mut hits = Vec::new();
        let mut clients = self.conn().prepare_cached(
            "SELECT c.id, coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''),
                    coalesce(c.phone, '') || ' ' || coalesce(c.email, ''), client_search.rank
             FROM client_search JOIN clients c ON c.rowid = client_search.rowid
             WHERE client_search MATCH ?1 ORDER BY client_search.rank LIMIT ?2",
        )?;
        for hit in clients.query_map(rusqlite::params![query, limit], |r| {
            Ok(Hit {
                kind: HitKind::Client,
                id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                title: r.get(1)?,
                detail: r.get::<_, String>(2)?.trim().to_string(),
                rank: r.get(3)?,
            })
        })? {
            hits.push(hit?);
        }
        let mut patients = self.conn().prepare_cached(
            "SELECT p.id, coalesce(p.name, ''),
                    coalesce(p.species, '') || ' · ' || patient_search.owners, patient_search.rank
             FROM patient_search JOIN patients p ON p.rowid = patient_search.rowid
             WHERE patient_search MATCH ?1 ORDER BY patient_search.rank LIMIT ?2",
        )?;
        for hit in patients.query_map(rusqlite::params![query, limit], |r| {
            Ok(Hit {
                kind: HitKind::Patient,
                id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                title: r.get(1)?,
                detail: r.get(2)?,
                rank: r.get(3)?,
            })
        })? {
            hits.push(hit?);
        }
        // bm25 ranks are lower-is-better and comparable enough across the two indexes.
        hits.sort_by(|a, b| {
            a.rank
                .total_cmp(&b.rank)
                .then_with(|| a.title.cmp(&b.title))
        });
        hits.truncate(usize::try_from(limit).unwrap_or(20));
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_becomes_a_safe_prefix_query() {
        let cases = [
            ("bel", Some(r#""bel"*"#)),
            ("  Ann  Ng ", Some(r#""Ann"* "Ng"*"#)),
            (r#"a" OR "b"#, Some(r#""a"* "OR"* "b"*"#)),
            ("ann@example.com", Some(r#""ann@example.com"*"#)),
            ("NEAR(x y)", Some(r#""NEAR"* "x"* "y"*"#)),
            ("  *** ", None),
            ("", None),
        ];
        for (typed, want) in cases {
            assert_eq!(fts_query(typed).as_deref(), want, "{typed:?}");
        }
    }
}
