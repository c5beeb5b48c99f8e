//! Case tables for the extraction: what a vet says → what is drafted, with its flags.

use super::*;

fn formulary() -> Vec<Drug> {
    let range = |species: &str, min: f64, max: f64| DoseRange {
        species: species.into(),
        min_mg_per_kg: min,
        max_mg_per_kg: max,
    };
    vec![
        Drug {
            name: "Otomax".into(),
            aliases: vec![],
            dose_ranges: vec![],
        },
        Drug {
            name: "Carprofen".into(),
            aliases: vec!["Rimadyl".into()],
            dose_ranges: vec![range("dog", 2.0, 4.4)],
        },
        Drug {
            name: "Meloxicam".into(),
            aliases: vec!["Metacam".into()],
            dose_ranges: vec![range("dog", 0.05, 0.2), range("cat", 0.025, 0.05)],
        },
        Drug {
            name: "Amoxicillin clavulanate".into(),
            aliases: vec!["Clavamox".into(), "Synulox".into()],
            dose_ranges: vec![range("dog", 12.5, 25.0), range("cat", 12.5, 25.0)],
        },
    ]
}

fn dog(weight_kg: Option<f64>) -> Context {
    Context {
        species: Some("dog".into()),
        weight_kg,
        formulary: formulary(),
    }
}

fn draft(text: &str, context: &Context) -> Vec<DraftItem> {
    extract(
        &[Segment {
            start_ms: 0,
            end_ms: 10_000,
            text: text.into(),
        }],
        context,
    )
}

fn items(text: &str, context: &Context) -> Vec<Item> {
    draft(text, context).into_iter().map(|d| d.item).collect()
}

#[test]
fn vitals_case_table() {
    let cases: &[(&str, Item)] = &[
        (
            "She weighs twenty eight kilograms.",
            Item::Weight { kg: 28.0 },
        ),
        ("Weight is 4.2 kg.", Item::Weight { kg: 4.2 }),
        ("She weighs 10 kilogrammes,", Item::Weight { kg: 10.0 }),
        ("Weight sixty two pounds.", Item::Weight { kg: 28.12 }),
        (
            "Temperature thirty nine point two.",
            Item::Temperature { celsius: 39.2 },
        ),
        (
            "Temp 102.5 degrees Fahrenheit.",
            Item::Temperature { celsius: 39.2 },
        ),
        ("Temperature 101.3.", Item::Temperature { celsius: 38.5 }),
        (
            "Rectal temperature 38.9 degrees Celsius.",
            Item::Temperature { celsius: 38.9 },
        ),
        (
            "Heart rate one hundred and twenty beats per minute.",
            Item::HeartRate { per_minute: 120.0 },
        ),
        ("Pulse 96.", Item::HeartRate { per_minute: 96.0 }),
        (
            "Respiratory rate twenty four.",
            Item::RespiratoryRate { per_minute: 24.0 },
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            items(text, &dog(None)),
            std::slice::from_ref(want),
            "{text}"
        );
    }
    // A number without its cue or unit is not a vital sign.
    assert!(items("She had twenty eight puppies.", &dog(None)).is_empty());
    assert!(items("Weighs a lot.", &dog(None)).is_empty());
}

#[test]
fn signalment_case_table() {
    type Case<'a> = (&'a str, Option<f64>, Option<&'a str>, Option<bool>);
    let cases: &[Case] = &[
        (
            "Bella is a four year old spayed Labrador.",
            Some(4.0),
            Some("female"),
            Some(true),
        ),
        (
            "Six month old male, intact.",
            Some(0.5),
            Some("male"),
            Some(false),
        ),
        ("A ten-year-old neutered cat.", Some(10.0), None, Some(true)),
    ];
    for (text, age, sex, neutered) in cases {
        let want = Item::Signalment {
            age_years: *age,
            sex: sex.map(str::to_string),
            neutered: *neutered,
        };
        assert_eq!(items(text, &dog(None)), [want], "{text}");
    }
}

#[test]
fn medications_case_table() {
    let med = |drug: &str,
               dose: Option<f64>,
               unit: Option<&str>,
               per_kg: Option<f64>,
               route: Option<&str>,
               times: Option<f64>,
               days: Option<f64>| Item::Medication {
        drug: drug.into(),
        dose,
        unit: unit.map(str::to_string),
        mg_per_kg: per_kg,
        route: route.map(str::to_string),
        times_per_day: times,
        duration_days: days,
    };
    let cases: Vec<(&str, Option<f64>, Item, Vec<Flag>)> = vec![
        (
            "Start carprofen seventy five milligrams by mouth twice daily for seven days.",
            Some(28.0),
            med(
                "Carprofen",
                Some(75.0),
                Some("mg"),
                Some(2.68),
                Some("oral"),
                Some(2.0),
                Some(7.0),
            ),
            vec![],
        ),
        (
            "Rimadyl 2 mg per kg orally every twelve hours for two weeks.",
            None,
            med(
                "Carprofen",
                Some(2.0),
                Some("mg/kg"),
                Some(2.0),
                Some("oral"),
                Some(2.0),
                Some(14.0),
            ),
            vec![],
        ),
        (
            "Give Rimadyl 300 mg orally once daily.",
            Some(28.0),
            med(
                "Carprofen",
                Some(300.0),
                Some("mg"),
                Some(10.71),
                Some("oral"),
                Some(1.0),
                None,
            ),
            vec![Flag::DoseOutOfRange {
                mg_per_kg: 10.71,
                min: 2.0,
                max: 4.4,
            }],
        ),
        (
            "Clavamox two hundred fifty milligrams BID for ten days.",
            Some(20.0),
            med(
                "Amoxicillin clavulanate",
                Some(250.0),
                Some("mg"),
                Some(12.5),
                None,
                Some(2.0),
                Some(10.0),
            ),
            vec![],
        ),
        (
            "Carprofen, 75 millidrams, I mouth twice daily for 5 days.",
            Some(25.0),
            med(
                "Carprofen",
                Some(75.0),
                Some("mg"),
                Some(3.0),
                Some("oral"),
                Some(2.0),
                Some(5.0),
            ),
            vec![],
        ),
        (
            "Metacam 2 ml by mouth once daily.",
            Some(20.0),
            med(
                "Meloxicam",
                Some(2.0),
                Some("ml"),
                None,
                Some("oral"),
                Some(1.0),
                None,
            ),
            vec![Flag::DoseNotChecked { unit: "ml".into() }],
        ),
        (
            "Metacam 1.5 mg once a day.",
            None,
            med(
                "Meloxicam",
                Some(1.5),
                Some("mg"),
                None,
                None,
                Some(1.0),
                None,
            ),
            vec![Flag::NoWeightForDoseCheck],
        ),
        (
            "Start Otomax drops twice daily in the left ear for ten days.",
            None,
            med(
                "Otomax",
                None,
                None,
                None,
                Some("otic, left ear"),
                Some(2.0),
                Some(10.0),
            ),
            vec![],
        ),
        // Whisper writes small counts as digits: "1 daily", "3 times a day".
        (
            "Meloxicam0.4 mg by mouth, 1 daily for 3 days.",
            None,
            med(
                "Meloxicam",
                Some(0.4),
                Some("mg"),
                None,
                Some("oral"),
                Some(1.0),
                Some(3.0),
            ),
            vec![Flag::NoWeightForDoseCheck],
        ),
        (
            "Clavamox 250 mg by mouth 3 times a day for 10 days.",
            Some(20.0),
            med(
                "Amoxicillin clavulanate",
                Some(250.0),
                Some("mg"),
                Some(12.5),
                Some("oral"),
                Some(3.0),
                Some(10.0),
            ),
            vec![],
        ),
        (
            "Carprofen 75 mg by mouth, two times daily.",
            Some(28.0),
            med(
                "Carprofen",
                Some(75.0),
                Some("mg"),
                Some(2.68),
                Some("oral"),
                Some(2.0),
                None,
            ),
            vec![],
        ),
        (
            "Star tada max drops, twice daily for 10 days.",
            None,
            med("Otomax", None, None, None, None, Some(2.0), Some(10.0)),
            vec![Flag::HeardAs {
                heard: "tada max".into(),
            }],
        ),
    ];
    for (text, weight, want, flags) in cases {
        let got = draft(text, &dog(weight));
        let meds: Vec<&DraftItem> = got
            .iter()
            .filter(|d| matches!(d.item, Item::Medication { .. }))
            .collect();
        assert_eq!(meds.len(), 1, "{text}: {got:#?}");
        assert_eq!(meds[0].item, want, "{text}");
        assert_eq!(meds[0].flags, flags, "{text}");
    }
}

#[test]
fn an_out_of_range_dose_needs_an_override_and_the_range_follows_the_species() {
    let mut cat = dog(Some(4.0));
    cat.species = Some("cat".into());
    let got = draft("Meloxicam 0.4 mg orally once daily.", &cat);
    assert!(
        got[0].needs_override(),
        "0.1 mg/kg is above a cat's 0.05: {got:?}"
    );
    let got = draft("Meloxicam 0.4 mg orally once daily.", &dog(Some(4.0)));
    assert!(
        !got[0].needs_override(),
        "0.1 mg/kg is within a dog's range: {got:?}"
    );
    let mut rabbit = dog(Some(2.0));
    rabbit.species = Some("rabbit".into());
    let got = draft("Meloxicam 0.4 mg orally once daily.", &rabbit);
    assert_eq!(got[0].flags, [Flag::NoRangeForSpecies]);
}

#[test]
fn problems_follow_up_and_discharge() {
    let got = items(
        "Otitis externa in the left ear. Recheck in two weeks. Keep the cone on at all times.",
        &dog(None),
    );
    assert_eq!(
        got,
        [
            Item::Problem {
                text: "otitis externa (left ear)".into()
            },
            Item::FollowUp {
                in_days: Some(14.0),
                text: "recheck in two weeks".into()
            },
            Item::Discharge {
                text: "Keep the cone on at all times".into()
            },
        ]
    );
}

#[test]
fn whisper_s_spellings_of_recheck_and_hundreds_are_understood() {
    assert_eq!(
        items("Rechackin 2 weeks.", &dog(None)),
        [Item::FollowUp {
            in_days: Some(14.0),
            text: "rechackin 2 weeks".into()
        }]
    );
    assert_eq!(
        items("Heart rate 100, and 80.", &dog(None)),
        [Item::HeartRate { per_minute: 180.0 }]
    );
    // "Bella weighs 28 kilograms" as tiny.en wrote it twice; "always" is no cue, and a
    // glued word with no weight after it drafts nothing.
    for heard in [
        "Merleways 28 kg.",
        "Tomways 28 kilograms.",
        "Bellaweighs 28 kg.",
        "Bella ways 28 kg.",
    ] {
        assert_eq!(
            items(heard, &dog(None)),
            [Item::Weight { kg: 28.0 }],
            "{heard}"
        );
    }
    for not_a_weight in [
        "She always 28 kg.",
        "Merleways well today.",
        "In many ways better.",
    ] {
        assert_eq!(items(not_a_weight, &dog(None)), [], "{not_a_weight}");
    }
}

#[test]
fn nothing_is_drafted_without_words_to_support_it_and_evidence_points_at_them() {
    assert!(
        items(
            "The owner says she is doing well and eating normally.",
            &dog(None)
        )
        .is_empty()
    );
    let text = "Bella is doing well. She weighs twenty eight kilograms today.";
    let got = extract(
        &[Segment {
            start_ms: 2_000,
            end_ms: 8_000,
            text: text.into(),
        }],
        &dog(None),
    );
    assert_eq!(got.len(), 1);
    let e = &got[0].evidence;
    assert_eq!(e.quote, "weighs twenty eight kilograms");
    assert_eq!(&text[e.start..e.end], e.quote);
    assert!(
        e.start_ms > 2_000 && e.end_ms < 8_000 && e.start_ms < e.end_ms,
        "{e:?}"
    );
}

#[test]
fn a_weight_said_in_the_visit_is_used_for_the_dose_check() {
    let got = draft(
        "Weight 10 kg. Carprofen 100 mg orally once daily.",
        &dog(Some(30.0)),
    );
    let med = got
        .iter()
        .find(|d| matches!(d.item, Item::Medication { .. }));
    assert!(
        med.is_some_and(|m| m.needs_override()),
        "10 mg/kg at 10 kg: {got:#?}"
    );
}
