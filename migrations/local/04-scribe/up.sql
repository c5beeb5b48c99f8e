-- The scribe's drafts: what the transcript supported, kept apart from the medical
-- record until a vet decides on each item. All three tables are append-only facts, so
-- every device keeps every draft, item and decision (rejected and edited ones too).

-- One transcription of a visit, with the model (file and SHA-256) that made it.
CREATE TABLE scribe_drafts (
    id                  TEXT PRIMARY KEY NOT NULL,
    _hlc                BLOB,
    encounter_id        TEXT,
    patient_id          TEXT,
    model_file          TEXT,
    model_sha256        TEXT,
    transcript_version  INTEGER,
    transcript          TEXT,          -- JSON: timestamped segments
    created_by          TEXT,
    created_at          TEXT
) STRICT;
CREATE INDEX scribe_drafts_encounter ON scribe_drafts (encounter_id);

-- A drafted item: what it says, the transcript span and audio time it came from, and
-- its flags (a dose out of range, a drug name heard approximately).
CREATE TABLE scribe_draft_items (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    draft_id    TEXT,
    position    INTEGER,
    item        TEXT,                  -- JSON
    evidence    TEXT,                  -- JSON
    flags       TEXT                   -- JSON
) STRICT;
CREATE INDEX scribe_draft_items_draft ON scribe_draft_items (draft_id);

-- A vet's decision on an item: approved (as drafted or as edited) or rejected, by whom
-- and when, with the model and transcript version it was drafted from, the override
-- reason for a flagged dose, and the record rows the approval wrote.
CREATE TABLE scribe_decisions (
    id                  TEXT PRIMARY KEY NOT NULL,
    _hlc                BLOB,
    item_id             TEXT,
    draft_id            TEXT,
    decision            TEXT,          -- approved, edited, rejected
    item                TEXT,          -- JSON: the item as approved (edited or not)
    reason              TEXT,          -- override reason, or why rejected
    decided_by          TEXT,
    decided_at          TEXT,
    model_sha256        TEXT,
    transcript_version  INTEGER,
    applied             TEXT           -- JSON: ids of the rows written to the record
) STRICT;
CREATE INDEX scribe_decisions_item ON scribe_decisions (item_id);
