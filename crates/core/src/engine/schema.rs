//! The synced tables as merge sees them: which tables exist, how each merges, and
//! the type of every column. Remote changes naming anything not listed here are
//! quarantined, never turned into SQL; every dynamic statement takes its table and
//! column names from this list.
//!
//! Must match `migrations/local` (checked by a test against the live schema).

/// How a table's rows merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// Per-column last-writer-wins on (hlc, device), with a `deleted` tombstone column.
    LastWriterWins,
    /// Rows are facts, only ever inserted: merge is set union.
    AppendOnly,
}

/// The SQLite type of a column (the tables are STRICT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Integer,
    Real,
    Blob,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    /// Clinical free text: every value is kept in `text_history`, and a losing
    /// concurrent value becomes a conflict for the vet.
    pub clinical_text: bool,
    /// Frozen once the row's encounter is signed (the snapshot decides the value).
    pub frozen_when_signed: bool,
    /// NULL is refused (a NOT NULL column, or one a local-only trigger sums by).
    pub not_null: bool,
    /// The largest magnitude an integer may have (sums kept by triggers never overflow).
    pub max_abs: Option<i64>,
    /// Names who did it (`signed_by`, `recorded_by`, `actor_id`, …): it must be the
    /// staff member the changeset was written for, its signed author.
    pub names_author: bool,
    /// Names the device that made the row (a chain's `device_id`): it must be the
    /// device that signed the changeset, so no device writes another's chain.
    pub names_device: bool,
    /// A number from the series of the device that signed the change (a patient's
    /// number, `7F3A2C-42`): no device issues numbers from another's series, so numbers
    /// made offline on two devices never collide.
    pub in_device_series: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub merge: Merge,
    pub columns: &'static [Column],
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn has_clinical_text(&self) -> bool {
        self.columns.iter().any(|c| c.clinical_text)
    }
}

const fn col(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        clinical_text: false,
        frozen_when_signed: false,
        not_null: false,
        max_abs: None,
        names_author: false,
        names_device: false,
        in_device_series: false,
    }
}

/// A number from the signing device's own series.
const fn device_series(name: &'static str) -> Column {
    Column {
        in_device_series: true,
        ..col(name, ColumnType::Text)
    }
}

/// A column naming the device that made the row: always the changeset's signer.
const fn from_device() -> Column {
    Column {
        names_device: true,
        ..col("device_id", ColumnType::Text)
    }
}

/// A column naming who did it: always the changeset's author.
const fn by(name: &'static str) -> Column {
    Column {
        names_author: true,
        ..col(name, ColumnType::Text)
    }
}

/// A column that never holds NULL.
const fn required(column: Column) -> Column {
    Column {
        not_null: true,
        ..column
    }
}

/// Thousandths of a unit that triggers add up: at most a billion units per movement.
const fn quantity(name: &'static str) -> Column {
    Column {
        max_abs: Some(MAX_QUANTITY_MILLI),
        ..col(name, ColumnType::Integer)
    }
}

const fn clinical(name: &'static str) -> Column {
    Column {
        clinical_text: true,
        ..col(name, ColumnType::Text)
    }
}

const fn soap(name: &'static str) -> Column {
    Column {
        frozen_when_signed: true,
        ..clinical(name)
    }
}

/// The tombstone column: 0 or 1, never NULL.
const fn tombstone() -> Column {
    required(col(DELETED, ColumnType::Integer))
}

/// The largest quantity (thousandths) one stock movement or register entry may carry.
pub const MAX_QUANTITY_MILLI: i64 = 1_000_000_000_000;

/// The largest text or blob one cell may hold, written here or merged (a whole visit's
/// transcript is well under 100 KB).
pub const MAX_CELL_BYTES: usize = 1 << 20;

use ColumnType::{Blob, Integer, Real, Text};

/// The tombstone column of last-writer-wins tables.
pub const DELETED: &str = "deleted";

pub const CLINIC: Table = Table {
    name: "clinic",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        required(col("name", Text)),
        required(col("created_at", Text)),
        // The clinic's settings (migration 21): each checked by `clinic_setting_problem`.
        col("legal_name", Text),
        col("address", Text),
        col("phone", Text),
        col("email", Text),
        col("vat_number", Text),
        col("registration", Text),
        col("currency", Text),
        col("default_vat_bp", Integer),
        col("document_text", Text),
        col("payment_terms", Text),
        col("language", Text),
        col("time_zone", Text),
    ],
};

/// The languages a clinic's documents and app may be in.
pub const CLINIC_LANGUAGES: [&str; 2] = ["en", "uk"];

/// Why `value` may not be the clinic setting `column`, if it may not: the currency is
/// an ISO 4217 code with two minor units, the language one the app speaks, the time zone
/// a name in the tz database bundled into this build (so every device judges a name
/// alike, whatever its system has), the default VAT rate 0–100 %. Pure.
pub fn clinic_setting_problem(column: &str, value: &crate::changes::Value) -> Option<String> {
    use crate::changes::Value as V;
    match (column, value) {
        ("currency", V::Text(code)) => vetdesk_billing::currency::Currency::parse(code)
            .err()
            .map(|e| e.to_string()),
        ("language", V::Text(language)) if !CLINIC_LANGUAGES.contains(&language.as_str()) => {
            Some(format!(
                "the clinic's language is one of {}, not {language:?}",
                CLINIC_LANGUAGES.join(", ")
            ))
        }
        ("time_zone", V::Text(zone)) if jiff::tz::TimeZone::get(zone).is_err() => Some(format!(
            "{zone:?} is not a time zone name (like Europe/London or Europe/Kyiv)"
        )),
        ("default_vat_bp", V::Int(bp)) if !(0..=10_000).contains(bp) => Some(format!(
            "the default VAT rate is between 0 and 100 %, not {bp} basis points"
        )),
        _ => None,
    }
}

pub const STAFF: Table = Table {
    name: "staff",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("name", Text),
        col("roles", Text),
        col("pin_hash", Text),
        col("active", Integer),
        col("totp_secret", Text),
        col("totp_recovery", Text),
        col("totp_last_step", Integer),
        col("created_at", Text),
    ],
};

pub const ROOMS: Table = Table {
    name: "rooms",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("name", Text),
        col("kind", Text),
        col("category", Text),
    ],
};

/// The clinic's appointment types (migration 24): length, colour, what they hold.
pub const APPOINTMENT_TYPES: Table = Table {
    name: "appointment_types",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("name", Text),
        col("minutes", Integer),
        col("colour", Text),
        col("kind", Text),
        col("resources", Text),
    ],
};

/// Each staff member's working hours per weekday (migration 24).
pub const WORK_HOURS: Table = Table {
    name: "work_hours",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("staff_id", Text),
        col("weekday", Integer),
        col("starts", Text),
        col("ends", Text),
    ],
};

/// Blocked time: holidays, days off, meetings, surgery blocks (migration 24).
pub const SCHEDULE_BLOCKS: Table = Table {
    name: "schedule_blocks",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("staff_id", Text),
        col("resource_id", Text),
        col("starts_at", Integer),
        col("ends_at", Integer),
        col("kind", Text),
        col("reason", Text),
        by("created_by"),
    ],
};

/// The clinic's booking pattern, per weekday (migration 24).
pub const SLOT_TEMPLATES: Table = Table {
    name: "slot_templates",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("weekday", Integer),
        col("starts", Text),
        col("ends", Text),
        col("type_id", Text),
        col("staff_id", Text),
    ],
};

pub const CLIENTS: Table = Table {
    name: "clients",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("first_name", Text),
        col("last_name", Text),
        col("phone", Text),
        col("email", Text),
        col("address", Text),
        col("consent_email", Integer),
        col("consent_sms", Integer),
        col("consent_recording", Integer),
        clinical("notes"),
        col("created_at", Text),
    ],
};

pub const PATIENTS: Table = Table {
    name: "patients",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("name", Text),
        col("species", Text),
        col("breed", Text),
        col("sex", Text),
        col("neutered", Integer),
        col("date_of_birth", Text),
        col("microchip", Text),
        col("colour", Text),
        col("allergies", Text),
        col("alerts", Text),
        col("deceased", Integer),
        col("created_at", Text),
        device_series("number"),
    ],
};

pub const PATIENT_OWNERS: Table = Table {
    name: "patient_owners",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("patient_id", Text),
        col("client_id", Text),
        col("is_primary", Integer),
    ],
};

pub const WEIGHTS: Table = Table {
    name: "weights",
    merge: Merge::AppendOnly,
    columns: &[
        col("patient_id", Text),
        col("kg", Real),
        col("measured_at", Text),
        by("recorded_by"),
        col("encounter_id", Text),
    ],
};

pub const APPOINTMENTS: Table = Table {
    name: "appointments",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("patient_id", Text),
        col("client_id", Text),
        col("vet_id", Text),
        col("room_id", Text),
        col("starts_at", Integer),
        col("ends_at", Integer),
        col("kind", Text),
        col("reason", Text),
        col("status", Text),
        col("forced", Integer),
        col("type_id", Text),
        col("resources", Text),
        col("series_id", Text),
    ],
};

pub const WAITLIST: Table = Table {
    name: "waitlist",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("patient_id", Text),
        col("client_id", Text),
        col("vet_id", Text),
        col("reason", Text),
        col("wanted_from", Integer),
        col("wanted_until", Integer),
        col("status", Text),
        col("created_at", Text),
    ],
};

pub const ENCOUNTERS: Table = Table {
    name: "encounters",
    merge: Merge::LastWriterWins,
    columns: &[
        Column {
            frozen_when_signed: true,
            ..tombstone()
        },
        col("patient_id", Text),
        col("appointment_id", Text),
        col("vet_id", Text),
        col("started_at", Text),
        soap("subjective"),
        soap("objective"),
        soap("assessment"),
        soap("plan"),
    ],
};

/// The SOAP columns a signature freezes, in snapshot order.
pub const SOAP_COLUMNS: [&str; 4] = ["subjective", "objective", "assessment", "plan"];

pub const VITALS: Table = Table {
    name: "vitals",
    merge: Merge::AppendOnly,
    columns: &[
        col("encounter_id", Text),
        col("patient_id", Text),
        col("temperature_c", Real),
        col("heart_rate", Integer),
        col("respiratory_rate", Integer),
        col("recorded_at", Text),
        by("recorded_by"),
    ],
};

pub const DIAGNOSES: Table = Table {
    name: "diagnoses",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("encounter_id", Text),
        col("patient_id", Text),
        col("name", Text),
        col("certainty", Text),
    ],
};

pub const PROBLEMS: Table = Table {
    name: "problems",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("patient_id", Text),
        col("encounter_id", Text),
        col("name", Text),
        col("status", Text),
        col("noted_at", Text),
    ],
};

pub const ENCOUNTER_SNAPSHOTS: Table = Table {
    name: "encounter_snapshots",
    merge: Merge::AppendOnly,
    columns: &[
        col("encounter_id", Text),
        col("content", Text),
        col("content_hash", Text),
        by("signed_by"),
        col("signed_at", Text),
    ],
};

pub const ADDENDA: Table = Table {
    name: "addenda",
    merge: Merge::AppendOnly,
    columns: &[
        col("encounter_id", Text),
        by("author_id"),
        col("text", Text),
        col("created_at", Text),
    ],
};

pub const PRESCRIPTIONS: Table = Table {
    name: "prescriptions",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("encounter_id", Text),
        col("patient_id", Text),
        col("drug", Text),
        col("dose", Real),
        col("unit", Text),
        col("route", Text),
        col("frequency", Text),
        col("duration_days", Integer),
        col("quantity", Real),
        col("refills", Integer),
        col("prescriber_id", Text),
        col("instructions", Text),
        col("prescribed_at", Text),
        col("status", Text),
    ],
};

pub const CONFLICT_RESOLUTIONS: Table = Table {
    name: "conflict_resolutions",
    merge: Merge::AppendOnly,
    columns: &[
        col("tbl", Text),
        col("row_id", Text),
        col("col", Text),
        col("loser_hlc", Blob),
        col("resolution", Text),
        by("resolved_by"),
        col("resolved_at", Text),
    ],
};

pub const AUDIT_EVENTS: Table = Table {
    name: "audit_events",
    merge: Merge::AppendOnly,
    columns: &[
        from_device(),
        col("chain_index", Integer),
        col("prev_hash", Blob),
        col("hash", Blob),
        by("actor_id"),
        col("action", Text),
        col("entity", Text),
        col("entity_id", Text),
        col("at", Text),
        col("detail", Text),
        col("signature", Blob),
    ],
};

/// The clinic's membership log: which device keys belong to the clinic
/// (`crate::members`). Rows are facts: a founding, an approval, a revocation.
pub const DEVICE_MEMBERS: Table = Table {
    name: "device_members",
    merge: Merge::AppendOnly,
    columns: &[
        required(col("device_id", Text)),
        required(col("event", Text)),
        col("signing_key", Blob),
        col("last_seq", Integer),
        required(col("by_device", Text)),
        required(col("by_staff", Text)),
        col("name", Text),
        col("at", Text),
        col("manages", Integer),
    ],
};

/// Every synced table, in a fixed order (export, digest).
pub const SCRIBE_DRAFTS: Table = Table {
    name: "scribe_drafts",
    merge: Merge::AppendOnly,
    columns: &[
        col("encounter_id", Text),
        col("patient_id", Text),
        col("model_file", Text),
        col("model_sha256", Text),
        col("transcript_version", Integer),
        col("transcript", Text),
        by("created_by"),
        col("created_at", Text),
    ],
};

pub const SCRIBE_DRAFT_ITEMS: Table = Table {
    name: "scribe_draft_items",
    merge: Merge::AppendOnly,
    columns: &[
        col("draft_id", Text),
        col("position", Integer),
        col("item", Text),
        col("evidence", Text),
        col("flags", Text),
    ],
};

pub const SCRIBE_DECISIONS: Table = Table {
    name: "scribe_decisions",
    merge: Merge::AppendOnly,
    columns: &[
        col("item_id", Text),
        col("draft_id", Text),
        col("decision", Text),
        col("item", Text),
        col("reason", Text),
        by("decided_by"),
        col("decided_at", Text),
        col("model_sha256", Text),
        col("transcript_version", Integer),
        col("applied", Text),
        col("settles_conflict", Integer),
    ],
};

pub const RECORDINGS: Table = Table {
    name: "recordings",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("encounter_id", Text),
        col("patient_id", Text),
        col("device_id", Text),
        col("consent", Text),
        col("override_reason", Text),
        by("started_by"),
        col("started_at", Text),
        col("duration_ms", Integer),
        col("retain_until", Text),
        col("destroyed_at", Text),
    ],
};

pub const CATALOG_ITEMS: Table = Table {
    name: "catalog_items",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("sku", Text),
        col("name", Text),
        col("kind", Text),
        col("unit", Text),
        col("price_cents", Integer),
        col("vat_rate_bp", Integer),
        col("schedule", Text),
        col("reorder_level_milli", Integer),
        col("dose_ranges", Text),
        col("barcode", Text),
    ],
};

pub const STOCK_LOTS: Table = Table {
    name: "stock_lots",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("item_id", Text),
        col("lot_number", Text),
        col("expires_on", Text),
        col("cost_cents", Integer),
        col("received_at", Text),
    ],
};

pub const STOCK_MOVEMENTS: Table = Table {
    name: "stock_movements",
    merge: Merge::AppendOnly,
    columns: &[
        required(col("item_id", Text)),
        col("lot_id", Text),
        col("kind", Text),
        quantity("quantity_milli"),
        col("invoice_id", Text),
        col("line_id", Text),
        col("patient_id", Text),
        col("reason", Text),
        by("moved_by"),
        col("moved_at", Text),
        from_device(),
        col("order_line_id", Text),
    ],
};

/// Every price a catalog item has had (migration 26): facts.
pub const CATALOG_PRICE_CHANGES: Table = Table {
    name: "catalog_price_changes",
    merge: Merge::AppendOnly,
    columns: &[
        required(col("item_id", Text)),
        col("price_cents", Integer),
        col("vat_rate_bp", Integer),
        by("changed_by"),
        col("changed_at", Text),
    ],
};

/// Orders to suppliers (migration 26).
pub const PURCHASE_ORDERS: Table = Table {
    name: "purchase_orders",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("number", Text),
        col("supplier", Text),
        col("status", Text),
        col("note", Text),
        col("created_by", Text),
        col("created_at", Text),
        col("ordered_at", Text),
    ],
};

pub const PURCHASE_ORDER_LINES: Table = Table {
    name: "purchase_order_lines",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("order_id", Text),
        col("item_id", Text),
        quantity("quantity_milli"),
        col("cost_cents", Integer),
    ],
};

pub const STOCK_COUNTS: Table = Table {
    name: "stock_counts",
    merge: Merge::AppendOnly,
    columns: &[
        col("item_id", Text),
        col("lot_id", Text),
        col("counted_milli", Integer),
        col("expected_milli", Integer),
        by("counted_by"),
        col("counted_at", Text),
        col("note", Text),
    ],
};

pub const INVOICES: Table = Table {
    name: "invoices",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("kind", Text),
        col("status", Text),
        col("client_id", Text),
        col("patient_id", Text),
        col("encounter_id", Text),
        col("vet_id", Text),
        col("register", Text),
        col("number", Text),
        col("source_id", Text),
        col("created_at", Text),
        col("finalized_at", Text),
        by("finalized_by"),
        col("total_cents", Integer),
        col("snapshot", Text),
        col("snapshot_hash", Text),
        col("void_reason", Text),
        col("note", Text),
    ],
};

pub const INVOICE_LINES: Table = Table {
    name: "invoice_lines",
    merge: Merge::LastWriterWins,
    columns: &[
        tombstone(),
        col("invoice_id", Text),
        col("position", Integer),
        col("item_id", Text),
        col("description", Text),
        col("quantity_milli", Integer),
        col("unit_price_cents", Integer),
        col("vat_rate_bp", Integer),
        col("discount_bp", Integer),
        col("prescription_id", Text),
        by("added_by"),
        quantity("quantity_high_milli"),
    ],
};

pub const PAYMENTS: Table = Table {
    name: "payments",
    merge: Merge::AppendOnly,
    columns: &[
        col("invoice_id", Text),
        col("client_id", Text),
        col("method", Text),
        col("amount_cents", Integer),
        col("register", Text),
        by("taken_by"),
        col("taken_at", Text),
        col("reference", Text),
    ],
};

pub const CONTROLLED_REGISTER: Table = Table {
    name: "controlled_register",
    merge: Merge::AppendOnly,
    columns: &[
        from_device(),
        col("chain_index", Integer),
        col("prev_hash", Blob),
        col("hash", Blob),
        required(col("item_id", Text)),
        col("lot_id", Text),
        col("patient_id", Text),
        col("movement_id", Text),
        col("kind", Text),
        quantity("quantity_milli"),
        quantity("balance_milli"),
        by("recorded_by"),
        col("recorded_at", Text),
        col("note", Text),
        col("signature", Blob),
    ],
};

pub const Z_REPORTS: Table = Table {
    name: "z_reports",
    merge: Merge::AppendOnly,
    columns: &[
        col("register", Text),
        col("day", Text),
        col("number", Text),
        col("report", Text),
        by("closed_by"),
        col("closed_at", Text),
    ],
};

pub const INVOICE_FINALIZATIONS: Table = Table {
    name: "invoice_finalizations",
    merge: Merge::AppendOnly,
    columns: &[
        col("invoice_id", Text),
        col("register", Text),
        col("number", Text),
        col("total_cents", Integer),
        by("finalized_by"),
        col("finalized_at", Text),
    ],
};

pub const FINALIZATION_SETTLEMENTS: Table = Table {
    name: "finalization_settlements",
    merge: Merge::AppendOnly,
    columns: &[
        col("invoice_id", Text),
        col("kept_register", Text),
        by("settled_by"),
        col("settled_at", Text),
    ],
};

pub const TABLES: &[Table] = &[
    CLINIC,
    STAFF,
    ROOMS,
    APPOINTMENT_TYPES,
    WORK_HOURS,
    SCHEDULE_BLOCKS,
    SLOT_TEMPLATES,
    CLIENTS,
    PATIENTS,
    PATIENT_OWNERS,
    WEIGHTS,
    APPOINTMENTS,
    WAITLIST,
    ENCOUNTERS,
    VITALS,
    DIAGNOSES,
    PROBLEMS,
    ENCOUNTER_SNAPSHOTS,
    ADDENDA,
    PRESCRIPTIONS,
    CONFLICT_RESOLUTIONS,
    SCRIBE_DRAFTS,
    SCRIBE_DRAFT_ITEMS,
    SCRIBE_DECISIONS,
    RECORDINGS,
    CATALOG_ITEMS,
    STOCK_LOTS,
    STOCK_MOVEMENTS,
    STOCK_COUNTS,
    CATALOG_PRICE_CHANGES,
    PURCHASE_ORDERS,
    PURCHASE_ORDER_LINES,
    INVOICES,
    INVOICE_LINES,
    PAYMENTS,
    CONTROLLED_REGISTER,
    Z_REPORTS,
    INVOICE_FINALIZATIONS,
    FINALIZATION_SETTLEMENTS,
    AUDIT_EVENTS,
    DEVICE_MEMBERS,
];

/// The synced table called `name`, if there is one.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// Whether `value` may be stored in a column of type `ty` (NULL always may).
pub fn accepts(ty: ColumnType, value: &crate::changes::Value) -> bool {
    use crate::changes::Value as V;
    matches!(
        (ty, value),
        (_, V::Null)
            | (Text, V::Text(_))
            | (Integer, V::Int(_))
            | (Real, V::Real(_) | V::Int(_))
            | (Blob, V::Blob(_))
    )
}

/// Why `value` may not be stored in `table`.`column` by a changeset that `device`
/// signed for `author`: a column that names who did it names the author, one that
/// names the device names the signer (pure, like [`check_value`]; author `None`: a
/// changeset from before authors were recorded).
pub fn check_maker(
    table: &Table,
    column: &Column,
    value: &crate::changes::Value,
    author: Option<uuid::Uuid>,
    device: uuid::Uuid,
) -> Result<(), String> {
    match (column.names_author, value.as_text(), author) {
        (true, Some(named), Some(author)) if named != author.to_string() => {
            return Err(format!(
                "{}.{} names {named}, but the change was made for {author}: it must name who made it",
                table.name, column.name
            ));
        }
        _ => {}
    }
    if column.names_device && value.as_text() != Some(device.to_string().as_str()) {
        return Err(format!(
            "{}.{} must name device {device}, which signed the change: no device writes another's",
            table.name, column.name
        ));
    }
    if column.in_device_series
        && let Some(number) = value.as_text()
    {
        let code = vetdesk_billing::numbering::register_code(device);
        if vetdesk_billing::numbering::seq_of(&code, number).is_none() {
            return Err(format!(
                "{}.{} is {number:?}, not a number of the series {code} of device {device}, which signed the change: no device numbers from another's series",
                table.name, column.name
            ));
        }
    }
    Ok(())
}

/// Why `value` may not be stored in `table`.`column`, if it may not. The one rule that
/// local writes and merges both apply, so an honest device never writes what another
/// device refuses; pure, so every device refuses exactly the same changes.
pub fn check_value(
    table: &Table,
    column: &Column,
    value: &crate::changes::Value,
) -> Result<(), String> {
    use crate::changes::Value as V;
    let here = || format!("{}.{}", table.name, column.name);
    if !accepts(column.ty, value) {
        return Err(format!(
            "{} takes {:?}, not {}",
            here(),
            column.ty,
            value.type_name()
        ));
    }
    match value {
        V::Null if column.not_null => Err(format!("{} may not be empty (NULL)", here())),
        V::Int(v) if column.name == DELETED && !matches!(v, 0 | 1) => {
            Err(format!("{} is 0 or 1, not {v}", here()))
        }
        V::Int(v)
            if column
                .max_abs
                .is_some_and(|max| v.unsigned_abs() > max.unsigned_abs()) =>
        {
            Err(format!("{} is out of range ({v})", here()))
        }
        V::Real(v) if !v.is_finite() => Err(format!("{} is not a finite number", here())),
        V::Text(t) if t.len() > MAX_CELL_BYTES => Err(format!(
            "{} holds {} bytes, more than the {} a cell may hold",
            here(),
            t.len(),
            MAX_CELL_BYTES
        )),
        V::Blob(b) if b.len() > MAX_CELL_BYTES => Err(format!(
            "{} holds {} bytes, more than the {} a cell may hold",
            here(),
            b.len(),
            MAX_CELL_BYTES
        )),
        V::Text(t) if table.name == CLINIC.name && column.name == "name" && t.trim().is_empty() => {
            Err("the clinic's name may not be blank".into())
        }
        _ if table.name == CLINIC.name => match clinic_setting_problem(column.name, value) {
            Some(problem) => Err(problem),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Why a new row with `values` (its known columns) may not be inserted into `table`:
/// a column named twice, or a column that may not be NULL left out (the tombstone
/// alone has a default).
pub fn check_insert(
    table: &Table,
    values: &[(&str, &crate::changes::Value)],
) -> Result<(), String> {
    for (i, (name, _)) in values.iter().enumerate() {
        if values[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(format!(
                "{}.{name} is named twice in one insert",
                table.name
            ));
        }
    }
    for column in table.columns {
        if column.not_null
            && column.name != DELETED
            && !values.iter().any(|(name, _)| *name == column.name)
        {
            return Err(format!(
                "{}.{} may not be left out",
                table.name, column.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_column_exists_with_its_type_in_the_migrated_schema() -> crate::Result<()> {
        let mut conn = rusqlite::Connection::open_in_memory()?;
        crate::migrations::migrate(&mut conn)?;
        for table in TABLES {
            let mut stmt = conn.prepare(&format!("PRAGMA table_info({})", table.name))?;
            let live: Vec<(String, String)> = stmt
                .query_map([], |row| Ok((row.get(1)?, row.get(2)?)))?
                .collect::<Result<_, _>>()?;
            assert!(!live.is_empty(), "table {} is missing", table.name);
            for column in table.columns {
                let ty = live
                    .iter()
                    .find(|(name, _)| name == column.name)
                    .map(|(_, ty)| ty.as_str())
                    .unwrap_or_else(|| panic!("{}.{} is missing", table.name, column.name));
                let expected = match column.ty {
                    Text => "TEXT",
                    Integer => "INTEGER",
                    Real => "REAL",
                    Blob => "BLOB",
                };
                assert_eq!(ty, expected, "{}.{}", table.name, column.name);
                let live_not_null: bool = conn.query_row(
                    &format!(
                        "SELECT \"notnull\" FROM pragma_table_info('{}') WHERE name = ?1",
                        table.name
                    ),
                    [column.name],
                    |r| r.get(0),
                )?;
                assert!(
                    column.not_null || !live_not_null,
                    "{}.{} is NOT NULL in the schema: merge must refuse NULL before SQLite does",
                    table.name,
                    column.name
                );
            }
            assert!(live.iter().any(|(n, _)| n == "_hlc"), "{}._hlc", table.name);
            assert_eq!(
                live.iter().any(|(n, _)| n == DELETED),
                table.merge == Merge::LastWriterWins,
                "{}: a tombstone column exactly when last-writer-wins",
                table.name
            );
        }
        Ok(())
    }

    #[test]
    fn what_no_device_may_store() {
        use crate::changes::Value as V;
        let clients = &CLIENTS;
        let deleted = clients.column(DELETED).copied();
        let notes = clients.column("notes").copied();
        let moves = &STOCK_MOVEMENTS;
        let quantity = moves.column("quantity_milli").copied();
        let (Some(deleted), Some(notes), Some(quantity)) = (deleted, notes, quantity) else {
            panic!("columns missing");
        };
        let name = CLINIC.column("name").copied().unwrap_or(deleted);
        let setting = |column: &str| CLINIC.column(column).copied().unwrap_or(deleted);
        let (currency, language, zone, vat) = (
            setting("currency"),
            setting("language"),
            setting("time_zone"),
            setting("default_vat_bp"),
        );
        // (table, column, value, allowed?)
        let cases: Vec<(&Table, Column, V, bool)> = vec![
            (clients, deleted, V::Int(0), true),
            (clients, deleted, V::Int(1), true),
            (clients, deleted, V::Null, false),
            (clients, deleted, V::Int(2), false),
            (clients, deleted, V::Text("0".into()), false),
            (clients, notes, V::Null, true),
            (clients, notes, V::Text("x".repeat(MAX_CELL_BYTES)), true),
            (
                clients,
                notes,
                V::Text("x".repeat(MAX_CELL_BYTES + 1)),
                false,
            ),
            (moves, quantity, V::Int(-MAX_QUANTITY_MILLI), true),
            (moves, quantity, V::Int(i64::MAX), false),
            (moves, quantity, V::Int(i64::MIN), false),
            (&CLINIC, name, V::Text("  ".into()), false),
            (&CLINIC, name, V::Null, false),
            (&CLINIC, name, V::Text("Riverside".into()), true),
            (&CLINIC, currency, V::text("GBP"), true),
            (&CLINIC, currency, V::text("UAH"), true),
            (&CLINIC, currency, V::text("JPY"), false),
            (&CLINIC, currency, V::text("pounds"), false),
            (&CLINIC, currency, V::Null, true),
            (&CLINIC, language, V::text("uk"), true),
            (&CLINIC, language, V::text("fr"), false),
            (&CLINIC, zone, V::text("Europe/London"), true),
            (&CLINIC, zone, V::text("Europe/Kyiv"), true),
            (&CLINIC, zone, V::text("Mars/Olympus"), false),
            (&CLINIC, vat, V::Int(2000), true),
            (&CLINIC, vat, V::Int(10_001), false),
            (&CLINIC, vat, V::Int(-1), false),
            (&WEIGHTS, col("kg", Real), V::Real(f64::NAN), false),
            (&WEIGHTS, col("kg", Real), V::Int(4), true),
        ];
        for (table, column, value, allowed) in cases {
            let verdict = check_value(table, &column, &value);
            assert_eq!(
                verdict.is_ok(),
                allowed,
                "{}.{} = {value:?}: {verdict:?}",
                table.name,
                column.name
            );
        }
        let item = V::Text("item".into());
        assert!(check_insert(moves, &[("item_id", &item)]).is_ok());
        assert!(check_insert(moves, &[("kind", &item)]).is_err(), "no item");
        assert!(check_insert(clients, &[("phone", &item), ("phone", &item)]).is_err());
        assert!(
            check_insert(clients, &[]).is_ok(),
            "the tombstone has a default"
        );
    }
}
