-- Exam-room recordings. The metadata syncs (which encounter, the consent it was made
-- under, when its audio expires); the audio file and its key stay on the device that
-- recorded it.
CREATE TABLE recordings (
    id               TEXT PRIMARY KEY NOT NULL,
    _hlc             BLOB,
    deleted          INTEGER NOT NULL DEFAULT 0,
    encounter_id     TEXT,
    patient_id       TEXT,
    device_id        TEXT,          -- where the audio is
    consent          TEXT,          -- client (recorded consent) or override
    override_reason  TEXT,
    started_by       TEXT,
    started_at       TEXT,
    duration_ms      INTEGER,
    retain_until     TEXT,          -- RFC 3339: the audio is destroyed after this
    destroyed_at     TEXT
) STRICT;
CREATE INDEX recordings_encounter ON recordings (encounter_id);

-- Local only, never synced, never in the change log: each recording's random key.
-- Deleting the row (with secure_delete) destroys the audio for good, wherever the
-- encrypted file or its backups are.
CREATE TABLE recording_keys (
    recording_id  TEXT PRIMARY KEY NOT NULL,
    key           BLOB NOT NULL
) STRICT;
