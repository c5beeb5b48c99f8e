//! Search as you type over clients (names, phones, emails) and patients (names,
//! microchips, owners' surnames): SQLite FTS5 with prefix indexes, accent-insensitive
//! (`unicode61 remove_diacritics 2`), ranked by [`score`] (whole words before word
//! starts, names before contact details; bm25 cost a docsize read per match and made
//! the first keystrokes at 100k clients take tens of milliseconds). The index is kept by triggers
//! (see `migrations/local/02-records`), so local writes and merged remote changes
//! alike are searchable at once.

use serde::Serialize;
use uuid::Uuid;

use crate::Result;
use crate::Rx;
use crate::roles::Permission;

/// At most this many matches per index are ranked. A query this unselective (the
/// first letter or two at 100k clients) is ranked among its first matches only, which
/// keeps every keystroke fast; once the query narrows, every match is ranked.
const RANKED_CANDIDATES: i64 = 1500;

/// What a hit is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Client,
    Patient,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub kind: HitKind,
    pub id: Uuid,
    /// "Ann Ng" or "Bella"
    pub title: String,
    /// The phone/email of a client; the species and owners of a patient.
    pub detail: String,
    /// Higher is better.
    pub score: u32,
}

/// Turns what a person typed into an FTS5 query: every word must match as a prefix.
/// Quotes are doubled and each word is quoted, so no input is FTS syntax. `None` when
/// nothing searchable was typed.
pub fn fts_query(typed: &str) -> Option<String> {
    let words = words(typed);
    (!words.is_empty()).then(|| {
        words
            .iter()
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn words(typed: &str) -> Vec<&str> {
    typed
        .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '_')
        .map(|w| w.trim_matches('.'))
        // An email is found by its mailbox: the index leaves domains out.
        .map(|w| w.split('@').next().unwrap_or_default())
        .filter(|w| !w.is_empty())
        .take(8)
        .collect()
}

/// How well a hit's title matches what was typed (pure; case-insensitive): a whole
/// word beats the start of a word, the title beats the details, and the first word of
/// the title counts a little more (people type surnames and pet names first).
pub fn score(typed: &str, title: &str, detail: &str) -> u32 {
    let title_words: Vec<String> = title.split_whitespace().map(str::to_lowercase).collect();
    let detail = detail.to_lowercase();
    let mut score = 0;
    for word in words(typed).iter().map(|w| w.to_lowercase()) {
        let best = title_words
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let bonus = u32::from(i == 0);
                if *t == word {
                    8 + bonus
                } else if t.starts_with(&word) {
                    5 + bonus
                } else {
                    0
                }
            })
            .max()
            .unwrap_or(0);
        score += if best > 0 {
            best
        } else if detail.contains(&word) {
            2
        } else {
            1
        };
    }
    score
}

impl Rx<'_> {
    /// The best `limit` clients and patients for what was typed so far.
    pub fn search(&self, typed: &str, limit: usize) -> Result<Vec<Hit>> {
        self.require(Permission::ViewClients)?;
        let Some(query) = fts_query(typed) else {
            return Ok(Vec::new());
        };
        let limit = limit.clamp(1, 200);
        let mut hits = Vec::new();
        let mut clients = self.conn().prepare_cached(
            "SELECT c.id, coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''),
                    coalesce(c.phone, '') || ' ' || coalesce(c.email, '')
             FROM client_search JOIN clients c ON c.rowid = client_search.rowid
             WHERE client_search MATCH ?1 LIMIT ?2",
        )?;
        let mut rows = clients.query(rusqlite::params![query, RANKED_CANDIDATES])?;
        while let Some(r) = rows.next()? {
            let (title, detail): (String, String) =
                (r.get(1)?, r.get::<_, String>(2)?.trim().to_string());
            hits.push(Hit {
                kind: HitKind::Client,
                id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                score: score(typed, &title, &detail),
                title,
                detail,
            });
        }
        let mut patients = self.conn().prepare_cached(
            "SELECT p.id, coalesce(p.name, ''), coalesce(p.species, '') || ' · ' || patient_search.owners,
                    coalesce(p.microchip, '') || ' ' || coalesce(p.number, '')
             FROM patient_search JOIN patients p ON p.rowid = patient_search.rowid
             WHERE patient_search MATCH ?1 LIMIT ?2",
        )?;
        let mut rows = patients.query(rusqlite::params![query, RANKED_CANDIDATES])?;
        while let Some(r) = rows.next()? {
            let (title, detail): (String, String) = (r.get(1)?, r.get(2)?);
            let chip: String = r.get(3)?;
            hits.push(Hit {
                kind: HitKind::Patient,
                id: Uuid::parse_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                score: score(typed, &title, &format!("{detail} {chip}")),
                title,
                detail,
            });
        }
        hits.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| a.title.len().cmp(&b.title.len()))
                .then_with(|| a.title.cmp(&b.title))
        });
        hits.truncate(limit);
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_and_names_rank_first() {
        // (typed, title, detail, beats title, beats detail)
        let cases = [
            ("ng", "Ann Ng", "", "Ann Ngozi", ""),
            ("bel", "Bella", "dog · Ng", "Annabel Bellamy", ""),
            ("smith", "Smith Jones", "", "Ann Smith", ""),
            ("ann", "Ann Ng", "", "Bo Ng", "ann@example.com"),
        ];
        for (typed, a, a_detail, b, b_detail) in cases {
            assert!(
                score(typed, a, a_detail) > score(typed, b, b_detail),
                "{typed}: {a} over {b}"
            );
        }
    }

    #[test]
    fn typed_text_becomes_a_safe_prefix_query() {
        let cases = [
            ("bel", Some(r#""bel"*"#)),
            ("  Ann  Ng ", Some(r#""Ann"* "Ng"*"#)),
            (r#"a" OR "b"#, Some(r#""a"* "OR"* "b"*"#)),
            ("ann@example.com", Some(r#""ann"*"#)),
            ("ann.ng@", Some(r#""ann.ng"*"#)),
            ("NEAR(x y)", Some(r#""NEAR"* "x"* "y"*"#)),
            ("  *** ", None),
            ("", None),
        ];
        for (typed, want) in cases {
            assert_eq!(fts_query(typed).as_deref(), want, "{typed:?}");
        }
    }
}
