//! Setting the diary up from the command line as a clinic scripts it: the X-ray room
//! and an ultrasound as resources, an "X-ray" type that needs the room, a vet's Monday
//! hours, a meeting blocked; then two patients booked into one X-ray slot (the second
//! is a clash), a booking outside hours and one into the meeting refused unless forced,
//! and a weekly series.

mod common;

use common::{must, run_as};

#[test]
fn the_diary_is_set_up_and_kept_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("clinic");
    common::staffed_clinic(
        &data,
        "Harbour Vets",
        &[
            ("Dr Vera Vet", "vet"),
            ("Dr Sam Stone", "vet"),
            ("Fred Desk", "front_desk"),
        ],
    );
    let owner = common::OWNER;
    let desk = "Fred Desk";
    must(
        &data,
        owner,
        &["clinic", "set", "--time-zone", "Europe/London"],
    );

    // Resources and a type: the admins'.
    must(
        &data,
        owner,
        &[
            "schedule",
            "resources",
            "add",
            "--name",
            "X-ray room",
            "--kind",
            "x-ray",
        ],
    );
    must(
        &data,
        owner,
        &[
            "schedule",
            "resources",
            "add",
            "--name",
            "Ultrasound",
            "--kind",
            "ultrasound",
            "--category",
            "equipment",
        ],
    );
    let listed = must(&data, desk, &["schedule", "resources", "list"]);
    assert!(
        listed.contains("room       X-ray room") && listed.contains("equipment  Ultrasound"),
        "{listed}"
    );
    let add_type = [
        "schedule",
        "types",
        "add",
        "--name",
        "X-ray",
        "--minutes",
        "30",
        "--kind",
        "other",
        "--colour",
        "#7a5cff",
        "--needs",
        "X-ray room",
    ];
    let (ok, _, err) = run_as(&data, Some(desk), &add_type);
    assert!(!ok && err.contains("not allowed"), "{err}");
    must(&data, owner, &add_type);
    let types = must(&data, desk, &["schedule", "types", "list"]);
    assert!(
        types.contains("X-ray") && types.contains("X-ray room"),
        "{types}"
    );

    // Dr Vera Vet works Mondays 09:00–12:30 and 13:30–17:00 (London time).
    must(
        &data,
        owner,
        &[
            "schedule",
            "hours",
            "set",
            "--vet",
            "Dr Vera Vet",
            "--weekday",
            "mon",
            "--span",
            "09:00-12:30",
            "--span",
            "13:30-17:00",
        ],
    );
    let (ok, _, err) = run_as(
        &data,
        Some(owner),
        &[
            "schedule",
            "hours",
            "set",
            "--vet",
            "Dr Vera Vet",
            "--weekday",
            "tue",
            "--span",
            "9-5",
        ],
    );
    assert!(!ok && err.contains("time of day"), "{err}");
    let hours = must(&data, desk, &["schedule", "hours", "list"]);
    assert!(
        hours.contains("1  09:00–12:30") && hours.contains("1  13:30–17:00"),
        "{hours}"
    );

    // A meeting blocks her 14:00–15:00 on Monday 23 November; the front desk blocks it.
    let meeting = must(
        &data,
        desk,
        &[
            "schedule",
            "block",
            "add",
            "--from",
            "2026-11-23T14:00:00Z",
            "--to",
            "2026-11-23T15:00:00Z",
            "--vet",
            "Dr Vera Vet",
            "--kind",
            "meeting",
            "--reason",
            "practice meeting",
        ],
    );
    let blocks = must(
        &data,
        desk,
        &["schedule", "block", "list", "--date", "2026-11-23"],
    );
    assert!(
        blocks.contains(&meeting) && blocks.contains("practice meeting"),
        "{blocks}"
    );

    let client = must(
        &data,
        desk,
        &["client", "add", "--first", "Ann", "--last", "Ng"],
    );
    let bella = must(
        &data,
        desk,
        &[
            "patient",
            "add",
            "--name",
            "Bella",
            "--species",
            "dog",
            "--owner",
            &client,
        ],
    );
    let max = must(
        &data,
        desk,
        &[
            "patient",
            "add",
            "--name",
            "Max",
            "--species",
            "cat",
            "--owner",
            &client,
        ],
    );
    let book = |patient: &str, vet: &str, start: &str, extra: &[&str]| {
        let mut args = vec![
            "appt",
            "book",
            "--patient",
            patient,
            "--client",
            &client,
            "--vet",
            vet,
            "--start",
            start,
        ];
        args.extend_from_slice(extra);
        run_as(&data, Some(desk), &args)
    };
    // Two patients, two vets, one X-ray slot: the second is a clash.
    let (ok, _, err) = book(
        &bella,
        "Dr Vera Vet",
        "2026-11-23T10:00:00Z",
        &["--type", "X-ray"],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = book(
        &max,
        "Dr Sam Stone",
        "2026-11-23T10:15:00Z",
        &["--type", "x-ray"],
    );
    assert!(
        !ok && err.contains("room or equipment is already booked"),
        "{err}"
    );
    // Outside her hours and into the meeting: refused, then forced on purpose.
    let (ok, _, err) = book(&max, "Dr Vera Vet", "2026-11-23T12:45:00Z", &[]);
    assert!(
        !ok && err.contains("working hours (09:00–12:30, 13:30–17:00)"),
        "{err}"
    );
    let (ok, _, err) = book(&max, "Dr Vera Vet", "2026-11-23T14:15:00Z", &[]);
    assert!(
        !ok && err.contains("blocked (meeting: practice meeting)"),
        "{err}"
    );
    let (ok, _, err) = book(&max, "Dr Vera Vet", "2026-11-23T14:15:00Z", &["--force"]);
    assert!(ok, "{err}");
    // Every week for four weeks, one series.
    let (ok, series, err) = book(
        &bella,
        "Dr Vera Vet",
        "2026-11-30T09:00:00Z",
        &["--every-weeks", "1", "--count", "4"],
    );
    assert!(ok && series.lines().count() == 4, "{series}{err}");
    let day = must(&data, desk, &["appt", "list", "--date", "2026-12-21"]);
    assert!(day.contains("Bella"), "{day}");
}

#[test]
fn the_command_line_s_days_are_the_clinic_s_days() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("clinic");
    common::staffed_clinic(
        &data,
        "Line Islands Vets",
        &[("Dr Vera Vet", "vet"), ("Fred Desk", "front_desk")],
    );
    // Kiritimati is UTC+14: 11:00 UTC on the 23rd is 01:00 on the 24th there.
    must(
        &data,
        common::OWNER,
        &["clinic", "set", "--time-zone", "Pacific/Kiritimati"],
    );
    let desk = "Fred Desk";
    let client = must(
        &data,
        desk,
        &["client", "add", "--first", "Ann", "--last", "Ng"],
    );
    let bella = must(
        &data,
        desk,
        &[
            "patient",
            "add",
            "--name",
            "Bella",
            "--species",
            "dog",
            "--owner",
            &client,
        ],
    );
    must(
        &data,
        desk,
        &[
            "appt",
            "book",
            "--patient",
            &bella,
            "--client",
            &client,
            "--vet",
            "Dr Vera Vet",
            "--start",
            "2026-11-23T11:00:00Z",
        ],
    );
    let on_the_24th = must(&data, desk, &["appt", "list", "--date", "2026-11-24"]);
    assert!(on_the_24th.contains("Bella"), "{on_the_24th}");
    let on_the_23rd = must(&data, desk, &["appt", "list", "--date", "2026-11-23"]);
    assert!(!on_the_23rd.contains("Bella"), "{on_the_23rd}");
}
