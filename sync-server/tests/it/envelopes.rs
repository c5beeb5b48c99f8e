//! The envelope store against a real PostgreSQL: idempotent push, per-envelope refusals,
//! no skipped rows for a reader paging while devices push concurrently, byte-limited pages.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use uuid::Uuid;
use vetdesk_proto::envelope::{EnvelopeHeader, TAG_LEN};
use vetdesk_sync_server::envelopes::{PushStatus, pull, push};

use crate::pg;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An envelope as a device would push it: a real header, an opaque body.
pub fn envelope(clinic: Uuid, device: Uuid, seq: u64, at_ms: u64, body_len: usize) -> Vec<u8> {
    envelope_of(clinic, device, seq, at_ms, body_len, 0x5a)
}

/// The same, holding `content` (its body bytes, and what its content id is made of):
/// two envelopes of one seq and content are one changeset sealed twice.
pub fn envelope_of(
    clinic: Uuid,
    device: Uuid,
    seq: u64,
    at_ms: u64,
    body_len: usize,
    content: u8,
) -> Vec<u8> {
    let mut hlc = [0u8; 16];
    hlc[..6].copy_from_slice(&at_ms.to_be_bytes()[2..]);
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&seq.to_be_bytes());
    id[8..].copy_from_slice(&device.as_bytes()[8..]);
    id[15] ^= content;
    let header = EnvelopeHeader {
        format: vetdesk_proto::envelope::ENVELOPE_FORMAT,
        envelope_id: Uuid::new_v8(id),
        clinic_id: clinic,
        device_id: device,
        device_seq: seq,
        key_id: 1,
        schema_version: 2,
        hlc,
        nonce: [7; 24],
    };
    let mut bytes = header.to_bytes().to_vec();
    bytes.extend(std::iter::repeat_n(content, body_len + TAG_LEN));
    bytes
}

async fn clinic(pool: &sqlx::PgPool) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO clinics (id) VALUES ($1)")
        .bind(id)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    id
}

#[tokio::test]
async fn another_changeset_under_a_stored_seq_is_told_reused_and_nothing_of_it_is_stored() {
    let pool = pg::fresh_migrated_pool().await;
    let a = clinic(&pool).await;
    let device = Uuid::now_v7();
    let now = now_ms();
    let first = vec![
        envelope(a, device, 1, now, 100),
        envelope(a, device, 2, now, 100),
    ];
    push(&pool, a, device, &first, now, u64::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A restored folder: seq 2 again with other content, then a new seq 3; and within
    // one batch, seq 4 twice with different content.
    let restored = vec![
        envelope(a, device, 2, now, 100),
        envelope_of(a, device, 2, now, 100, 0x33),
        envelope(a, device, 3, now, 100),
        envelope(a, device, 4, now, 100),
        envelope_of(a, device, 4, now, 100, 0x44),
    ];
    let statuses = push(&pool, a, device, &restored, now, u64::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        statuses,
        [
            PushStatus::Duplicate { server_seq: 2 },
            PushStatus::SequenceReused,
            PushStatus::Stored { server_seq: 3 },
            PushStatus::Stored { server_seq: 4 },
            PushStatus::SequenceReused,
        ]
    );
    let page = pull(&pool, a, 0, 1 << 20, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.envelopes.len(), 4);
    assert!(
        page.envelopes
            .iter()
            .all(|(_, bytes)| bytes[bytes.len() - 1] == 0x5a),
        "only the first content of each seq is stored"
    );

    // A changeset a build before content ids pushed (a random UUIDv7), sealed again by
    // this one after the answer was lost: the ids cannot be compared, so it is a
    // duplicate, as before.
    let retried = envelope_of(a, device, 5, now, 100, 0x55);
    let mut old = retried.clone();
    let mut header = EnvelopeHeader::parse(&old).unwrap_or_else(|e| panic!("{e}"));
    header.format = 2;
    header.envelope_id = Uuid::now_v7();
    old[..vetdesk_proto::envelope::HEADER_LEN].copy_from_slice(&header.to_bytes());
    push(&pool, a, device, &[old], now, u64::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let statuses = push(&pool, a, device, &[retried], now, u64::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statuses, [PushStatus::Duplicate { server_seq: 5 }]);
}

#[tokio::test]
async fn pushing_twice_is_harmless_and_a_bad_envelope_does_not_fail_the_batch() {
    let pool = pg::fresh_migrated_pool().await;
    let (a, other) = (clinic(&pool).await, clinic(&pool).await);
    let device = Uuid::now_v7();
    let now = now_ms();
    let batch = vec![
        envelope(a, device, 1, now, 100),
        envelope(a, device, 2, now, 100),
        b"not an envelope at all".to_vec(),
        envelope(other, device, 3, now, 100),
        envelope(a, Uuid::now_v7(), 4, now, 100),
        envelope(a, device, 3, now + 2 * 24 * 3_600_000, 100),
        envelope(a, device, 3, now, 100),
        // Past a seq never stored: it would leave 4 out.
        envelope(a, device, 5, now, 100),
    ];
    let statuses = push(&pool, a, device, &batch, now, u64::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(statuses[0], PushStatus::Stored { server_seq: 1 });
    assert_eq!(statuses[1], PushStatus::Stored { server_seq: 2 });
    let reasons: Vec<String> = statuses[2..6]
        .iter()
        .map(|s| match s {
            PushStatus::Refused { reason } => reason.clone(),
            other => panic!("expected a refusal, got {other:?}"),
        })
        .collect();
    assert!(reasons[0].contains("too short"), "{reasons:?}");
    assert!(reasons[1].contains("another clinic"), "{reasons:?}");
    assert!(reasons[2].contains("only its own"), "{reasons:?}");
    assert!(reasons[3].contains("48 h ahead"), "{reasons:?}");
    assert_eq!(statuses[6], PushStatus::Stored { server_seq: 3 });
    assert!(
        matches!(&statuses[7], PushStatus::Refused { reason } if reason.contains("would leave out changesets after 3")),
        "{:?}",
        statuses[7]
    );

    let again = push(&pool, a, device, &batch[..2], now, u64::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        again,
        [
            PushStatus::Duplicate { server_seq: 1 },
            PushStatus::Duplicate { server_seq: 2 }
        ]
    );
    // Old and new mixed, and one seq twice in the same batch: stored once.
    let mixed = vec![
        envelope(a, device, 4, now, 100),
        batch[1].clone(),
        envelope(a, device, 4, now, 100),
        envelope(a, device, 5, now, 100),
    ];
    let statuses = push(&pool, a, device, &mixed, now, u64::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        statuses,
        [
            PushStatus::Stored { server_seq: 4 },
            PushStatus::Duplicate { server_seq: 2 },
            PushStatus::Duplicate { server_seq: 4 },
            PushStatus::Stored { server_seq: 5 },
        ]
    );
    let page = pull(&pool, a, 0, 1 << 20, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        page.envelopes.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    let page = pull(&pool, other, 0, 1 << 20, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        page.envelopes.is_empty(),
        "nothing of clinic A is visible to clinic B"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_paging_while_devices_push_concurrently_never_skips_an_envelope() {
    let pool = pg::fresh_migrated_pool().await;
    let id = clinic(&pool).await;
    const DEVICES: u64 = 4;
    const EACH: u64 = 40;
    let mut pushers = Vec::new();
    for _ in 0..DEVICES {
        let pool = pool.clone();
        pushers.push(tokio::spawn(async move {
            let device = Uuid::now_v7();
            for seq in 1..=EACH {
                let batch = [envelope(id, device, seq, now_ms(), 64)];
                push(&pool, id, device, &batch, now_ms(), u64::MAX)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }));
    }
    let mut seen = Vec::new();
    let mut cursor = 0;
    while (seen.len() as u64) < DEVICES * EACH {
        let page = pull(&pool, id, cursor, 1 << 20, 7)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        seen.extend(page.envelopes.iter().map(|(s, _)| *s));
        cursor = page.next;
        tokio::task::yield_now().await;
    }
    for pusher in pushers {
        pusher.await.unwrap_or_else(|e| panic!("{e}"));
    }
    let expected: Vec<i64> = (1..=(DEVICES * EACH) as i64).collect();
    assert_eq!(seen, expected, "every seq exactly once, in order");
    let distinct: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), seen.len());
}

#[tokio::test]
async fn pulls_are_paged_by_bytes_but_always_make_progress() {
    let pool = pg::fresh_migrated_pool().await;
    let id = clinic(&pool).await;
    let device = Uuid::now_v7();
    let batch: Vec<Vec<u8>> = (1..=5)
        .map(|seq| envelope(id, device, seq, now_ms(), 1000))
        .collect();
    push(&pool, id, device, &batch, now_ms(), u64::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let size = batch[0].len();
    let first = pull(&pool, id, 0, 2 * size, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (first.envelopes.len(), first.next, first.has_more),
        (2, 2, true)
    );
    let tiny = pull(&pool, id, first.next, 10, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (tiny.envelopes.len(), tiny.next, tiny.has_more),
        (1, 3, true),
        "one envelope even over budget"
    );
    let rest = pull(&pool, id, tiny.next, 1 << 20, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (rest.envelopes.len(), rest.next, rest.has_more),
        (2, 5, false)
    );
    assert_eq!(rest.envelopes[1].1, batch[4], "bytes come back as pushed");
}

#[tokio::test]
async fn a_push_past_the_clinics_quota_stores_nothing_and_what_was_stored_still_counts_once() {
    let pool = pg::fresh_migrated_pool().await;
    let (a, b) = (clinic(&pool).await, clinic(&pool).await);
    let device = Uuid::now_v7();
    let now = now_ms();
    let first = vec![
        envelope(a, device, 1, now, 1000),
        envelope(a, device, 2, now, 1000),
    ];
    let quota = first.iter().map(|e| e.len() as u64).sum::<u64>();
    let stored = push(&pool, a, device, &first, now, quota)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        stored
            .iter()
            .all(|s| matches!(s, PushStatus::Stored { .. }))
    );

    // Full: the next envelope is refused whole, with a clear answer, and nothing of the
    // batch is kept (not even the part that would have fitted).
    let more = vec![first[1].clone(), envelope(a, device, 3, now, 10)];
    let refused = push(&pool, a, device, &more, now, quota).await;
    assert!(
        matches!(&refused, Err(vetdesk_sync_server::AppError::StorageFull(m)) if m.contains("full")),
        "{refused:?}"
    );
    let page = pull(&pool, a, 0, 1 << 20, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.envelopes.len(), 2);
    // What is already stored is acknowledged again without counting twice.
    let again = push(&pool, a, device, &first, now, quota)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        again
            .iter()
            .all(|s| matches!(s, PushStatus::Duplicate { .. })),
        "{again:?}"
    );
    // Another clinic's quota is its own.
    let other = push(
        &pool,
        b,
        device,
        &[envelope(b, device, 1, now, 1000)],
        now,
        quota,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(other[0], PushStatus::Stored { .. }));
}
