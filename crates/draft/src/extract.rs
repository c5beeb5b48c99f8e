//! The SOAP draft drawn from a transcript: signalment, vitals with units normalised,
//! problems, medications matched against the clinic's formulary (dose, unit, route,
//! frequency, duration), follow-up and discharge instructions.
//!
//! Rules, not guesses: an item is drafted only when its words are in the transcript,
//! and every item carries the [`Evidence`] (transcript span and audio time) it came
//! from. A dose outside the drug's range for the species and the patient's weight is
//! flagged; so is a drug name that was only heard approximately.

use serde::{Deserialize, Serialize};

use crate::numbers;
use crate::text::{self, Evidence, Segment, Word};

/// A drug of the clinic's formulary, with the dose ranges the clinic uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drug {
    pub name: String,
    /// Other names staff say (brand or generic).
    pub aliases: Vec<String>,
    pub dose_ranges: Vec<DoseRange>,
}

/// Acceptable mg per kg per dose for one species.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoseRange {
    pub species: String,
    pub min_mg_per_kg: f64,
    pub max_mg_per_kg: f64,
}

/// What the extraction knows about the visit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// "dog", "cat", … (lowercase).
    pub species: Option<String>,
    /// From the record, when no weight is said in the visit.
    pub weight_kg: Option<f64>,
    pub formulary: Vec<Drug>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Signalment {
        age_years: Option<f64>,
        sex: Option<String>,
        neutered: Option<bool>,
    },
    Weight {
        kg: f64,
    },
    Temperature {
        celsius: f64,
    },
    HeartRate {
        per_minute: f64,
    },
    RespiratoryRate {
        per_minute: f64,
    },
    Problem {
        text: String,
    },
    Medication {
        drug: String,
        dose: Option<f64>,
        unit: Option<String>,
        mg_per_kg: Option<f64>,
        route: Option<String>,
        times_per_day: Option<f64>,
        duration_days: Option<f64>,
    },
    FollowUp {
        in_days: Option<f64>,
        text: String,
    },
    Discharge {
        text: String,
    },
}

/// Why an item needs a closer look before approval.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// The dose is outside the drug's range for this species and weight; approving it
    /// needs an explicit override.
    DoseOutOfRange { mg_per_kg: f64, min: f64, max: f64 },
    /// The drug name was heard approximately ("tada max" for Otomax).
    HeardAs { heard: String },
    /// No weight to check the dose against.
    NoWeightForDoseCheck,
    /// The formulary has no range for this species.
    NoRangeForSpecies,
    /// A dose in a unit that cannot be checked against mg/kg (ml, tablets, drops):
    /// the vet checks it against the product's strength ("75 ml" may be a mishearing
    /// of "75 mg").
    DoseNotChecked { unit: String },
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftItem {
    pub item: Item,
    pub evidence: Evidence,
    pub flags: Vec<Flag>,
}

impl DraftItem {
    /// Flags that block approval unless overridden.
    pub fn needs_override(&self) -> bool {
        self.flags
            .iter()
            .any(|f| matches!(f, Flag::DoseOutOfRange { .. }))
    }
}

/// Draws the draft from `segments`.
pub fn extract(segments: &[Segment], context: &Context) -> Vec<DraftItem> {
    let words = text::words(segments);
    let mut items = Vec::new();
    let mut weight = context.weight_kg;
    for sentence in text::sentences(&words) {
        let ws = &words[sentence.clone()];
        let at = |range: std::ops::Range<usize>| {
            text::evidence(
                segments,
                &words,
                sentence.start + range.start..sentence.start + range.end,
            )
        };
        for (item, range) in vitals(ws) {
            if let Item::Weight { kg } = item {
                weight = Some(kg);
            }
            items.push(DraftItem {
                item,
                evidence: at(range),
                flags: Vec::new(),
            });
        }
        if let Some((item, range)) = signalment(ws) {
            items.push(DraftItem {
                item,
                evidence: at(range),
                flags: Vec::new(),
            });
        }
        let medications = medications(ws, context, weight);
        let prescribing = !medications.is_empty();
        for (item, range, flags) in medications {
            items.push(DraftItem {
                item,
                evidence: at(range),
                flags,
            });
        }
        for (term, range) in problems(ws) {
            items.push(DraftItem {
                item: Item::Problem { text: term },
                evidence: at(range),
                flags: Vec::new(),
            });
        }
        if let Some((item, range)) = follow_up(ws) {
            items.push(DraftItem {
                item,
                evidence: at(range),
                flags: Vec::new(),
            });
        } else if !prescribing && is_discharge(ws) {
            let evidence = at(0..ws.len());
            items.push(DraftItem {
                item: Item::Discharge {
                    text: evidence.quote.clone(),
                },
                evidence,
                flags: Vec::new(),
            });
        }
    }
    items
}

fn word(ws: &[Word], i: usize) -> &str {
    ws.get(i).map_or("", |w| w.text.as_str())
}

/// A number starting at word `i`: (value, words used).
fn number_at(ws: &[Word], i: usize) -> Option<(f64, usize)> {
    let rest: Vec<&str> = ws[i.min(ws.len())..]
        .iter()
        .map(|w| w.text.as_str())
        .collect();
    numbers::parse(&rest).map(|p| (p.value, p.words))
}

/// Finds `phrase` (space-separated words) at word `i`; returns its length in words.
fn phrase_at(ws: &[Word], i: usize, phrase: &str) -> Option<usize> {
    let parts: Vec<&str> = phrase.split(' ').collect();
    parts
        .iter()
        .enumerate()
        .all(|(k, p)| word(ws, i + k) == *p)
        .then_some(parts.len())
}

/// The first of `phrases` at word `i`: (phrase, length).
fn any_at<'p>(ws: &[Word], i: usize, phrases: &[&'p str]) -> Option<(&'p str, usize)> {
    phrases
        .iter()
        .find_map(|p| phrase_at(ws, i, p).map(|n| (*p, n)))
}

const FILLERS: &[&str] = &[
    "is", "was", "of", "at", "about", "today", "now", "today's", "reading",
];

/// After a cue ending at word `i`, skip filler words; then a number and its length.
fn number_after(ws: &[Word], mut i: usize) -> Option<(f64, usize, usize)> {
    while FILLERS.contains(&word(ws, i)) {
        i += 1;
    }
    number_at(ws, i).map(|(v, n)| (v, i, n))
}

fn vitals(ws: &[Word]) -> Vec<(Item, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let found = vital_at(ws, i);
        match found {
            Some((item, end)) => {
                out.push((item, i..end));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// Whisper glues a name to "weighs" it did not quite hear: "Bella weighs" comes out as
/// "Merleways", "Tom weighs" as "Tomways" (or "Bella ways"). Such a word counts as the
/// cue when a weight with its unit follows (checked by the caller).
fn glued_weighs(ws: &[Word], i: usize) -> Option<((), usize)> {
    let w = word(ws, i);
    let glued = w == "ways"
        || ["weighs", "ways"]
            .iter()
            .any(|cue| w.len() > cue.len() + 1 && w.ends_with(cue) && w != "always");
    glued.then_some(((), 1))
}

fn vital_at(ws: &[Word], i: usize) -> Option<(Item, usize)> {
    if let Some((_, n)) = any_at(ws, i, &["weighs", "weight", "body weight", "weighing"])
        .map(|(_, n)| ((), n))
        .or_else(|| glued_weighs(ws, i))
    {
        let (value, at, len) = number_after(ws, i + n)?;
        let unit_at = at + len;
        let (kg, used) = match any_at(
            ws,
            unit_at,
            &[
                "kilograms",
                "kilogram",
                "kilogrammes",
                "kilogramme",
                "kilos",
                "kilo",
                "kg",
                "kgs",
            ],
        ) {
            Some((_, u)) => (value, u),
            None => match any_at(ws, unit_at, &["pounds", "pound", "lb", "lbs"]) {
                Some((_, u)) => (value * 0.453_592_37, u),
                None => return None,
            },
        };
        return Some((Item::Weight { kg: round(kg, 2) }, unit_at + used));
    }
    if let Some((_, n)) = any_at(ws, i, &["temperature", "temp", "rectal temperature"]) {
        let (value, at, len) = number_after(ws, i + n)?;
        let mut end = at + len;
        if word(ws, end) == "degrees" {
            end += 1;
        }
        let celsius = match any_at(ws, end, &["fahrenheit", "f"]) {
            Some((_, u)) => {
                end += u;
                (value - 32.0) * 5.0 / 9.0
            }
            None => {
                if let Some((_, u)) = any_at(ws, end, &["celsius", "centigrade", "c"]) {
                    end += u;
                    value
                } else if value > 50.0 {
                    // No unit said: a body temperature above 50 is Fahrenheit.
                    (value - 32.0) * 5.0 / 9.0
                } else {
                    value
                }
            }
        };
        return Some((
            Item::Temperature {
                celsius: round(celsius, 1),
            },
            end,
        ));
    }
    if let Some((_, n)) = any_at(ws, i, &["heart rate", "pulse", "hr"]) {
        let (value, at, len) = number_after(ws, i + n)?;
        let end =
            at + len + any_at(ws, at + len, &["beats per minute", "bpm"]).map_or(0, |(_, u)| u);
        return Some((Item::HeartRate { per_minute: value }, end));
    }
    if let Some((_, n)) = any_at(
        ws,
        i,
        &[
            "respiratory rate",
            "respiration rate",
            "resp rate",
            "respirations",
            "breathing rate",
            "rr",
        ],
    ) {
        let (value, at, len) = number_after(ws, i + n)?;
        let end = at
            + len
            + any_at(ws, at + len, &["breaths per minute", "per minute"]).map_or(0, |(_, u)| u);
        return Some((Item::RespiratoryRate { per_minute: value }, end));
    }
    None
}

fn signalment(ws: &[Word]) -> Option<(Item, std::ops::Range<usize>)> {
    let mut age = None;
    let mut range: Option<std::ops::Range<usize>> = None;
    let widen = |r: std::ops::Range<usize>, range: &mut Option<std::ops::Range<usize>>| {
        *range = Some(match range.take() {
            Some(old) => old.start.min(r.start)..old.end.max(r.end),
            None => r,
        });
    };
    for i in 0..ws.len() {
        if let Some((value, n)) = number_at(ws, i) {
            let unit = word(ws, i + n);
            let months = matches!(unit, "month" | "months");
            if matches!(unit, "year" | "years" | "yr" | "month" | "months")
                && phrase_at(ws, i + n + 1, "old").is_some()
            {
                age = Some(if months {
                    round(value / 12.0, 2)
                } else {
                    value
                });
                widen(i..i + n + 2, &mut range);
            }
        }
    }
    let mut sex = None;
    let mut neutered = None;
    for (i, w) in ws.iter().enumerate() {
        let (s, n) = match w.text.as_str() {
            "male" => (Some("male"), None),
            "female" => (Some("female"), None),
            "spayed" => (Some("female"), Some(true)),
            "neutered" | "castrated" => (None, Some(true)),
            "entire" | "intact" => (None, Some(false)),
            _ => continue,
        };
        sex = sex.or(s);
        neutered = neutered.or(n);
        widen(i..i + 1, &mut range);
    }
    let range = range?;
    Some((
        Item::Signalment {
            age_years: age,
            sex: sex.map(str::to_string),
            neutered,
        },
        range,
    ))
}

/// Conditions a clinic's notes name; extended as the clinic's vocabulary grows.
const PROBLEMS: &[&str] = &[
    "otitis externa",
    "otitis media",
    "otitis",
    "atopic dermatitis",
    "dermatitis",
    "pyoderma",
    "gastroenteritis",
    "vomiting",
    "diarrhoea",
    "diarrhea",
    "cruciate ligament rupture",
    "cruciate",
    "luxating patella",
    "heart murmur",
    "dental disease",
    "periodontal disease",
    "conjunctivitis",
    "cystitis",
    "urinary tract infection",
    "osteoarthritis",
    "arthritis",
    "obesity",
    "hyperthyroidism",
    "diabetes",
    "chronic kidney disease",
    "kidney disease",
    "flea allergy",
    "lameness",
    "laceration",
    "abscess",
    "pruritus",
];

fn problems(ws: &[Word]) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        match any_at(ws, i, PROBLEMS) {
            Some((term, n)) => {
                // "in the left ear" and the like belong to the problem.
                let mut end = i + n;
                let side = any_at(
                    ws,
                    end,
                    &[
                        "in the left ear",
                        "in the right ear",
                        "in both ears",
                        "in the left eye",
                        "in the right eye",
                        "in both eyes",
                    ],
                );
                let text = match side {
                    Some((place, m)) => {
                        end += m;
                        format!(
                            "{term} ({})",
                            place.trim_start_matches("in ").trim_start_matches("the ")
                        )
                    }
                    None => term.to_string(),
                };
                out.push((text, i..end));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// How close two drug-name spellings are: 1 − edit distance / longer length.
fn similarity(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut previous = row[0];
        row[0] = i;
        for j in 1..=b.len() {
            let substitution = previous + usize::from(a[i - 1] != b[j - 1]);
            previous = row[j];
            row[j] = substitution.min(row[j] + 1).min(row[j - 1] + 1);
        }
    }
    1.0 - row[b.len()] as f64 / a.len().max(b.len()).max(1) as f64
}

/// Words that are never part of a drug name heard approximately.
const NOT_A_DRUG: &[&str] = &[
    "by",
    "mouth",
    "one",
    "once",
    "twice",
    "daily",
    "day",
    "days",
    "week",
    "weeks",
    "for",
    "and",
    "in",
    "the",
    "ear",
    "ears",
    "eye",
    "eyes",
    "left",
    "right",
    "both",
    "with",
    "orally",
    "oral",
    "drops",
    "drop",
    "tablet",
    "tablets",
    "mg",
    "milligrams",
    "ml",
    "kilograms",
    "kg",
    "every",
    "hours",
    "times",
    "a",
    "an",
    "of",
    "to",
    "start",
    "give",
    "is",
    "was",
    "she",
    "he",
    "her",
    "his",
    "doing",
    "well",
    "weight",
    "weighs",
];

/// The formulary drug named exactly (any of its names) at word `i`, and its length.
fn exact_drug_at<'d>(ws: &[Word], i: usize, formulary: &'d [Drug]) -> Option<(&'d Drug, usize)> {
    formulary.iter().find_map(|drug| {
        std::iter::once(&drug.name)
            .chain(&drug.aliases)
            .find_map(|name| phrase_at(ws, i, &name.to_lowercase()))
            .map(|n| (drug, n))
    })
}

/// The consonants of a word, doubled letters once: "otomax" → "tmx".
fn consonants(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars().filter(|c| !"aeiouy".contains(*c)) {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// The formulary drug named at word `i`: exact (any of its names, possibly several
/// words), else approximately (1–3 words run together, similarity ≥ 0.6 for names of
/// 6+ letters). Returns (drug, words used, heard-as when approximate).
fn drug_at<'d>(
    ws: &[Word],
    i: usize,
    formulary: &'d [Drug],
) -> Option<(&'d Drug, usize, Option<String>)> {
    if let Some((drug, n)) = exact_drug_at(ws, i, formulary) {
        return Some((drug, n, None));
    }
    let mut best: Option<(&Drug, usize, f64, String)> = None;
    for span in 1..=3 {
        // A span that reaches a drug said exactly is that drug, not a near miss.
        if i + span > ws.len() || exact_drug_at(ws, i + span - 1, formulary).is_some() {
            break;
        }
        let heard: String = ws[i..i + span].iter().map(|w| w.text.as_str()).collect();
        // Numbers and the words around a prescription ("by mouth one daily") are not
        // a misheard drug name.
        let ordinary = ws[i..i + span]
            .iter()
            .any(|w| NOT_A_DRUG.contains(&w.text.as_str()));
        if ordinary || heard.chars().any(|c| c.is_ascii_digit()) {
            break;
        }
        for drug in formulary {
            let name: String = drug
                .name
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            if name.len() < 6 {
                continue;
            }
            // Close in letters; or, for a long enough hearing, close in its consonant
            // skeleton (vowels are what Whisper gets wrong most: "tada max" for
            // Otomax) and not far in letters. Short words ("temp", "times") never match.
            let letters = similarity(&heard, &name);
            let skeleton = similarity(&consonants(&heard), &consonants(&name));
            let score = if letters >= 0.6 {
                letters
            } else if heard.len() >= 6 && skeleton >= 0.75 && letters >= 0.4 {
                skeleton * letters
            } else {
                0.0
            };
            if score > 0.0 && best.as_ref().is_none_or(|b| score > b.2) {
                let quote = ws[i..i + span]
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                best = Some((drug, span, score, quote));
            }
        }
    }
    best.map(|(drug, span, _, heard)| (drug, span, Some(heard)))
}

const DOSE_UNITS: &[(&str, &str)] = &[
    ("milligrams per kilogram", "mg/kg"),
    ("milligrams per kilo", "mg/kg"),
    ("mg per kg", "mg/kg"),
    ("mg/kg", "mg/kg"),
    ("milligrams", "mg"),
    ("milligram", "mg"),
    ("mg", "mg"),
    ("micrograms", "mcg"),
    ("mcg", "mcg"),
    ("millilitres", "ml"),
    ("milliliters", "ml"),
    ("mls", "ml"),
    ("ml", "ml"),
    ("tablets", "tablet"),
    ("tablet", "tablet"),
    ("tabs", "tablet"),
    ("capsules", "capsule"),
    ("capsule", "capsule"),
    ("drops", "drop"),
    ("drop", "drop"),
    ("units", "unit"),
];

const ROUTES: &[(&str, &str)] = &[
    ("by mouth", "oral"),
    ("mouth", "oral"),
    ("orally", "oral"),
    ("oral", "oral"),
    ("po", "oral"),
    ("subcutaneously", "subcutaneous"),
    ("subcutaneous", "subcutaneous"),
    ("sc", "subcutaneous"),
    ("intramuscularly", "intramuscular"),
    ("intramuscular", "intramuscular"),
    ("im", "intramuscular"),
    ("intravenously", "intravenous"),
    ("intravenous", "intravenous"),
    ("iv", "intravenous"),
    ("in the left ear", "otic, left ear"),
    ("in the right ear", "otic, right ear"),
    ("in both ears", "otic, both ears"),
    ("in the ear", "otic"),
    ("in the left eye", "ophthalmic, left eye"),
    ("in the right eye", "ophthalmic, right eye"),
    ("in both eyes", "ophthalmic, both eyes"),
    ("topically", "topical"),
    ("topical", "topical"),
];

const FREQUENCIES: &[(&str, f64)] = &[
    ("once daily", 1.0),
    ("once a day", 1.0),
    ("one daily", 1.0),
    ("sid", 1.0),
    ("twice daily", 2.0),
    ("twice a day", 2.0),
    ("two times a day", 2.0),
    ("bid", 2.0),
    ("three times daily", 3.0),
    ("three times a day", 3.0),
    ("tid", 3.0),
    ("four times daily", 4.0),
    ("four times a day", 4.0),
    ("qid", 4.0),
    ("every other day", 0.5),
];

fn medications(
    ws: &[Word],
    context: &Context,
    weight_kg: Option<f64>,
) -> Vec<(Item, std::ops::Range<usize>, Vec<Flag>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let Some((drug, n, heard)) = drug_at(ws, i, &context.formulary) else {
            i += 1;
            continue;
        };
        let mut end = i + n;
        let (mut dose, mut unit, mut route, mut times, mut days) = (None, None, None, None, None);
        // The rest of the sentence, up to the next drug, describes this one.
        let mut j = end;
        while j < ws.len() {
            if j > end && exact_drug_at(ws, j, &context.formulary).is_some() {
                break;
            }
            let found = if dose.is_none()
                && let Some((value, canonical, len)) = dose_at(ws, j)
            {
                dose = Some(value);
                unit = Some(canonical.to_string());
                Some(len)
            } else if route.is_none()
                && let Some((canonical, len)) = route_at(ws, j)
            {
                route = Some(canonical.to_string());
                Some(len)
            } else if times.is_none()
                && let Some((per_day, len)) = frequency_at(ws, j)
            {
                times = Some(per_day);
                Some(len)
            } else if days.is_none()
                && let Some((value, len)) = duration_at(ws, j)
            {
                days = Some(value);
                Some(len)
            } else {
                None
            };
            match found {
                Some(len) => {
                    j += len;
                    end = j;
                }
                None => j += 1,
            }
        }
        let mg_per_kg = match (dose, unit.as_deref(), weight_kg) {
            (Some(d), Some("mg/kg"), _) => Some(d),
            (Some(d), Some("mg"), Some(w)) if w > 0.0 => Some(round(d / w, 2)),
            _ => None,
        };
        let mut flags = Vec::new();
        if let Some(heard) = heard {
            flags.push(Flag::HeardAs { heard });
        }
        if let Some(per_kg) = mg_per_kg {
            let species = context.species.as_deref().unwrap_or("");
            match drug.dose_ranges.iter().find(|r| r.species == species) {
                Some(range) if per_kg < range.min_mg_per_kg || per_kg > range.max_mg_per_kg => {
                    flags.push(Flag::DoseOutOfRange {
                        mg_per_kg: per_kg,
                        min: range.min_mg_per_kg,
                        max: range.max_mg_per_kg,
                    });
                }
                Some(_) => {}
                None => flags.push(Flag::NoRangeForSpecies),
            }
        } else if unit.as_deref() == Some("mg") {
            flags.push(Flag::NoWeightForDoseCheck);
        } else if let (Some(_), Some(unit)) = (dose, &unit) {
            flags.push(Flag::DoseNotChecked { unit: unit.clone() });
        }
        out.push((
            Item::Medication {
                drug: drug.name.clone(),
                dose,
                unit,
                mg_per_kg,
                route,
                times_per_day: times,
                duration_days: days,
            },
            i..end,
            flags,
        ));
        i = end.max(i + 1);
    }
    out
}

/// "75 milligrams", "2 mg per kg": (value, canonical unit, words used). A long unit
/// word one or two letters off ("millidrams") counts as the unit it is closest to.
fn dose_at(ws: &[Word], j: usize) -> Option<(f64, &'static str, usize)> {
    let (value, len) = number_at(ws, j)?;
    if let Some(found) = DOSE_UNITS
        .iter()
        .find_map(|(p, c)| phrase_at(ws, j + len, p).map(|u| (value, *c, len + u)))
    {
        return Some(found);
    }
    let heard = word(ws, j + len);
    if heard.len() < 7 {
        return None;
    }
    DOSE_UNITS
        .iter()
        .filter(|(p, _)| p.len() >= 7 && !p.contains(' '))
        .find(|(p, _)| similarity(heard, p) >= 0.8)
        .map(|(_, c)| (value, *c, len + 1))
}

fn route_at(ws: &[Word], j: usize) -> Option<(&'static str, usize)> {
    ROUTES
        .iter()
        .find_map(|(p, c)| phrase_at(ws, j, p).map(|l| (*c, l)))
}

/// "twice daily", "BID", "every twelve hours": (times per day, words used).
fn frequency_at(ws: &[Word], j: usize) -> Option<(f64, usize)> {
    if word(ws, j) == "every"
        && let Some((hours, len)) = number_at(ws, j + 1).filter(|(h, _)| *h > 0.0)
        && matches!(word(ws, j + 1 + len), "hours" | "hour" | "hrs" | "h")
    {
        return Some((round(24.0 / hours, 2), len + 2));
    }
    // "3 times a day", "two times daily", and "1 daily" as Whisper writes "one daily".
    // (Not "2 daily": that says how many tablets, not how often.)
    if let Some((n, len)) =
        number_at(ws, j).filter(|(n, _)| n.fract() == 0.0 && (1.0..=6.0).contains(n))
    {
        let (next, after, then) = (
            word(ws, j + len),
            word(ws, j + len + 1),
            word(ws, j + len + 2),
        );
        match (next, after, then) {
            ("times", "daily", _) => return Some((n, len + 2)),
            ("times", "a" | "per", "day") => return Some((n, len + 3)),
            ("daily", _, _) if n == 1.0 => return Some((1.0, len + 1)),
            _ => {}
        }
    }
    FREQUENCIES
        .iter()
        .find_map(|(p, f)| phrase_at(ws, j, p).map(|l| (*f, l)))
}

/// "for seven days", "for two weeks": (days, words used).
fn duration_at(ws: &[Word], j: usize) -> Option<(f64, usize)> {
    if word(ws, j) != "for" {
        return None;
    }
    let (value, len) = number_at(ws, j + 1)?;
    let factor = match word(ws, j + 1 + len) {
        "day" | "days" => 1.0,
        "week" | "weeks" => 7.0,
        "month" | "months" => 30.0,
        _ => return None,
    };
    Some((value * factor, len + 2))
}

fn follow_up(ws: &[Word]) -> Option<(Item, std::ops::Range<usize>)> {
    for i in 0..ws.len() {
        // "recheck", and Whisper's "recheckin'", "rechackin", "rechalkin" for it.
        let cue = word(ws, i).starts_with("rech")
            || any_at(
                ws,
                i,
                &["re check", "follow up", "followup", "come back", "review"],
            )
            .is_some();
        if !cue {
            continue;
        }
        // "in two weeks", "in 10 days" (and "recheckin 2 weeks"): the first number
        // with a unit of time after the cue.
        let mut in_days = None;
        for j in i + 1..ws.len().min(i + 8) {
            if let Some((value, len)) = number_at(ws, j) {
                in_days = match word(ws, j + len) {
                    "day" | "days" => Some(value),
                    "week" | "weeks" => Some(value * 7.0),
                    "month" | "months" => Some(value * 30.0),
                    _ => None,
                };
                if in_days.is_some() {
                    break;
                }
            }
        }
        let quote: Vec<&str> = ws.iter().map(|w| w.text.as_str()).collect();
        return Some((
            Item::FollowUp {
                in_days,
                text: quote.join(" "),
            },
            0..ws.len(),
        ));
    }
    None
}

/// Instructions for the owner: sentences that tell them what to do.
fn is_discharge(ws: &[Word]) -> bool {
    const STARTS: &[&str] = &[
        "keep", "avoid", "monitor", "feed", "restrict", "no", "do", "don't", "dont", "please",
        "call", "return", "limit", "allow", "use", "apply", "clean",
    ];
    let first = word(ws, 0);
    STARTS.contains(&first)
        || ws
            .windows(2)
            .any(|w| w[0].text == "owner" && matches!(w[1].text.as_str(), "should" | "to" | "must"))
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests;
