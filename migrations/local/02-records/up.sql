-- The clinic's records and the change log that lets them merge across devices.
--
-- Synced tables take rows in any order from any device (see docs/ARCHITECTURE.md, "Change
-- log and merge"), so they carry no NOT NULL or foreign-key constraints beyond their id:
-- core's services validate what a person enters, and merge must accept an update that
-- arrives before the row's creation. Every synced table has:
--   id       UUIDv7 text
--   _hlc     the 16-byte HLC of the change that created the row (NULL while only later
--            updates have arrived); the clock of every column not in crdt_clock
-- Last-writer-wins tables also have `deleted` (the tombstone, itself a LWW column).
-- Append-only tables (weights, vitals, snapshots, addenda, audit, resolutions) are only
-- ever inserted into: merge is set union.

ALTER TABLE clinic ADD COLUMN _hlc BLOB;
ALTER TABLE clinic ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

-- ---------------------------------------------------------------- change log machinery

-- This device's clock, changeset counter and audit chain head (exactly one row).
CREATE TABLE device_state (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    last_hlc           BLOB NOT NULL,               -- persisted with every write
    next_seq           INTEGER NOT NULL,            -- next changeset seq, gap-free from 1
    audit_next_index   INTEGER NOT NULL,            -- next audit chain index, from 0
    audit_head_hash    BLOB NOT NULL                -- hash of the last audit event (zeros at start)
) STRICT;
INSERT INTO device_state (id, last_hlc, next_seq, audit_next_index, audit_head_hash)
VALUES (1, zeroblob(16), 1, 0, zeroblob(32));

-- Changesets this device made, in seq order: what sync pushes.
CREATE TABLE local_changesets (
    seq        INTEGER PRIMARY KEY,
    hlc        BLOB NOT NULL,
    body       BLOB NOT NULL                         -- postcard-encoded Changeset
) STRICT;

-- Changesets from other devices already applied (so a duplicate is skipped).
CREATE TABLE applied_changesets (
    device_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    hlc        BLOB NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT, WITHOUT ROWID;

-- Changesets refused because their clock is too far ahead of ours: kept, retried later.
CREATE TABLE held_changesets (
    device_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    body       BLOB NOT NULL,
    held_at    TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT, WITHOUT ROWID;

-- Changes this build does not understand (a newer schema, or malformed): kept, not dropped.
CREATE TABLE quarantined_changes (
    device_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    idx        INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    change     BLOB NOT NULL,
    PRIMARY KEY (device_id, seq, idx)
) STRICT, WITHOUT ROWID;

-- Remote clocks refused for being too far ahead: shown to the user as clock skew.
CREATE TABLE clock_skew_reports (
    device_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    remote_ms  INTEGER NOT NULL,
    local_ms   INTEGER NOT NULL,
    reported_at TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT, WITHOUT ROWID;

-- Per-column clocks of columns changed after their row's creation.
CREATE TABLE crdt_clock (
    tbl     TEXT NOT NULL,
    row_id  TEXT NOT NULL,
    col     TEXT NOT NULL,
    hlc     BLOB NOT NULL,
    PRIMARY KEY (tbl, row_id, col)
) STRICT, WITHOUT ROWID;

-- Every value ever written to a clinical free-text column, winner or not, with the
-- clock of the value its author was looking at (base). A value that is not the visible
-- one, that nobody built on, and that nobody resolved is a conflict for the vet.
CREATE TABLE text_history (
    tbl       TEXT NOT NULL,
    row_id    TEXT NOT NULL,
    col       TEXT NOT NULL,
    hlc       BLOB NOT NULL,
    base_hlc  BLOB,
    value     TEXT,
    PRIMARY KEY (tbl, row_id, col, hlc)
) STRICT, WITHOUT ROWID;
CREATE INDEX text_history_base ON text_history (tbl, row_id, col, base_hlc);

-- --------------------------------------------------------------------------- domain

CREATE TABLE staff (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    name        TEXT,
    roles       TEXT,             -- comma-separated: admin,vet,nurse,front_desk
    pin_hash    TEXT,             -- Argon2id PHC string
    active      INTEGER,
    created_at  TEXT
) STRICT;

CREATE TABLE rooms (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    name        TEXT,
    kind        TEXT              -- exam, surgery, ward, other
) STRICT;

CREATE TABLE clients (
    id                  TEXT PRIMARY KEY NOT NULL,
    _hlc                BLOB,
    deleted             INTEGER NOT NULL DEFAULT 0,
    first_name          TEXT,
    last_name           TEXT,
    phone               TEXT,
    email               TEXT,
    address             TEXT,
    consent_email       INTEGER,
    consent_sms         INTEGER,
    consent_recording   INTEGER,
    notes               TEXT,
    created_at          TEXT
) STRICT;

CREATE TABLE patients (
    id              TEXT PRIMARY KEY NOT NULL,
    _hlc            BLOB,
    deleted         INTEGER NOT NULL DEFAULT 0,
    name            TEXT,
    species         TEXT,
    breed           TEXT,
    sex             TEXT,         -- male, female, unknown
    neutered        INTEGER,
    date_of_birth   TEXT,         -- YYYY-MM-DD
    microchip       TEXT,
    colour          TEXT,
    allergies       TEXT,
    alerts          TEXT,
    deceased        INTEGER,
    created_at      TEXT
) STRICT;

-- A patient's owners; the row id is derived from (patient, client), so two devices
-- adding the same owner make the same row.
CREATE TABLE patient_owners (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    patient_id  TEXT,
    client_id   TEXT,
    is_primary  INTEGER
) STRICT;
CREATE INDEX patient_owners_patient ON patient_owners (patient_id);
CREATE INDEX patient_owners_client ON patient_owners (client_id);

CREATE TABLE weights (
    id           TEXT PRIMARY KEY NOT NULL,
    _hlc         BLOB,
    patient_id   TEXT,
    kg           REAL,
    measured_at  TEXT,
    recorded_by  TEXT,
    encounter_id TEXT
) STRICT;
CREATE INDEX weights_patient ON weights (patient_id, measured_at);

CREATE TABLE appointments (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    patient_id  TEXT,
    client_id   TEXT,
    vet_id      TEXT,
    room_id     TEXT,
    starts_at   INTEGER,          -- unix ms, UTC
    ends_at     INTEGER,
    kind        TEXT,
    reason      TEXT,
    status      TEXT,             -- booked, checked_in, in_exam, done, no_show, cancelled
    forced      INTEGER           -- booked over a clash on purpose (audited)
) STRICT;
CREATE INDEX appointments_vet_time ON appointments (vet_id, starts_at);
CREATE INDEX appointments_room_time ON appointments (room_id, starts_at);
CREATE INDEX appointments_time ON appointments (starts_at);
CREATE INDEX appointments_patient ON appointments (patient_id);

CREATE TABLE waitlist (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    deleted       INTEGER NOT NULL DEFAULT 0,
    patient_id    TEXT,
    client_id     TEXT,
    vet_id        TEXT,
    reason        TEXT,
    wanted_from   INTEGER,
    wanted_until  INTEGER,
    status        TEXT,           -- waiting, booked, removed
    created_at    TEXT
) STRICT;

CREATE TABLE encounters (
    id              TEXT PRIMARY KEY NOT NULL,
    _hlc            BLOB,
    deleted         INTEGER NOT NULL DEFAULT 0,
    patient_id      TEXT,
    appointment_id  TEXT,
    vet_id          TEXT,
    started_at      TEXT,
    subjective      TEXT,
    objective       TEXT,
    assessment      TEXT,
    plan            TEXT,
    -- Derived from the earliest snapshot, never written by LWW:
    status          TEXT NOT NULL DEFAULT 'draft',   -- draft, signed
    signed_by       TEXT,
    signed_at       TEXT,
    content_hash    TEXT
) STRICT;
CREATE INDEX encounters_patient ON encounters (patient_id, started_at);

CREATE TABLE vitals (
    id                TEXT PRIMARY KEY NOT NULL,
    _hlc              BLOB,
    encounter_id      TEXT,
    patient_id        TEXT,
    temperature_c     REAL,
    heart_rate        INTEGER,
    respiratory_rate  INTEGER,
    recorded_at       TEXT,
    recorded_by       TEXT
) STRICT;
CREATE INDEX vitals_encounter ON vitals (encounter_id);

CREATE TABLE diagnoses (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    deleted       INTEGER NOT NULL DEFAULT 0,
    encounter_id  TEXT,
    patient_id    TEXT,
    name          TEXT,
    certainty     TEXT            -- provisional, confirmed, ruled_out
) STRICT;
CREATE INDEX diagnoses_encounter ON diagnoses (encounter_id);

CREATE TABLE problems (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    deleted       INTEGER NOT NULL DEFAULT 0,
    patient_id    TEXT,
    encounter_id  TEXT,
    name          TEXT,
    status        TEXT,           -- active, resolved
    noted_at      TEXT
) STRICT;
CREATE INDEX problems_patient ON problems (patient_id);

CREATE TABLE encounter_snapshots (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    encounter_id  TEXT,
    content       TEXT,           -- canonical JSON of what was signed
    content_hash  TEXT,           -- SHA-256 of content, hex
    signed_by     TEXT,
    signed_at     TEXT
) STRICT;
CREATE INDEX encounter_snapshots_encounter ON encounter_snapshots (encounter_id, _hlc);

CREATE TABLE addenda (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    encounter_id  TEXT,
    author_id     TEXT,
    text          TEXT,
    created_at    TEXT
) STRICT;
CREATE INDEX addenda_encounter ON addenda (encounter_id);

CREATE TABLE prescriptions (
    id              TEXT PRIMARY KEY NOT NULL,
    _hlc            BLOB,
    deleted         INTEGER NOT NULL DEFAULT 0,
    encounter_id    TEXT,
    patient_id      TEXT,
    drug            TEXT,
    dose            REAL,
    unit            TEXT,
    route           TEXT,
    frequency       TEXT,
    duration_days   INTEGER,
    quantity        REAL,
    refills         INTEGER,
    prescriber_id   TEXT,
    instructions    TEXT,
    prescribed_at   TEXT,
    status          TEXT          -- active, cancelled
) STRICT;
CREATE INDEX prescriptions_patient ON prescriptions (patient_id);

-- A vet's decision on a conflict (keep the visible text, or take the other one).
CREATE TABLE conflict_resolutions (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    tbl           TEXT,
    row_id        TEXT,
    col           TEXT,
    loser_hlc     BLOB,
    resolution    TEXT,           -- kept_visible, took_other, made_addendum
    resolved_by   TEXT,
    resolved_at   TEXT
) STRICT;
CREATE INDEX conflict_resolutions_cell ON conflict_resolutions (tbl, row_id, col, loser_hlc);

-- Who did what, per device a hash chain: each event holds the hash of the one before.
CREATE TABLE audit_events (
    id           TEXT PRIMARY KEY NOT NULL,
    _hlc         BLOB,
    device_id    TEXT,
    chain_index  INTEGER,
    prev_hash    BLOB,
    hash         BLOB,
    actor_id     TEXT,
    action       TEXT,
    entity       TEXT,
    entity_id    TEXT,
    at           TEXT,
    detail       TEXT
) STRICT;
CREATE INDEX audit_events_chain ON audit_events (device_id, chain_index);
CREATE INDEX audit_events_at ON audit_events (at);
-- Sign-in looks up a person's recent wrong PINs (partial: other events pay nothing).
CREATE INDEX audit_events_pin_failures ON audit_events (entity_id, device_id, chain_index)
    WHERE action = 'auth.failed';
CREATE INDEX audit_events_sign_ins ON audit_events (entity_id, device_id, chain_index)
    WHERE action = 'auth.sign_in';

-- ------------------------------------------------------------------------------ search

-- Prefix, accent-insensitive full-text search; rowids are the rowids of clients/patients.
-- Kept by core (crate::search_index) once per transaction for the rows it touched, not
-- by triggers: a trigger's write runs inside a statement savepoint, and FTS5 flushes its
-- pending index to disk at every savepoint (measured: 60% of the cost of a write).
-- columnsize = 0: ranking is done in core, not by bm25, so no per-row sizes are kept.
CREATE VIRTUAL TABLE client_search USING fts5 (
    name, contact, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', columnsize = 0
);
CREATE VIRTUAL TABLE patient_search USING fts5 (
    name, chip, owners, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', columnsize = 0
);
