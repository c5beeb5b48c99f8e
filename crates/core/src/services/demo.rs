//! A synthetic clinic for demos, tests and benchmarks: staff and rooms, clients with
//! pets of several species, and a year of appointments with signed SOAP notes, vitals
//! and prescriptions, plus today's and the next fortnight's bookings.
//!
//! Deterministic: the same seed on the same day gives the same clinic, ids included
//! (ids and times come from a seeded generator and a clock the generator moves itself).
//! Everything goes through the real services, so the demo also exercises validation,
//! the change log and the audit chain. Each client, with their pets and visits, is one
//! transaction.

use std::sync::Arc;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use time::{Duration, OffsetDateTime, Time};
use uuid::Uuid;

use crate::roles::{Actor, Role, Roles};
use crate::services::clients::{ClientInput, PatientInput};
use crate::services::encounters::{PrescriptionInput, SoapInput, VitalsInput};
use crate::services::schedule::{BookingInput, Status};
use crate::sources::{IdSource, ManualClock, SystemClock};
use crate::store::Store;
use crate::{Error, Result};

/// The PIN of every demo staff member (demo data only).
pub const DEMO_PIN: &str = "1234";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    pub clients: u32,
    pub seed: u64,
    /// Days of history before today.
    pub history_days: u32,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            clients: 200,
            seed: 1,
            history_days: 365,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub staff: Vec<String>,
    pub clients: u64,
    pub patients: u64,
    pub appointments: u64,
    pub encounters: u64,
    pub prescriptions: u64,
    pub invoices: u64,
}

const FIRST: [&str; 32] = [
    "Ann",
    "James",
    "Maria",
    "Mohammed",
    "Olivia",
    "Noah",
    "Zoë",
    "Lucas",
    "Amara",
    "Chen",
    "Priya",
    "Tomás",
    "Sofia",
    "Ethan",
    "Fatima",
    "Liam",
    "Hannah",
    "Mateo",
    "Aisha",
    "Oskar",
    "Chloé",
    "Daniel",
    "Yuki",
    "Grace",
    "Олена",
    "Дмитро",
    "Анна",
    "Сергій",
    "Ingrid",
    "Kwame",
    "Léa",
    "Rafael",
];
const LAST: [&str; 32] = [
    "Smith",
    "Ng",
    "García",
    "Khan",
    "Brown",
    "Müller",
    "Okafor",
    "Rossi",
    "Novak",
    "Kowalski",
    "Dubois",
    "Silva",
    "Tanaka",
    "Johansson",
    "O'Brien",
    "Patel",
    "Nguyen",
    "Fischer",
    "Lefèvre",
    "Jensen",
    "Costa",
    "Murphy",
    "Шевченко",
    "Іваненко",
    "Петров",
    "Коваленко",
    "Andersen",
    "Mensah",
    "Popescu",
    "Horvát",
    "Byrne",
    "Wright",
];
const STREETS: [&str; 8] = [
    "Mill Lane",
    "High Street",
    "Church Road",
    "Station Road",
    "Park Avenue",
    "Riverside",
    "Orchard Close",
    "King Street",
];
const PET_NAMES: [&str; 32] = [
    "Bella",
    "Max",
    "Luna",
    "Charlie",
    "Milo",
    "Daisy",
    "Rocky",
    "Coco",
    "Bailey",
    "Nala",
    "Simba",
    "Oscar",
    "Molly",
    "Teddy",
    "Loki",
    "Pepper",
    "Ruby",
    "Toby",
    "Willow",
    "Ziggy",
    "Mochi",
    "Biscuit",
    "Hazel",
    "Otis",
    "Барсик",
    "Мурка",
    "Рекс",
    "Cleo",
    "Juniper",
    "Pip",
    "Archie",
    "Maple",
];

struct SpeciesInfo {
    species: &'static str,
    weight: u32,
    breeds: &'static [&'static str],
    kg: (f64, f64),
    max_age_years: i64,
}

const SPECIES: [SpeciesInfo; 6] = [
    SpeciesInfo {
        species: "dog",
        weight: 45,
        breeds: &[
            "Labrador Retriever",
            "Border Collie",
            "French Bulldog",
            "Dachshund",
            "Cocker Spaniel",
            "Mixed breed",
        ],
        kg: (4.0, 40.0),
        max_age_years: 15,
    },
    SpeciesInfo {
        species: "cat",
        weight: 35,
        breeds: &[
            "Domestic Shorthair",
            "Maine Coon",
            "Siamese",
            "British Shorthair",
        ],
        kg: (2.5, 7.0),
        max_age_years: 18,
    },
    SpeciesInfo {
        species: "rabbit",
        weight: 8,
        breeds: &["Netherland Dwarf", "Lop"],
        kg: (1.0, 3.5),
        max_age_years: 9,
    },
    SpeciesInfo {
        species: "guinea_pig",
        weight: 4,
        breeds: &["American", "Abyssinian"],
        kg: (0.7, 1.2),
        max_age_years: 6,
    },
    SpeciesInfo {
        species: "bird",
        weight: 4,
        breeds: &["Budgerigar", "Cockatiel"],
        kg: (0.03, 0.1),
        max_age_years: 12,
    },
    SpeciesInfo {
        species: "reptile",
        weight: 4,
        breeds: &["Bearded Dragon", "Leopard Gecko"],
        kg: (0.05, 0.5),
        max_age_years: 10,
    },
];

/// A visit's story: what the owner says, what the vet finds, thinks and plans, and
/// what is prescribed (drug, mg per kg, unit, route, frequency, days).
struct Visit {
    kind: &'static str,
    reason: &'static str,
    subjective: &'static str,
    objective: &'static str,
    assessment: &'static str,
    plan: &'static str,
    diagnosis: Option<&'static str>,
    drug: Option<(
        &'static str,
        f64,
        &'static str,
        &'static str,
        &'static str,
        i64,
    )>,
}

const VISITS: [Visit; 7] = [
    Visit {
        kind: "vaccination",
        reason: "Annual vaccination",
        subjective: "Owner reports {name} is well, eating and drinking normally.",
        objective: "Bright, alert, responsive. Heart and lungs auscultate normally. Body condition 5/9.",
        assessment: "Healthy; due for booster.",
        plan: "Booster given. Next vaccination in 12 months.",
        diagnosis: None,
        drug: None,
    },
    Visit {
        kind: "consultation",
        reason: "Scratching ears",
        subjective: "{name} has been scratching the left ear and shaking the head for 3 days.",
        objective: "Left ear canal erythematous with brown discharge. Right ear normal.",
        assessment: "Otitis externa, left ear.",
        plan: "Clean ears; topical drops twice daily for 7 days. Recheck in 10 days.",
        diagnosis: Some("Otitis externa"),
        drug: Some(("Otomax", 0.0, "drop", "otic", "twice daily", 7)),
    },
    Visit {
        kind: "consultation",
        reason: "Vomiting",
        subjective: "{name} vomited three times since yesterday; still drinking.",
        objective: "Mild dehydration, abdomen soft and non-painful. Temperature normal.",
        assessment: "Acute gastroenteritis.",
        plan: "Bland diet for 3 days, antiemetic. Return if vomiting continues.",
        diagnosis: Some("Acute gastroenteritis"),
        drug: Some(("Maropitant", 1.0, "mg", "oral", "once daily", 3)),
    },
    Visit {
        kind: "consultation",
        reason: "Limping",
        subjective: "{name} has been limping on the right hind leg after a walk.",
        objective: "Weight-bearing lameness right hind, pain on stifle flexion, no drawer sign.",
        assessment: "Soft tissue injury, right stifle.",
        plan: "Rest 2 weeks, NSAID for 5 days, recheck if not improving.",
        diagnosis: Some("Soft tissue injury"),
        drug: Some(("Carprofen", 2.0, "mg", "oral", "twice daily", 5)),
    },
    Visit {
        kind: "dental",
        reason: "Dental check",
        subjective: "Owner noticed bad breath.",
        objective: "Grade 2 periodontal disease, tartar on upper premolars.",
        assessment: "Periodontal disease.",
        plan: "Scale and polish under anaesthetic booked.",
        diagnosis: Some("Periodontal disease"),
        drug: None,
    },
    Visit {
        kind: "consultation",
        reason: "Itchy skin",
        subjective: "{name} is itchy all over, worse in summer.",
        objective: "Erythema on ventral abdomen and paws, no fleas seen.",
        assessment: "Suspected atopic dermatitis.",
        plan: "Antipruritic for 14 days; discuss allergy testing.",
        diagnosis: Some("Atopic dermatitis"),
        drug: Some(("Oclacitinib", 0.5, "mg", "oral", "twice daily", 14)),
    },
    Visit {
        kind: "follow_up",
        reason: "Recheck",
        subjective: "Recheck after last visit; owner says {name} is much better.",
        objective: "Previous findings resolved.",
        assessment: "Resolved.",
        plan: "No further treatment needed.",
        diagnosis: None,
        drug: None,
    },
];

fn staff_list() -> [(&'static str, &'static [Role]); 6] {
    [
        ("Dr Maria Santos", &[Role::Admin, Role::Vet]),
        ("Dr James Okafor", &[Role::Vet]),
        ("Dr Aiko Tanaka", &[Role::Vet]),
        ("Sam Patel", &[Role::Nurse]),
        ("Lena Novak", &[Role::FrontDesk]),
        ("Оксана Коваленко", &[Role::FrontDesk]),
    ]
}

/// Fills an empty store with a demo clinic. `progress(done, total)` is called after
/// each client.
pub fn generate(
    store: &mut Store,
    options: DemoOptions,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<DemoSummary> {
    let has_clients = store.counts()?.0 > 0;
    if has_clients {
        return Err(Error::NotAllowedNow(
            "the demo fills an empty clinic; this one already has clients".into(),
        ));
    }
    let today = store.now().date();
    let start_of_day = OffsetDateTime::new_utc(today, Time::MIDNIGHT);
    // The demo's own clock starts at midnight UTC: deterministic for the day, and never
    // ahead of the real time (other devices hold changesets from the future).
    let clock = ManualClock::at(start_of_day);
    store.set_time_source(Arc::new(clock.clone()));
    store.set_id_source(IdSource::seeded(options.seed));
    let result = fill(store, options, start_of_day, &clock, progress);
    store.set_time_source(Arc::new(SystemClock));
    store.set_id_source(IdSource::Random);
    result
}

fn fill(
    store: &mut Store,
    options: DemoOptions,
    today: OffsetDateTime,
    clock: &ManualClock,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<DemoSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut summary = DemoSummary::default();
    let [(owner_name, owner_roles), rest @ ..] = staff_list();
    let owner = match store
        .read(&Actor::system(), |rx| rx.staff())?
        .into_iter()
        .find(|s| s.roles.contains(Role::Admin))
    {
        Some(admin) => Actor {
            staff_id: admin.id,
            name: admin.name,
            roles: admin.roles,
        },
        None => store.bootstrap_owner(owner_name, owner_roles.to_vec(), DEMO_PIN)?,
    };
    summary
        .staff
        .push(format!("{} ({})", owner.name, owner.roles.to_stored()));
    let mut vets = vec![owner.clone()];
    let mut desk = owner.clone();
    for (name, roles) in rest {
        let roles = Roles::new(roles.iter().copied());
        // Made by the generator, not a person at the keyboard: no second factor asked.
        let id = store.transact(&owner, |tx| tx.insert_staff(name, roles.clone(), DEMO_PIN))?;
        let actor = Actor {
            staff_id: id,
            name: name.to_string(),
            roles: roles.clone(),
        };
        if roles.contains(Role::Vet) {
            vets.push(actor.clone());
        }
        if roles.contains(Role::FrontDesk) {
            desk = actor.clone();
        }
        summary
            .staff
            .push(format!("{name} ({})", roles.to_stored()));
    }
    let rooms = store.transact(&owner, |tx| {
        Ok(vec![
            tx.add_room("Exam 1", "exam")?,
            tx.add_room("Exam 2", "exam")?,
            tx.add_room("Surgery", "surgery")?,
        ])
    })?;

    let catalog = demo_catalog(store, &owner, options.clients)?;

    // Visits go into 30-minute slots, 09:00–17:00, one vet and one room per slot, so
    // the demo never double-books.
    let days = i64::from(options.history_days);
    let slots_per_day = 16i64;
    let mut next_slot: std::collections::HashMap<(i64, usize), i64> = Default::default();
    let mut take_slot = |day: i64, vet: usize| -> Option<OffsetDateTime> {
        let slot = next_slot.entry((day, vet)).or_insert(0);
        if *slot >= slots_per_day {
            return None;
        }
        let at = today + Duration::days(day) + Duration::hours(9) + Duration::minutes(30 * *slot);
        *slot += 1;
        Some(at)
    };

    for n in 0..options.clients {
        clock.advance_ms(1);
        let first = *FIRST.choose(&mut rng).unwrap_or(&"Ann");
        let last = *LAST.choose(&mut rng).unwrap_or(&"Smith");
        let client = ClientInput {
            first_name: first.into(),
            last_name: last.into(),
            phone: Some(format!("+44 7{:03} {:06}", rng.random_range(100..1000), n)),
            email: rng
                .random_bool(0.8)
                .then(|| format!("client{n}@example.com")),
            address: Some(format!(
                "{} {}, Riverside",
                rng.random_range(1..200),
                STREETS.choose(&mut rng).unwrap_or(&"High Street")
            )),
            consent_email: rng.random_bool(0.7),
            consent_sms: rng.random_bool(0.6),
            consent_recording: rng.random_bool(0.75),
            notes: rng
                .random_bool(0.1)
                .then(|| "Prefers morning appointments.".to_string()),
        };
        let pet_count = *[1, 1, 1, 2, 2, 3].choose(&mut rng).unwrap_or(&1);
        let mut pets = Vec::new();
        for _ in 0..pet_count {
            let total: u32 = SPECIES.iter().map(|s| s.weight).sum();
            let mut roll = rng.random_range(0..total);
            let info = SPECIES
                .iter()
                .find(|s| {
                    if roll < s.weight {
                        true
                    } else {
                        roll -= s.weight;
                        false
                    }
                })
                .unwrap_or(&SPECIES[0]);
            let age_days = rng.random_range(60..info.max_age_years * 365);
            let born = (today - Duration::days(age_days)).date();
            let chipped = matches!(info.species, "dog" | "cat") && rng.random_bool(0.7);
            let input = PatientInput {
                name: (*PET_NAMES.choose(&mut rng).unwrap_or(&"Bella")).into(),
                species: info.species.into(),
                breed: info.breeds.choose(&mut rng).map(|b| (*b).to_string()),
                sex: (*["male", "female"].choose(&mut rng).unwrap_or(&"female")).into(),
                neutered: rng.random_bool(0.6),
                date_of_birth: Some(crate::validate::date_text(born)),
                microchip: chipped
                    .then(|| format!("9851120{:08}", rng.random_range(0..100_000_000u32))),
                colour: None,
                allergies: rng.random_bool(0.05).then(|| "Penicillin".to_string()),
                alerts: rng
                    .random_bool(0.04)
                    .then(|| "Nervous: muzzle for nail clips".to_string()),
                deceased: false,
            };
            let kg = rng.random_range(info.kg.0..=info.kg.1);
            let visits: Vec<(i64, usize, usize, f64)> = (0..rng.random_range(1..=3))
                .map(|_| {
                    let day = rng.random_range(-days..=14);
                    (
                        day,
                        rng.random_range(0..vets.len()),
                        rng.random_range(0..VISITS.len()),
                        rng.random::<f64>(),
                    )
                })
                .collect();
            pets.push((input, kg, visits));
        }

        let vets_ref = &vets;
        let created = store.transact(&desk, |tx| {
            let client_id = tx.create_client(&client)?;
            let mut made = DemoSummary {
                clients: 1,
                ..Default::default()
            };
            for (input, kg, visits) in &pets {
                let patient = tx.create_patient(input, &[client_id])?;
                made.patients += 1;
                tx.record_weight(patient, (*kg * 100.0).round() / 100.0, None)?;
                for (day, vet_index, visit_index, outcome) in visits {
                    let Some(starts_at) = take_slot(*day, *vet_index) else {
                        continue;
                    };
                    let vet = &vets_ref[*vet_index];
                    let visit = &VISITS[*visit_index];
                    let booking = BookingInput {
                        patient_id: patient,
                        client_id,
                        vet_id: vet.staff_id,
                        room_id: rooms.get(*vet_index % rooms.len()).copied(),
                        starts_at,
                        ends_at: starts_at + Duration::minutes(30),
                        kind: visit.kind.into(),
                        reason: Some(visit.reason.into()),
                        force: false,
                        type_id: None,
                    };
                    let appointment = tx.book(&booking)?;
                    made.appointments += 1;
                    if *day > 0 {
                        continue;
                    }
                    if *day == 0 {
                        if *outcome < 0.3 {
                            tx.set_appointment_status(appointment, Status::CheckedIn)?;
                        }
                        continue;
                    }
                    if *outcome < 0.05 {
                        tx.set_appointment_status(appointment, Status::NoShow)?;
                        continue;
                    }
                    if *outcome < 0.09 {
                        tx.set_appointment_status(appointment, Status::Cancelled)?;
                        continue;
                    }
                    tx.set_appointment_status(appointment, Status::CheckedIn)?;
                    tx.set_appointment_status(appointment, Status::InExam)?;
                    let desk_actor = tx.actor().clone();
                    tx.switch_actor(vet)?;
                    record_visit(tx, patient, appointment, &input.name, *kg, visit, *outcome)?;
                    tx.switch_actor(&desk_actor)?;
                    tx.set_appointment_status(appointment, Status::Done)?;
                    made.encounters += 1;
                    made.prescriptions += u64::from(visit.drug.is_some());
                }
            }
            Ok(made)
        })?;
        summary.clients += created.clients;
        summary.patients += created.patients;
        summary.appointments += created.appointments;
        summary.encounters += created.encounters;
        summary.prescriptions += created.prescriptions;
        progress(n + 1, options.clients);
    }
    summary.invoices = bill_the_year(store, clock, today, &catalog, &mut rng)?;
    clock.set(today + Duration::seconds(1));
    Ok(summary)
}

/// The demo's price list: a service per kind of visit, the drugs the visits prescribe
/// (by the names they prescribe, so prescriptions draft their invoice lines), a
/// controlled anaesthetic for dentals, and a diet food.
struct DemoCatalog {
    services: Vec<(&'static str, Uuid)>,
    ketamine: Uuid,
    food: Uuid,
}

fn demo_catalog(store: &mut Store, owner: &Actor, clients: u32) -> Result<DemoCatalog> {
    use crate::services::billing::{CatalogItemInput, ReceiveInput};
    let item =
        |sku: &str, name: &str, kind: &str, unit: &str, price: i64, vat: i64| CatalogItemInput {
            sku: sku.into(),
            name: name.into(),
            kind: kind.into(),
            unit: unit.into(),
            price_cents: price,
            vat_rate_bp: vat,
            ..Default::default()
        };
    // Enough for the year's visits: a unit per client of each drug (a quarter of that
    // of food), in thousandths.
    let supply = i64::from(clients.max(50)) * 1000;
    store.transact(owner, |tx| {
        let mut services = Vec::new();
        for (kind, sku, name, price) in [
            ("consultation", "SRV-CONS", "Consultation", 4500),
            ("vaccination", "SRV-VACC", "Vaccination", 3800),
            ("dental", "SRV-DENT", "Dental scale and polish", 18_000),
            ("follow_up", "SRV-FUP", "Follow-up consultation", 2500),
        ] {
            services.push((
                kind,
                tx.add_catalog_item(&item(sku, name, "service", "visit", price, 2000))?,
            ));
        }
        let mut stock = Vec::new();
        for (sku, name, price) in [
            ("DRG-OTO", "Otomax", 1650),
            ("DRG-MARO", "Maropitant", 2200),
            ("DRG-CARP", "Carprofen", 1480),
            ("DRG-OCLA", "Oclacitinib", 3900),
        ] {
            let id = tx.add_catalog_item(&CatalogItemInput {
                reorder_level_milli: 20_000,
                ..item(sku, name, "drug", "pack", price, 2000)
            })?;
            stock.push((id, supply));
        }
        let ketamine = tx.add_catalog_item(&CatalogItemInput {
            schedule: Some("3".into()),
            ..item("DRG-KET", "Ketamine 100 mg/ml", "drug", "ml", 180, 2000)
        })?;
        stock.push((ketamine, supply));
        let food = tx.add_catalog_item(&CatalogItemInput {
            reorder_level_milli: 10_000,
            ..item("PRD-RENAL", "Renal diet 2 kg", "product", "bag", 1999, 500)
        })?;
        stock.push((food, supply / 4));
        // Received by the admin acting as stock manager; two lots each, the first
        // expiring within weeks (the expiring-lots report has something to say).
        let soon = tx.now().date() + Duration::days(20);
        let later = tx.now().date() + Duration::days(400);
        for (n, (id, quantity)) in stock.into_iter().enumerate() {
            for (lot, expires, share) in [("A", soon, 4), ("B", later, 1)] {
                tx.receive_stock(&ReceiveInput {
                    item_id: id,
                    lot_number: format!("{lot}{n:02}-{}", expires.year()),
                    expires_on: Some(crate::validate::date_text(expires)),
                    quantity_milli: quantity / share,
                    cost_cents: 300 + n as i64 * 50,
                    order_line_id: None,
                })?;
            }
        }
        Ok(DemoCatalog {
            services,
            ketamine,
            food,
        })
    })
}

/// A year of billing: each past visit invoiced at the end of its day by its vet — the
/// visit's service, what was prescribed (already drafted), ketamine for dentals, now
/// and then a bag of food — most paid in full by card or cash, some in part, a few
/// not yet; each day's register closed with its Z report. Returns the invoices made.
fn bill_the_year(
    store: &mut Store,
    clock: &ManualClock,
    today: OffsetDateTime,
    catalog: &DemoCatalog,
    rng: &mut ChaCha8Rng,
) -> Result<u64> {
    use crate::services::billing::{LineForm, encounter_invoice_id};
    let visits: Vec<(String, String, i64, String)> = store
        .conn()
        .prepare(
            "SELECT e.id, e.vet_id, a.starts_at, a.kind FROM encounters e
             JOIN appointments a ON a.id = e.appointment_id
             WHERE e.deleted = 0 AND a.starts_at < ?1 ORDER BY a.starts_at, e.id",
        )?
        .query_map([today.unix_timestamp() * 1000], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let staff = store.read(&Actor::system(), |rx| rx.staff())?;
    let actor_of = |id: &str| {
        staff
            .iter()
            .find(|s| s.id.to_string() == id)
            .map(|s| Actor {
                staff_id: s.id,
                name: s.name.clone(),
                roles: s.roles.clone(),
            })
    };
    let mut invoices = 0u64;
    let mut day_start = 0usize;
    while day_start < visits.len() {
        let day_ms = visits[day_start].2.div_euclid(86_400_000);
        let day_end = visits[day_start..]
            .iter()
            .position(|v| v.2.div_euclid(86_400_000) != day_ms)
            .map_or(visits.len(), |p| day_start + p);
        let day = OffsetDateTime::from_unix_timestamp(day_ms * 86_400)
            .map_err(|e| Error::NotAllowedNow(e.to_string()))?;
        clock.set(day + Duration::hours(18));
        let Some(closer) = actor_of(&visits[day_start].1) else {
            day_start = day_end;
            continue;
        };
        let plans: Vec<(u32, f64)> = (day_start..day_end)
            .map(|_| (rng.random_range(0..100), rng.random::<f64>()))
            .collect();
        store.transact(&closer, |tx| {
            for ((encounter, vet, _, kind), (roll, part)) in
                visits[day_start..day_end].iter().zip(&plans)
            {
                let Some(vet) = actor_of(vet) else { continue };
                tx.switch_actor(&vet)?;
                let encounter =
                    Uuid::parse_str(encounter).map_err(|e| Error::NotAllowedNow(e.to_string()))?;
                let invoice = encounter_invoice_id(encounter);
                if tx.invoice_status(invoice)?.is_none() {
                    tx.start_visit_invoice(encounter)?;
                }
                let service = catalog
                    .services
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map_or(catalog.services[0].1, |(_, id)| *id);
                let line = |item: Uuid, quantity_milli: i64| LineForm {
                    item_id: Some(item),
                    quantity_milli,
                    ..Default::default()
                };
                tx.add_invoice_line(invoice, &line(service, 1000))?;
                if kind == "dental" {
                    tx.add_invoice_line(invoice, &line(catalog.ketamine, 1000))?;
                }
                if *roll < 8 {
                    tx.add_invoice_line(invoice, &line(catalog.food, 1000))?;
                }
                let done = tx.finalize_invoice(invoice)?;
                invoices += 1;
                let method = if roll % 3 == 0 { "cash" } else { "card" };
                let amount = match roll {
                    0..=89 => done.total_cents,
                    90..=95 => ((done.total_cents as f64) * part.clamp(0.2, 0.8)) as i64,
                    _ => 0,
                };
                if amount > 0 {
                    tx.take_payment(invoice, method, amount, "")?;
                }
            }
            tx.switch_actor(&closer)?;
            let text = crate::validate::date_text(day.date());
            let next = crate::validate::date_text(day.date() + Duration::days(1));
            tx.close_register(
                &text,
                &format!("{text}T00:00:00Z"),
                &format!("{next}T00:00:00Z"),
            )?;
            Ok(())
        })?;
        day_start = day_end;
    }
    Ok(invoices)
}

fn record_visit(
    tx: &mut crate::Tx<'_>,
    patient: Uuid,
    appointment: Uuid,
    name: &str,
    kg: f64,
    visit: &Visit,
    outcome: f64,
) -> Result<()> {
    let encounter = tx.start_encounter(patient, Some(appointment))?;
    let fill = |s: &str| s.replace("{name}", name);
    tx.update_soap(
        encounter,
        &SoapInput {
            subjective: Some(fill(visit.subjective)),
            objective: Some(fill(visit.objective)),
            assessment: Some(fill(visit.assessment)),
            plan: Some(fill(visit.plan)),
        },
    )?;
    tx.record_vitals(
        encounter,
        &VitalsInput {
            temperature_c: Some(((38.0 + outcome * 1.2) * 10.0).round() / 10.0),
            heart_rate: Some(80 + (outcome * 60.0) as i64),
            respiratory_rate: Some(18 + (outcome * 12.0) as i64),
            weight_kg: Some((kg * 100.0).round() / 100.0),
        },
    )?;
    if let Some(diagnosis) = visit.diagnosis {
        tx.add_diagnosis(encounter, diagnosis, "confirmed")?;
    }
    if let Some((drug, mg_per_kg, unit, route, frequency, days)) = visit.drug {
        let dose = if mg_per_kg > 0.0 {
            ((mg_per_kg * kg) * 10.0).round().max(1.0) / 10.0
        } else {
            4.0
        };
        tx.prescribe(&PrescriptionInput {
            encounter_id: encounter,
            drug: drug.into(),
            dose,
            unit: unit.into(),
            route: route.into(),
            frequency: frequency.into(),
            duration_days: days,
            quantity: 1.0,
            refills: 0,
            instructions: Some("Give with food.".into()),
        })?;
    }
    tx.sign_encounter(encounter)?;
    Ok(())
}
