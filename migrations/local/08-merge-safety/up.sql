-- Merge that one bad change cannot stop (issue 14, stage 1).

-- The clinic this store belongs to, pinned when the store is made or enrolled and
-- never read from synced rows again: a second `clinic` row from another device
-- changes nothing. Existing stores pin the clinic row they made first (rowid order is
-- this device's own insertion order: its own clinic, or the one it enrolled into).
ALTER TABLE local_device ADD COLUMN clinic_id TEXT;
UPDATE local_device SET clinic_id = (SELECT id FROM clinic ORDER BY rowid LIMIT 1);

-- What a quarantined change needs to be tried again after an upgrade: the clock of
-- its changeset, the schema version of the build that set it aside, when, and whether
-- any build could take it (a changeset over the size limits never can).
ALTER TABLE quarantined_changes ADD COLUMN hlc BLOB;
ALTER TABLE quarantined_changes ADD COLUMN schema_version INTEGER NOT NULL DEFAULT 7;
ALTER TABLE quarantined_changes ADD COLUMN quarantined_at TEXT;
ALTER TABLE quarantined_changes ADD COLUMN retryable INTEGER NOT NULL DEFAULT 1;
UPDATE quarantined_changes SET hlc = (
    SELECT a.hlc FROM applied_changesets a
    WHERE a.device_id = quarantined_changes.device_id AND a.seq = quarantined_changes.seq);

-- Envelopes that did not open are fetched again and retried (a damaged copy, a key
-- this device did not hold yet), less often each time.
ALTER TABLE rejected_envelopes ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rejected_envelopes ADD COLUMN retry_after TEXT;

-- Wrong PINs entered on this device, per staff member, since their last sign-in here.
-- Local only: what pauses sign-in is what was typed at this keyboard, so no synced
-- event (an `auth.sign_in` or `auth.failed` audit row another device made up) can
-- reset a lock-out or force one. (The audit log still records every attempt.)
CREATE TABLE pin_failures (
    staff_id  TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;
CREATE INDEX pin_failures_staff ON pin_failures (staff_id);

-- The server's clock minus this device's, as the last pull measured it. When it is
-- beyond the clock bound (an hour), this device stamps its writes (its HLC) with the
-- corrected time, so a clock that runs fast cannot make its edits beat later ones
-- made elsewhere (and one that runs slow does not lose to earlier ones).
ALTER TABLE device_state ADD COLUMN server_offset_ms INTEGER NOT NULL DEFAULT 0;

-- Every merge looks for changes an older build set aside (none, once retried): an
-- index lookup, however many a hostile device made this store keep.
CREATE INDEX quarantined_changes_retry ON quarantined_changes (schema_version)
    WHERE retryable = 1;
