-- Signed changesets and the clinic's membership log (issue 14, stage 2).

-- Which device keys belong to the clinic: a replicated, append-only log of facts,
-- each written by a member device in a changeset it signed. `found`: the device whose
-- key the clinic id is derived from; `approve`: an admin on a member device admitted
-- `device_id` with `signing_key`; `revoke`: an admin ended `device_id`, whose
-- changesets after `last_seq` are refused everywhere. Checked by merge
-- (crates/core/src/members.rs) before anything it covers is applied.
CREATE TABLE device_members (
    id           TEXT PRIMARY KEY NOT NULL,
    _hlc         BLOB,
    device_id    TEXT NOT NULL,
    event        TEXT NOT NULL CHECK (event IN ('found', 'approve', 'revoke')),
    signing_key  BLOB,
    last_seq     INTEGER,
    by_device    TEXT NOT NULL,
    by_staff     TEXT NOT NULL,
    name         TEXT,
    at           TEXT
) STRICT;
CREATE INDEX device_members_device ON device_members (device_id, _hlc);

-- A changeset held for later (its clock too far ahead, or signed by a device the
-- clinic has not admitted yet) keeps its signature, checked again when it is retried.
ALTER TABLE held_changesets ADD COLUMN signature BLOB;
