//! A starter formulary: common small-animal drugs with the per-dose mg/kg ranges found
//! in standard veterinary formularies, so the scribe can bias transcription toward drug
//! names and check doses before the clinic has entered its own; and [`with_catalog`],
//! which lays the clinic's catalog drugs over it — the catalog's ranges replace the
//! starter's for the species it names, and its drugs the starter lacks are added. Topical
//! products carry no range.

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

/// The name a vet says for a catalog entry: its words before the first number
/// ("Carprofen 50 mg" → "Carprofen", "Amoxicillin clavulanate 250 mg" → "Amoxicillin
/// clavulanate").
pub fn spoken_name(catalog_name: &str) -> String {
    catalog_name
        .split_whitespace()
        .take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `formulary` with the clinic's catalog drugs (`(catalog name, its dose ranges)`) laid
/// over it (pure): a drug the formulary knows by name or alias takes the catalog's
/// ranges for the species the catalog names (its other species keep the formulary's);
/// a drug it does not know is added under its spoken name, with the catalog's name as
/// an alias when the two differ.
pub fn with_catalog(mut formulary: Vec<Drug>, catalog: &[(String, Vec<DoseRange>)]) -> Vec<Drug> {
    for (catalog_name, ranges) in catalog {
        let spoken = spoken_name(catalog_name);
        if spoken.is_empty() {
            continue;
        }
        let known = formulary.iter_mut().find(|d| {
            std::iter::once(&d.name)
                .chain(&d.aliases)
                .any(|n| n.eq_ignore_ascii_case(&spoken))
        });
        match known {
            Some(drug) => {
                for range in ranges {
                    drug.dose_ranges
                        .retain(|r| !r.species.eq_ignore_ascii_case(&range.species));
                    drug.dose_ranges.push(range.clone());
                }
            }
            None => formulary.push(Drug {
                aliases: if spoken.eq_ignore_ascii_case(catalog_name.trim()) {
                    Vec::new()
                } else {
                    vec![catalog_name.trim().to_string()]
                },
                name: spoken,
                dose_ranges: ranges.clone(),
            }),
        }
    }
    formulary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(species: &str, min: f64, max: f64) -> DoseRange {
        DoseRange {
            species: species.into(),
            min_mg_per_kg: min,
            max_mg_per_kg: max,
        }
    }

    #[test]
    fn the_catalog_s_ranges_replace_the_starter_s_and_its_new_drugs_are_added() {
        let merged = with_catalog(
            starter(),
            &[
                ("Carprofen 50 mg".into(), vec![range("dog", 2.0, 3.0)]),
                ("Metacam 1.5 mg/ml".into(), vec![range("cat", 0.03, 0.05)]),
                ("Ilunocitinib 4.8 mg".into(), vec![range("dog", 0.6, 0.8)]),
            ],
        );
        let find = |name: &str| merged.iter().find(|d| d.name == name).expect(name);
        assert_eq!(find("Carprofen").dose_ranges, [range("dog", 2.0, 3.0)]);
        // Meloxicam, known by its alias: the cat's range is the clinic's, the dog's the starter's.
        let meloxicam = &find("Meloxicam").dose_ranges;
        assert!(
            meloxicam.contains(&range("cat", 0.03, 0.05))
                && meloxicam.contains(&range("dog", 0.05, 0.2))
        );
        let added = find("Ilunocitinib");
        assert_eq!(
            (added.aliases.as_slice(), added.dose_ranges.len()),
            (["Ilunocitinib 4.8 mg".to_string()].as_slice(), 1)
        );
        assert_eq!(merged.len(), starter().len() + 1);
        assert_eq!(
            spoken_name("Amoxicillin clavulanate 250 mg"),
            "Amoxicillin clavulanate"
        );
        assert_eq!(spoken_name("250 mg tablets"), "");
    }

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
