//! Twelve synthetic dictations (espeak-ng, US English) through the real base model and
//! the draft extraction: word error rate and field-level accuracy against what was
//! said. Species, drugs, doses, units and numbers said in words vary.
//!
//! Field-level accuracy counts each expected value (a weight, a temperature, a drug's
//! name, dose, unit, frequency, duration, a problem) drafted exactly, over all expected
//! values. Thresholds are what this machine measured, less a margin (see the asserts).

mod support;

use vetdesk_draft::extract::{Context, Item, extract};
use vetdesk_draft::text::Segment;
use vetdesk_scribe::transcribe::{
    Options, Transcriber, VETERINARY_TERMS, read_wav, vocabulary_prompt,
};

/// One expected value.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    Weight(f64),
    Temperature(f64),
    HeartRate(f64),
    Problem(&'static str),
    /// Drug, dose, unit, times a day, days.
    Drug(
        &'static str,
        Option<f64>,
        Option<&'static str>,
        Option<f64>,
        Option<f64>,
    ),
    FollowUpDays(f64),
}

struct Dictation {
    text: &'static str,
    species: &'static str,
    names: &'static [&'static str],
    want: &'static [Want],
}

const DICTATIONS: &[Dictation] = &[
    Dictation {
        text: "Bella is a four year old spayed Labrador. She weighs twenty eight kilograms. Temperature thirty nine point one. Otitis externa in the left ear. Start Otomax drops twice daily in the left ear for ten days. Recheck in two weeks.",
        species: "dog",
        names: &["Bella", "Labrador"],
        want: &[
            Want::Weight(28.0),
            Want::Temperature(39.1),
            Want::Problem("otitis externa"),
            Want::Drug("Otomax", None, None, Some(2.0), Some(10.0)),
            Want::FollowUpDays(14.0),
        ],
    },
    Dictation {
        text: "Max is lame on the right hind leg. Weight thirty two kilograms. Carprofen one hundred milligrams by mouth twice daily for seven days.",
        species: "dog",
        names: &["Max"],
        want: &[
            Want::Weight(32.0),
            Want::Problem("lameness"),
            Want::Drug("Carprofen", Some(100.0), Some("mg"), Some(2.0), Some(7.0)),
        ],
    },
    Dictation {
        text: "Luna the cat has been vomiting for two days. Temperature thirty eight point nine. Heart rate one hundred and eighty. Maropitant four milligrams once daily for three days.",
        species: "cat",
        names: &["Luna"],
        want: &[
            Want::Temperature(38.9),
            Want::HeartRate(180.0),
            Want::Problem("vomiting"),
            Want::Drug("Maropitant", Some(4.0), Some("mg"), Some(1.0), Some(3.0)),
        ],
    },
    Dictation {
        text: "Oscar weighs four point five kilograms. Cystitis. Start meloxicam zero point two milligrams once daily for five days.",
        species: "cat",
        names: &["Oscar"],
        want: &[
            Want::Weight(4.5),
            Want::Problem("cystitis"),
            Want::Drug("Meloxicam", Some(0.2), Some("mg"), Some(1.0), Some(5.0)),
        ],
    },
    Dictation {
        text: "Daisy has a skin infection, pyoderma on the belly. Weight twelve kilograms. Cefalexin three hundred milligrams twice daily for three weeks.",
        species: "dog",
        names: &["Daisy"],
        want: &[
            Want::Weight(12.0),
            Want::Problem("pyoderma"),
            Want::Drug("Cefalexin", Some(300.0), Some("mg"), Some(2.0), Some(21.0)),
        ],
    },
    Dictation {
        text: "Rocky weighs sixty six pounds. Heart rate ninety six. Osteoarthritis in both hips. Gabapentin three hundred milligrams three times daily for thirty days.",
        species: "dog",
        names: &["Rocky"],
        want: &[
            Want::Weight(29.94),
            Want::HeartRate(96.0),
            Want::Problem("osteoarthritis"),
            Want::Drug("Gabapentin", Some(300.0), Some("mg"), Some(3.0), Some(30.0)),
        ],
    },
    Dictation {
        text: "Milo the cat has conjunctivitis in the right eye. Temperature thirty eight point five. Recheck in one week.",
        species: "cat",
        names: &["Milo"],
        want: &[
            Want::Temperature(38.5),
            Want::Problem("conjunctivitis"),
            Want::FollowUpDays(7.0),
        ],
    },
    Dictation {
        text: "Coco has diarrhoea. Weight eight kilograms. Metronidazole two hundred milligrams twice daily for five days.",
        species: "dog",
        names: &["Coco"],
        want: &[
            Want::Weight(8.0),
            Want::Problem("diarrhoea"),
            Want::Drug(
                "Metronidazole",
                Some(200.0),
                Some("mg"),
                Some(2.0),
                Some(5.0),
            ),
        ],
    },
    Dictation {
        text: "Simba is a ten year old cat with hyperthyroidism. Weight three point eight kilograms. Methimazole two point five milligrams twice daily. Recheck in three weeks.",
        species: "cat",
        names: &["Simba"],
        want: &[
            Want::Weight(3.8),
            Want::Problem("hyperthyroidism"),
            Want::Drug("Methimazole", Some(2.5), Some("mg"), Some(2.0), None),
            Want::FollowUpDays(21.0),
        ],
    },
    Dictation {
        text: "Buddy has a heart murmur. Heart rate one hundred and forty. Weight twenty kilograms. Pimobendan five milligrams twice daily.",
        species: "dog",
        names: &["Buddy"],
        want: &[
            Want::HeartRate(140.0),
            Want::Weight(20.0),
            Want::Problem("heart murmur"),
            Want::Drug("Pimobendan", Some(5.0), Some("mg"), Some(2.0), None),
        ],
    },
    Dictation {
        text: "Nala has atopic dermatitis and pruritus. Weight fifteen kilograms. Apoquel eight milligrams twice daily for fourteen days.",
        species: "dog",
        names: &["Nala"],
        want: &[
            Want::Weight(15.0),
            Want::Problem("atopic dermatitis"),
            Want::Drug("Oclacitinib", Some(8.0), Some("mg"), Some(2.0), Some(14.0)),
        ],
    },
    Dictation {
        text: "Tiger weighs five kilograms. Temperature one hundred and two point five degrees Fahrenheit. Abscess on the left shoulder. Clavamox sixty two point five milligrams twice daily for seven days.",
        species: "cat",
        names: &["Tiger"],
        want: &[
            Want::Weight(5.0),
            Want::Temperature(39.2),
            Want::Problem("abscess"),
            Want::Drug(
                "Amoxicillin clavulanate",
                Some(62.5),
                Some("mg"),
                Some(2.0),
                Some(7.0),
            ),
        ],
    },
];

/// (expected values found, expected values) for one dictation's draft.
fn score(want: &[Want], items: &[Item]) -> (usize, usize) {
    let mut found = 0;
    let mut total = 0;
    for w in want {
        match w {
            Want::Drug(drug, dose, unit, times, days) => {
                let item = items
                    .iter()
                    .find(|i| matches!(i, Item::Medication { drug: d, .. } if d == drug));
                let got = match item {
                    Some(Item::Medication {
                        dose: d,
                        unit: u,
                        times_per_day: t,
                        duration_days: n,
                        ..
                    }) => [
                        true,
                        d == dose,
                        u.as_deref() == *unit,
                        t == times,
                        n == days,
                    ],
                    _ => [false; 5],
                };
                found += got.iter().filter(|g| **g).count();
                total += 5;
            }
            other => {
                total += 1;
                let hit = items.iter().any(|i| match (other, i) {
                    (Want::Weight(kg), Item::Weight { kg: got }) => (kg - got).abs() < 0.01,
                    (Want::Temperature(c), Item::Temperature { celsius }) => {
                        (c - celsius).abs() < 0.01
                    }
                    (Want::HeartRate(r), Item::HeartRate { per_minute }) => {
                        (r - per_minute).abs() < 0.01
                    }
                    (Want::Problem(p), Item::Problem { text }) => text.starts_with(p),
                    (
                        Want::FollowUpDays(d),
                        Item::FollowUp {
                            in_days: Some(got), ..
                        },
                    ) => (d - got).abs() < 0.01,
                    _ => false,
                });
                found += usize::from(hit);
            }
        }
    }
    (found, total)
}

#[test]
fn twelve_dictations_through_the_base_model_and_the_extraction() {
    let model_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let model = model_dir.path().join("ggml-base.bin");
    vetdesk_scribe::ct2::convert(&support::ct2_base(), &model, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let transcriber = Transcriber::load(&model, "base").unwrap_or_else(|e| panic!("{e}"));
    let formulary = vetdesk_draft::formulary::starter();
    let drug_names: Vec<&str> = formulary
        .iter()
        .map(|d| d.name.as_str())
        .chain(["Apoquel", "Clavamox"])
        .collect();
    let audio = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut wer_sum, mut found, mut total) = (0.0, 0, 0);
    for (n, dictation) in DICTATIONS.iter().enumerate() {
        let wav = support::speak(audio.path(), &format!("d{n}"), dictation.text);
        let samples = read_wav(&wav).unwrap_or_else(|e| panic!("{e}"));
        let options = Options {
            threads: 2,
            prompt: vocabulary_prompt(dictation.names, &drug_names, VETERINARY_TERMS),
            ..Options::default()
        };
        let transcript = transcriber
            .transcribe(&samples, &options, |_| {})
            .unwrap_or_else(|e| panic!("{e}"));
        let wer = support::wer(dictation.text, &transcript.text());
        let segments: Vec<Segment> = transcript
            .segments
            .iter()
            .map(|s| Segment {
                start_ms: s.start_ms,
                end_ms: s.end_ms,
                text: s.text.clone(),
            })
            .collect();
        let context = Context {
            species: Some(dictation.species.into()),
            weight_kg: None,
            formulary: formulary.clone(),
        };
        let drafted = extract(&segments, &context);
        // Every drafted item quotes words that are in the transcript.
        for item in &drafted {
            let segment = &transcript.segments[item.evidence.segment].text;
            assert_eq!(
                &segment[item.evidence.start..item.evidence.end],
                item.evidence.quote
            );
        }
        let items: Vec<Item> = drafted.into_iter().map(|d| d.item).collect();
        let (f, t) = score(dictation.want, &items);
        eprintln!("#{n:>2} WER {wer:.2} fields {f}/{t}: {}", transcript.text());
        wer_sum += wer;
        found += f;
        total += t;
    }
    let mean_wer = wer_sum / DICTATIONS.len() as f64;
    let accuracy = found as f64 / total as f64;
    eprintln!("mean WER {mean_wer:.3}, field accuracy {found}/{total} = {accuracy:.3}");
    // Measured on this machine (base, greedy, 2 threads, vocabulary prompt): see
    // docs/BENCHMARKS.md. The bounds sit a little beyond it, so the test fails when
    // the pipeline gets worse, not when a CPU rounds differently.
    assert!(mean_wer <= MAX_MEAN_WER, "mean WER {mean_wer:.3}");
    assert!(
        accuracy >= MIN_FIELD_ACCURACY,
        "field accuracy {accuracy:.3}"
    );
}

/// Measured 0.287 (per dictation 0.09–0.67; the worst, #6, loses "conjunctivitis" and
/// the cat's name in espeak's voice). Without the vocabulary prompt the names and drug
/// words go first.
const MAX_MEAN_WER: f64 = 0.33;
/// Measured 72 of 87 = 0.828. What is missed: doses heard in the wrong unit ("300 ml",
/// "5 kg" for mg — drafted with a "dose not checked" flag, never silently), "once
/// daily" heard as "one stale", two problems lost in transcription.
const MIN_FIELD_ACCURACY: f64 = 0.78;
