-- Authority checked on every device (issue 14, stage 2b).

-- The clinic's role history: every roles / active / deleted value a staff row was ever
-- given, with the clock of the change that gave it. Whether a change's author held the
-- permission for it is judged by this history as of the change's clock
-- (crates/core/src/authority.rs). Local: every device builds the same history from the
-- staff changes it applies.
CREATE TABLE role_history (
    staff_id  TEXT NOT NULL,
    field     TEXT NOT NULL CHECK (field IN ('roles', 'active', 'deleted')),
    hlc       BLOB NOT NULL,
    value     ANY,
    PRIMARY KEY (staff_id, field, hlc)
) STRICT, WITHOUT ROWID;

-- A store made before this: its staff as they are now are where its history starts.
INSERT INTO role_history (staff_id, field, hlc, value)
    SELECT id, 'roles', zeroblob(16), roles FROM staff;
INSERT INTO role_history (staff_id, field, hlc, value)
    SELECT id, 'active', zeroblob(16), active FROM staff;
INSERT INTO role_history (staff_id, field, hlc, value)
    SELECT id, 'deleted', zeroblob(16), deleted FROM staff;

-- A change set aside keeps its changeset's author (it is judged by it when retried).
-- `waits`: refused for want of something another change may still bring (its author's
-- roles, the encounter a signature signs): tried again whenever a staff change or a new
-- encounter arrives, so the order changes come in never decides what applies.
ALTER TABLE quarantined_changes ADD COLUMN author TEXT;
ALTER TABLE quarantined_changes ADD COLUMN waits INTEGER NOT NULL DEFAULT 0;
CREATE INDEX quarantined_waiting ON quarantined_changes (waits, hlc)
    WHERE waits = 1;
