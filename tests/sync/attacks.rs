//! The hostile-device suite (issue 14, requirement 8), through the real sync server and
//! PostgreSQL: device C is a member of the clinic — it holds the clinic key, its own
//! signing key and a server token — built from our own core with its checks removed
//! (`Store::sign_as_this_device` signs whatever it is given). It pushes every attack of
//! SECURITY-REVIEW.md H1–H3, M1 and M6, each in a changeset of its own. The honest
//! devices A and B refuse or set aside each one, report it, keep pulling and pushing,
//! lose nothing, and end with identical exports.

use uuid::Uuid;
use vetdesk_core::audit::{EventFields, event_hash};
use vetdesk_core::envelope::DataKey;
use vetdesk_core::hlc::Hlc;
use vetdesk_core::signing::{Chain, SignedChangeset};
use vetdesk_core::sync::Transport;
use vetdesk_core::sync_http::HttpTransport;
use vetdesk_core::{Change, Changeset, Op, Store, Value};

use super::{canonical, enroll_device, ok, runtime, start_server, sync};
use crate::hostile::clinic_of_two;

/// A member device with its checks removed, pushing straight to the server.
struct Hostile {
    store: Store,
    link: HttpTransport,
    key: DataKey,
    clinic: Uuid,
    next_seq: u64,
}

impl Hostile {
    fn new(url: &str, store: Store) -> Self {
        let (_, token) = ok(store.sync_credentials()).unwrap_or_default();
        let key = ok(store.clinic_keys())
            .pop()
            .unwrap_or_else(|| panic!("C holds no clinic key"));
        let clinic = ok(store.clinic_id());
        Self {
            store,
            link: HttpTransport::new(url, Some(token)),
            key,
            clinic,
            next_seq: 1,
        }
    }

    /// Its next changeset, for `author`, dated `millis` (a clock it chooses).
    fn changeset(&mut self, author: Uuid, millis: u64, changes: Vec<Change>) -> Changeset {
        let seq = self.next_seq;
        self.next_seq += 1;
        let node = vetdesk_core::write::node_of(self.store.device_id());
        Changeset {
            device: self.store.device_id(),
            seq,
            schema_version: *vetdesk_core::SCHEMA_VERSION,
            hlc: ok(Hlc::new(millis, 0, node)).to_bytes(),
            author: Some(author),
            changes,
        }
    }

    /// Signs and pushes one changeset; the server stores it (it cannot read it).
    fn push(&mut self, author: Uuid, millis: u64, changes: Vec<Change>) {
        let changeset = self.changeset(author, millis, changes);
        let signed = ok(self.store.sign_as_this_device(changeset));
        self.push_signed(&signed);
    }

    fn push_signed(&mut self, signed: &SignedChangeset) {
        let sealed = ok(vetdesk_core::envelope::seal(signed, self.clinic, &self.key));
        let pushed = ok(self.link.push(vec![sealed]));
        assert_eq!(pushed.results.len(), 1, "{pushed:?}");
    }
}

fn change(table: &str, row: Uuid, op: Op) -> Change {
    Change {
        table: table.into(),
        row,
        op,
    }
}

fn insert(table: &str, values: Vec<(&str, Value)>) -> Change {
    change(
        table,
        Uuid::now_v7(),
        Op::Insert(
            values
                .into_iter()
                .map(|(c, v)| (c.to_string(), v))
                .collect(),
        ),
    )
}

fn set(table: &str, row: Uuid, column: &str, value: Value) -> Change {
    change(
        table,
        row,
        Op::Set {
            column: column.into(),
            value,
            base: None,
        },
    )
}

/// An audit event for `device`'s chain at `(index, prev)`, well hashed, signed by
/// `signer`'s key.
fn audit_event(
    device: Uuid,
    (chain_index, prev_hash): (i64, &[u8]),
    actor: Uuid,
    action: &str,
    entity_id: &str,
    signer: &Store,
) -> Change {
    let (device_id, actor_id, at) = (
        device.to_string(),
        actor.to_string(),
        "2026-12-02T09:00:00Z",
    );
    let hash = event_hash(&EventFields {
        device_id: &device_id,
        chain_index,
        prev_hash,
        actor_id: &actor_id,
        action,
        entity: "staff",
        entity_id,
        at,
        detail: "",
    });
    let signature = ok(signer.device_signer()).sign_chain_entry(Chain::Audit, &hash);
    insert(
        "audit_events",
        vec![
            ("device_id", Value::text(device_id.clone())),
            ("chain_index", Value::Int(chain_index)),
            ("prev_hash", Value::Blob(prev_hash.to_vec())),
            ("hash", Value::Blob(hash.to_vec())),
            ("actor_id", Value::text(actor_id.clone())),
            ("action", Value::text(action)),
            ("entity", Value::text("staff")),
            ("entity_id", Value::text(entity_id)),
            ("at", Value::text(at)),
            ("detail", Value::text("")),
            ("signature", Value::Blob(signature.to_vec())),
        ],
    )
}

fn one_id(store: &Store, sql: &str) -> Uuid {
    let id: String = ok(store
        .connection_for_tests()
        .query_row(sql, [], |r| r.get(0)));
    ok(Uuid::parse_str(&id))
}

fn snapshot_hash(content: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(content.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_hostile_member_device_pushes_every_attack_and_the_clinic_refuses_each_and_converges() {
    let runtime = runtime();
    let (url, _pool) = start_server(&runtime);
    let dirs = (ok(tempfile::tempdir()), ok(tempfile::tempdir()));
    let (mut a, mut b) = clinic_of_two(&url, &dirs);
    let dir_c = ok(tempfile::tempdir());
    let c = enroll_device(&url, &mut a, dir_c.path());
    let clinic_id = ok(a.clinic_id());
    let clinic_name = ok(a.status()).clinic_name;
    let maria = ok(a.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let lena_on_a = ok(a.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN));
    let lena = lena_on_a.staff_id;
    sync(&mut a);
    sync(&mut b);

    // What the attacks aim at: a visit Maria signed, one not signed yet, A's audit
    // chain head.
    let patient = one_id(&a, "SELECT id FROM patients WHERE deleted = 0 LIMIT 1");
    let (signed, unsigned) = ok(a.transact(&maria, |tx| {
        let signed = tx.start_encounter(patient, None)?;
        tx.update_soap(
            signed,
            &vetdesk_core::services::encounters::SoapInput {
                subjective: Some("bright, alert, eating well".into()),
                ..Default::default()
            },
        )?;
        tx.sign_encounter(signed)?;
        Ok((signed, tx.start_encounter(patient, None)?))
    }));
    sync(&mut a);
    sync(&mut b);
    let signed_before = format!("{:?}", ok(a.read(&maria, |rx| rx.encounter(signed))).signed);
    let (a_index, a_head): (i64, Vec<u8>) = ok(a.connection_for_tests().query_row(
        "SELECT chain_index, hash FROM audit_events WHERE device_id = ?1
         ORDER BY chain_index DESC LIMIT 1",
        [a.device_id().to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ));
    // B's front desk mistypes her PIN until her sign-in pauses there.
    for _ in 0..5 {
        assert!(b.sign_in("Lena Novak", "000000").is_err());
    }
    assert!(
        b.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN)
            .is_err()
    );

    let mut c = Hostile::new(&url, c);
    let now = ok(a.last_hlc()).millis() + 1;
    let kept = Uuid::now_v7();

    // H1: one change per constraint, trigger and overflow, and an honest one beside.
    c.push(
        maria.staff_id,
        now,
        vec![
            set("clients", Uuid::now_v7(), "deleted", Value::Null),
            insert("stock_movements", vec![("quantity_milli", Value::Int(5))]),
            insert(
                "stock_movements",
                vec![
                    ("item_id", Value::text("x")),
                    ("quantity_milli", Value::Int(i64::MAX)),
                ],
            ),
            set("clinic", clinic_id, "name", Value::text("")),
            change(
                "clients",
                kept,
                Op::Insert(vec![
                    ("last_name".into(), Value::text("Keptbesidepoison")),
                    ("deleted".into(), Value::Int(0)),
                ]),
            ),
        ],
    );
    // H2: a second clinic row, dated first.
    c.push(
        maria.staff_id,
        now,
        vec![insert(
            "clinic",
            vec![
                ("name", Value::text("Evil")),
                ("created_at", Value::text("0000-01-01T00:00:00Z")),
            ],
        )],
    );
    // H3: a forged signature on the unsigned visit, dated 1 ms (the earliest would
    // win), and one whose hash is not its content's; the signed visit rewritten.
    let forged = r#"{"subjective":"forged","objective":null,"assessment":null,"plan":null}"#;
    let snapshot = |hash: String| {
        insert(
            "encounter_snapshots",
            vec![
                ("encounter_id", Value::text(unsigned.to_string())),
                ("content", Value::text(forged)),
                ("content_hash", Value::text(hash)),
                ("signed_by", Value::text(maria.staff_id.to_string())),
                ("signed_at", Value::text("1970-01-01T00:00:00Z")),
            ],
        )
    };
    c.push(maria.staff_id, 1, vec![snapshot(snapshot_hash(forged))]);
    c.push(maria.staff_id, now, vec![snapshot("0".repeat(64))]);
    c.push(
        maria.staff_id,
        now,
        vec![set(
            "encounters",
            signed,
            "subjective",
            Value::text("rewritten"),
        )],
    );
    // H3: the front desk makes herself an admin, sets the owner's PIN hash, and
    // deactivates the vet; a row that names someone other than its author.
    c.push(
        lena,
        now,
        vec![
            set("staff", lena, "roles", Value::text("admin")),
            set("staff", maria.staff_id, "pin_hash", Value::text("$known")),
            set("staff", maria.staff_id, "active", Value::Int(0)),
        ],
    );
    c.push(
        lena,
        now,
        vec![insert(
            "weights",
            vec![
                ("kg", Value::Real(30.0)),
                ("recorded_by", Value::text(maria.staff_id.to_string())),
            ],
        )],
    );
    // H3: the next event of A's audit chain, and a chain for a device that is no member.
    c.push(
        maria.staff_id,
        now,
        vec![
            audit_event(
                a.device_id(),
                (a_index + 1, &a_head),
                maria.staff_id,
                "client.delete",
                "x",
                &c.store,
            ),
            audit_event(
                Uuid::now_v7(),
                (0, &[0; 32]),
                maria.staff_id,
                "client.delete",
                "x",
                &c.store,
            ),
        ],
    );
    // M6: a sign-in event in B's chain to lift Lena's pause there; and C's own chain
    // of wrong PINs for the owner, to pause her everywhere.
    c.push(
        lena,
        now,
        vec![audit_event(
            b.device_id(),
            (1_000_000, &[0; 32]),
            lena,
            "auth.sign_in",
            &lena.to_string(),
            &c.store,
        )],
    );
    let mut prev = [0u8; 32].to_vec();
    let mut failures = Vec::new();
    for index in 0..10 {
        let event = audit_event(
            c.store.device_id(),
            (index, &prev),
            maria.staff_id,
            "auth.failed",
            &maria.staff_id.to_string(),
            &c.store,
        );
        if let Op::Insert(values) = &event.op
            && let Some((_, Value::Blob(hash))) = values.iter().find(|(n, _)| n == "hash")
        {
            prev = hash.clone();
        }
        failures.push(event);
    }
    c.push(maria.staff_id, now, failures);
    // M1: more changes than a changeset may hold; a cell larger than any may be; and
    // a body that claims to inflate to 100 MiB (an LZ4 bomb), its signature C's.
    let too_many = (0..1001)
        .map(|i| {
            insert(
                "clients",
                vec![("last_name", Value::text(format!("Many{i}")))],
            )
        })
        .collect();
    c.push(maria.staff_id, now, too_many);
    c.push(
        maria.staff_id,
        now,
        vec![insert(
            "clients",
            vec![("notes", Value::text("A".repeat(8 << 20)))],
        )],
    );
    let bomb_changeset = c.changeset(maria.staff_id, now, Vec::new());
    let mut bomb = bomb_changeset.encode();
    bomb.truncate(4);
    bomb.extend_from_slice(&(100u32 << 20).to_le_bytes());
    bomb.extend_from_slice(&[0x1f, b'A', 0, 0, 0, 0]);
    c.push_signed(&SignedChangeset {
        changeset: bomb_changeset,
        body: bomb,
        signature: Some([7; 64]),
    });

    // B has a change of its own waiting when the attacks arrive.
    let desk = ok(b.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
    let input = vetdesk_core::services::clients::ClientInput {
        first_name: "Bea".into(),
        last_name: "Afterattack".into(),
        ..Default::default()
    };
    let bea = ok(b.transact(&desk, |tx| tx.create_client(&input)));

    let report = sync(&mut b);
    assert!(report.push_refused.is_none(), "{report:?}");
    assert_eq!(ok(b.sync_state()).pending, 0, "B's own change went out");
    assert_eq!(report.rejected.len(), 1, "the bomb: {report:?}");
    assert!(
        report.rejected[0].1.contains("more than a changeset holds"),
        "{report:?}"
    );
    sync(&mut a);
    sync(&mut b);

    for (name, store) in [("A", &mut a), ("B", &mut b)] {
        let reasons: Vec<String> = ok(store.set_aside_changes(1000))
            .into_iter()
            .map(|c| c.reason)
            .collect();
        for expected in [
            "clients.deleted may not be empty (NULL)",
            "stock_movements.item_id may not be left out",
            "stock_movements.quantity_milli is out of range",
            "a clinic row for another clinic",
            "could not manage staff",
            "weights.recorded_by names",
            "audit_events.device_id must name device",
            "more than the 1000 one may hold",
            "more than the 1048576 a cell may hold",
        ] {
            assert!(
                reasons.iter().any(|r| r.contains(expected)),
                "{name}: {expected:?} not in {reasons:#?}"
            );
        }
        // Nothing forged shows; every person is who they were; the clinic is itself.
        let owner = ok(store.sign_in("Dr Maria Santos", vetdesk_core::demo::DEMO_PIN));
        assert!(owner.roles.to_stored().contains("admin"), "{name}");
        let shown = ok(store.read(&owner, |rx| rx.encounter(unsigned)));
        assert!(shown.signed.is_none(), "{name}: {shown:?}");
        assert_eq!(
            format!(
                "{:?}",
                ok(store.read(&owner, |rx| rx.encounter(signed))).signed
            ),
            signed_before,
            "{name}"
        );
        assert_ne!(
            ok(store.read(&owner, |rx| rx.encounter(signed)))
                .soap
                .subjective
                .as_deref(),
            Some("rewritten"),
            "{name}"
        );
        let status = ok(store.status());
        assert_eq!(
            (status.clinic_id, status.clinic_name),
            (clinic_id.to_string(), clinic_name.clone())
        );
        // The front desk is still the front desk: an export is refused to her.
        let front_desk =
            ok(store.refresh_actor(&lena_on_a)).unwrap_or_else(|| panic!("{name}: Lena is gone"));
        assert!(!front_desk.roles.to_stored().contains("admin"), "{name}");
        let mut out = Vec::new();
        assert!(
            matches!(
                store.export_json(&front_desk, &mut out),
                Err(vetdesk_core::Error::Forbidden { .. })
            ),
            "{name}"
        );
        // Every audit chain holds, each event signed by its device.
        let audit = ok(store.verify_audit());
        assert!(audit.is_intact(), "{name}: {audit:?}");
        assert_eq!(audit.signer_unchecked, 0, "{name}: {audit:?}");
        // Both the kept row and B's own write are there.
        for (row, who) in [(kept, "Keptbesidepoison"), (bea, "Afterattack")] {
            assert!(
                ok(store.read(&owner, |rx| rx.search(who, 5)))
                    .iter()
                    .any(|h| h.id == row),
                "{name}: {who}"
            );
        }
    }
    // C's made-up wrong PINs paused no one; B's real ones still pause Lena there.
    assert!(
        b.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN)
            .is_err()
    );
    assert!(
        a.sign_in("Lena Novak", vetdesk_core::demo::DEMO_PIN)
            .is_ok()
    );
    // What the checks above wrote (sign-ins are audited) goes round; all ends equal.
    sync(&mut a);
    sync(&mut b);
    sync(&mut a);
    assert!(canonical(&a) == canonical(&b), "exports differ");
    assert_eq!(ok(a.digest()), ok(b.digest()));
}
