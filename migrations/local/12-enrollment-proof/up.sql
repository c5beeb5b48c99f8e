-- Enrollment the sync server cannot subvert (issue 15; crates/core/src/enrollment_proof.rs).
-- Both tables are local (never synced) and, like everything here, encrypted by SQLCipher.

-- On the device that made an invitation: the invitation key derived from the whole
-- code (whose secret half never reached the server), found by the server half's hash,
-- which the server lists beside the device that enrolled with it. Used once, when the
-- admin approves that device here; an expired invitation is deleted when the next is made.
CREATE TABLE device_invitations (
    code_hash       BLOB PRIMARY KEY CHECK (length(code_hash) = 32),
    invitation_key  BLOB NOT NULL CHECK (length(invitation_key) = 32),
    made_by         TEXT NOT NULL,      -- the admin (staff id)
    expires_at_ms   INTEGER NOT NULL
) STRICT;

-- On a new device, from enrolling until its clinic key has arrived: the same key, to
-- check that the key grant came from the device that invited it.
ALTER TABLE sync_state ADD COLUMN invitation_key BLOB CHECK (invitation_key IS NULL OR length(invitation_key) = 32);
