//! `make bench`: the billing benchmarks of issue 7, printed as a table.
//!
//! On a demo clinic of `BENCH_BILLING_CLIENTS` clients (default 100,000) with a year of
//! billing (every past visit invoiced, stock taken, days closed):
//! 1. finalizing an invoice of 20 lines, 14 of them taking stock first-expiry-first-out
//!    (numbers, snapshot, movements, audit), vs the same in a fresh store with the same
//!    catalog and no history — the ratio says what a year of history costs;
//! 2. the Z report of the busiest day;
//! 3. revenue over the year by day, vet and category, vs a plain SQL sum of the stored
//!    invoice totals by day over the same table (the floor: no JSON, no VAT, no joins);
//! 4. the counter sale's item search (issue 17 §8), every keystroke of 12 item names
//!    and SKUs and 12 scanned barcodes, with `BENCH_BILLING_CATALOG` more items (default
//!    20,000) in the catalog beside the clients — core's part of "keystroke → results
//!    painted" — vs the client search's keystrokes on the same store, the same run.

use std::time::Instant;

use uuid::Uuid;
use vetdesk_core::demo::{DemoOptions, generate};
use vetdesk_core::services::billing::{CatalogItemInput, LineForm};
use vetdesk_core::services::reports::RevenueBy;
use vetdesk_core::{Actor, KeyProtection, Store};
use zeroize::Zeroizing;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn protection() -> KeyProtection {
    KeyProtection::Passphrase(Zeroizing::new("benchmark passphrase".into()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Finalizes `runs` invoices of 20 lines (the 6 stocked items and 4 services, twice)
/// for the first client; milliseconds each.
fn finalize_twenty(store: &mut Store, actor: &Actor, runs: usize) -> Vec<f64> {
    let items: Vec<Uuid> = ok(store.read(actor, |rx| rx.catalog("")))
        .into_iter()
        .map(|i| i.id)
        .collect();
    let client: Uuid = ok(store
        .connection_for_tests()
        .query_row("SELECT id FROM clients ORDER BY id LIMIT 1", [], |r| {
            r.get::<_, String>(0)
        })
        .map(|s| Uuid::parse_str(&s).unwrap_or_default()));
    let mut took = Vec::new();
    for _ in 0..runs {
        let invoice = ok(store.transact(actor, |tx| {
            let id = tx.create_invoice("invoice", client, None, None)?;
            for n in 0..20 {
                tx.add_invoice_line(
                    id,
                    &LineForm {
                        item_id: Some(items[n % items.len()]),
                        quantity_milli: 1000,
                        ..Default::default()
                    },
                )?;
            }
            Ok(id)
        }));
        let started = Instant::now();
        ok(store.transact(actor, |tx| tx.finalize_invoice(invoice)));
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    took
}

#[allow(clippy::disallowed_methods)] // a benchmark binary is an edge: it reads its scale and the clock
fn main() {
    let clients: u32 = std::env::var("BENCH_BILLING_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let now = time::OffsetDateTime::now_utc();
    let dir = ok(tempfile::tempdir());
    let mut store = ok(Store::create(
        dir.path(),
        "Benchmark Vets",
        protection(),
        now,
    ));
    let built = Instant::now();
    let summary = ok(generate(
        &mut store,
        DemoOptions {
            clients,
            seed: 11,
            history_days: 365,
        },
        &mut |done, total| {
            if done % 10_000 == 0 || done == total {
                eprint!("\rdemo: {done}/{total} clients");
            }
        },
    ));
    eprintln!(
        "\ndemo of {clients} clients: {} visits, {} invoices in {:.0} s; store {:.0} MB",
        summary.encounters,
        summary.invoices,
        built.elapsed().as_secs_f64(),
        std::fs::metadata(dir.path().join(vetdesk_core::DB_FILE_NAME))
            .map_or(0.0, |m| m.len() as f64 / 1e6)
    );
    let vet = ok(store.sign_in("Dr James Okafor", vetdesk_core::demo::DEMO_PIN));
    let owner = ok(store.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));

    // Baseline store: the same catalog and staff, a handful of clients, no history.
    let fresh_dir = ok(tempfile::tempdir());
    let mut fresh = ok(Store::create(
        fresh_dir.path(),
        "Fresh Vets",
        protection(),
        now,
    ));
    ok(generate(
        &mut fresh,
        DemoOptions {
            clients: 5,
            seed: 11,
            history_days: 1,
        },
        &mut |_, _| {},
    ));
    let fresh_vet = ok(fresh.sign_in("Dr James Okafor", vetdesk_core::demo::DEMO_PIN));
    let finalize = median(finalize_twenty(&mut store, &vet, 21));
    let finalize_fresh = median(finalize_twenty(&mut fresh, &fresh_vet, 21));

    let busiest: String = ok(store.connection_for_tests().query_row(
        "SELECT day FROM z_reports ORDER BY json_extract(report, '$.invoices') DESC LIMIT 1",
        [],
        |r| r.get(0),
    ));
    let next = ok(time::Date::parse(
        &busiest,
        time::macros::format_description!("[year]-[month]-[day]"),
    ))
    .next_day()
    .map(vetdesk_core::validate::date_text)
    .unwrap_or_default();
    let (from, to) = (format!("{busiest}T00:00:00Z"), format!("{next}T00:00:00Z"));
    let mut z_times = Vec::new();
    let mut z_invoices = 0;
    for _ in 0..11 {
        let started = Instant::now();
        let z = ok(store.read(&owner, |rx| rx.z_report_preview(&busiest, &from, &to)));
        z_times.push(started.elapsed().as_secs_f64() * 1000.0);
        z_invoices = z.invoices;
    }

    let (year_from, year_to) = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z");
    let mut revenue_rows = Vec::new();
    for by in [RevenueBy::Day, RevenueBy::Vet, RevenueBy::Category] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            ok(store.read(&owner, |rx| rx.revenue_report(by, year_from, year_to)));
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        revenue_rows.push((by, median(times)));
    }
    let mut plain = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let rows: i64 = ok(store.connection_for_tests().query_row(
            "SELECT COUNT(*) FROM (SELECT substr(finalized_at, 1, 10), SUM(total_cents)
             FROM invoices WHERE status = 'finalized' AND kind IN ('invoice', 'credit_note')
               AND deleted = 0 AND finalized_at >= ?1 AND finalized_at < ?2 GROUP BY 1)",
            [year_from, year_to],
            |r| r.get(0),
        ));
        assert!(rows > 0);
        plain.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let plain = median(plain);

    // The counter's search: a big catalog beside the 100k clients.
    let catalog: usize = std::env::var("BENCH_BILLING_CATALOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    const WORDS: [&str; 8] = [
        "Renal diet",
        "Carprofen",
        "Flea spot-on",
        "Dental chew",
        "Collar",
        "Shampoo",
        "Wormer",
        "Kitten food",
    ];
    for batch in 0..catalog.div_ceil(1000) {
        ok(store.transact(&owner, |tx| {
            for i in batch * 1000..((batch + 1) * 1000).min(catalog) {
                tx.add_catalog_item(&CatalogItemInput {
                    sku: format!("PRD-{i:05}"),
                    barcode: format!("50{i:011}"),
                    name: format!("{} {}", WORDS[i % WORDS.len()], i / WORDS.len()),
                    kind: "product".into(),
                    unit: "each".into(),
                    price_cents: 100 + (i as i64 % 5000),
                    vat_rate_bp: 2000,
                    ..Default::default()
                })?;
            }
            Ok(())
        }));
    }
    let desk = ok(store.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    let keystrokes = |typed: &[String]| -> Vec<String> {
        typed
            .iter()
            .flat_map(|t| (1..=t.len()).map(|end| t[..end].to_string()))
            .collect()
    };
    let mut items_typed: Vec<String> = keystrokes(
        &[
            "renal diet 12",
            "carprofen",
            "PRD-00417",
            "collar 3",
            "kitten food",
            "flea",
        ]
        .map(str::to_string),
    );
    items_typed.extend((0..12).map(|n| format!("50{:011}", n * 997)));
    let names_typed =
        keystrokes(&["Ann Ng", "Okafor", "Smith", "Bella", "Kovalenko", "Lee"].map(str::to_string));
    let time_each =
        |store: &mut Store,
         queries: &[String],
         f: &dyn Fn(&vetdesk_core::Rx<'_>, &str) -> vetdesk_core::Result<usize>| {
            let mut took: Vec<f64> = queries
                .iter()
                .map(|q| {
                    let started = Instant::now();
                    ok(store.read(&desk, |rx| f(rx, q)));
                    started.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            took.sort_by(f64::total_cmp);
            took
        };
    let counter = time_each(&mut store, &items_typed, &|rx, q| {
        Ok(rx.sale_items(q, 12)?.len())
    });
    let clients_search = time_each(&mut store, &names_typed, &|rx, q| {
        Ok(rx.search(q, 12)?.len())
    });
    let p = |v: &[f64], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];

    let mut rows = vec![
        [
            format!(
                "finalize an invoice of 20 lines (14 stock, FEFO) — {} invoices of history",
                summary.invoices
            ),
            format!("median {finalize:.1} ms"),
            format!("no history: {finalize_fresh:.1} ms"),
            format!("{:.2}", finalize / finalize_fresh),
            "—".into(),
        ],
        [
            format!("Z report of the busiest day ({z_invoices} invoices)"),
            format!("median {:.1} ms", median(z_times)),
            "—".into(),
            "—".into(),
            "—".into(),
        ],
    ];
    for (by, ms) in revenue_rows {
        rows.push([
            format!("revenue report over the year by {by:?}").to_lowercase(),
            format!("median {ms:.0} ms"),
            format!("plain SUM by day: {plain:.0} ms"),
            format!("{:.1}", ms / plain),
            "—".into(),
        ]);
    }
    rows.push([
        format!(
            "counter sale item search, core (per keystroke; {} keystrokes and scans) at {clients} clients + {catalog} items",
            counter.len()
        ),
        format!(
            "p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            p(&counter, 0.5),
            p(&counter, 0.95),
            p(&counter, 1.0)
        ),
        format!("client search, same store: p95 {:.2} ms", p(&clients_search, 0.95)),
        format!("{:.2}", p(&counter, 0.95) / p(&clients_search, 0.95)),
        "p95 ≤ 100 ms painted (app bench)".into(),
    ]);
    vetdesk_testkit::print_bench_table(&rows);
}
