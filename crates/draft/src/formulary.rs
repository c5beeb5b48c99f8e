//! A starter formulary: common small-animal drugs with the per-dose mg/kg ranges found
//! in standard veterinary formularies, so the scribe can bias transcription toward drug
//! names and check doses before the clinic has entered its own (the inventory's drug
//! records replace it once they exist). Topical products carry no range.

use crate::extract::{DoseRange, Drug};

fn drug(name: &str, aliases: &[&str], ranges: &[(&str, f64, f64)]) -> Drug {
    Drug {
        name: name.into(),
        aliases: aliases.iter().map(|a| (*a).to_string()).collect(),
        dose_ranges: ranges
            .iter()
            .map(|(species, min, max)| DoseRange {
                species: (*species).to_string(),
                min_mg_per_kg: *min,
                max_mg_per_kg: *max,
            })
            .collect(),
    }
}

/// The starter drugs.
pub fn starter() -> Vec<Drug> {
    vec![
        drug("Carprofen", &["Rimadyl"], &[("dog", 2.0, 4.4)]),
        drug(
            "Meloxicam",
            &["Metacam"],
            &[("dog", 0.05, 0.2), ("cat", 0.025, 0.05)],
        ),
        drug(
            "Robenacoxib",
            &["Onsior"],
            &[("dog", 1.0, 2.0), ("cat", 1.0, 2.4)],
        ),
        drug(
            "Amoxicillin clavulanate",
            &["Clavamox", "Synulox", "Clavaseptin"],
            &[("dog", 12.5, 25.0), ("cat", 12.5, 25.0)],
        ),
        drug(
            "Cefalexin",
            &["Cephalexin", "Therios"],
            &[("dog", 15.0, 30.0), ("cat", 15.0, 30.0)],
        ),
        drug(
            "Enrofloxacin",
            &["Baytril"],
            &[("dog", 5.0, 20.0), ("cat", 5.0, 5.0)],
        ),
        drug(
            "Metronidazole",
            &[],
            &[("dog", 10.0, 25.0), ("cat", 10.0, 25.0)],
        ),
        drug(
            "Doxycycline",
            &["Ronaxan"],
            &[("dog", 5.0, 10.0), ("cat", 5.0, 10.0)],
        ),
        drug(
            "Maropitant",
            &["Cerenia"],
            &[("dog", 1.0, 2.0), ("cat", 1.0, 1.0)],
        ),
        drug("Gabapentin", &[], &[("dog", 5.0, 20.0), ("cat", 5.0, 10.0)]),
        drug(
            "Buprenorphine",
            &["Vetergesic"],
            &[("dog", 0.01, 0.02), ("cat", 0.01, 0.03)],
        ),
        drug(
            "Methadone",
            &["Comfortan"],
            &[("dog", 0.1, 0.5), ("cat", 0.1, 0.3)],
        ),
        drug(
            "Prednisolone",
            &["Prednicare"],
            &[("dog", 0.5, 2.0), ("cat", 0.5, 2.0)],
        ),
        drug(
            "Furosemide",
            &["Frusemide"],
            &[("dog", 1.0, 4.0), ("cat", 1.0, 2.0)],
        ),
        drug("Pimobendan", &["Vetmedin"], &[("dog", 0.1, 0.3)]),
        drug("Oclacitinib", &["Apoquel"], &[("dog", 0.4, 0.6)]),
        drug("Famotidine", &[], &[("dog", 0.5, 1.0), ("cat", 0.5, 1.0)]),
        drug("Omeprazole", &[], &[("dog", 0.7, 1.0), ("cat", 0.7, 1.0)]),
        drug(
            "Methimazole",
            &["Thiamazole", "Felimazole"],
            &[("cat", 0.3, 2.5)],
        ),
        drug("Otomax", &[], &[]),
        drug("Surolan", &[], &[]),
        drug("Easotic", &[], &[]),
        drug("Chloramphenicol eye drops", &[], &[]),
        drug("Fluorescein", &[], &[]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_range_is_a_range_and_names_are_unique() {
        let drugs = starter();
        for d in &drugs {
            for r in &d.dose_ranges {
                assert!(
                    0.0 < r.min_mg_per_kg && r.min_mg_per_kg <= r.max_mg_per_kg,
                    "{}",
                    d.name
                );
            }
        }
        let mut names: Vec<String> = drugs
            .iter()
            .flat_map(|d| std::iter::once(&d.name).chain(&d.aliases))
            .map(|n| n.to_lowercase())
            .collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
