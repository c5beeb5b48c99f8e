-- Clinic key epochs (issue 15, requirement 3; SECURITY-REVIEW.md H5). Local, encrypted.
-- Which device granted each clinic key (this device for a key it made; the approver for
-- keys received at enrollment; the maker for a key-epoch grant; NULL for the first key
-- or one from before key epochs). This device never seals with a key granted by a
-- device since revoked: that device knows it.
ALTER TABLE clinic_keys ADD COLUMN granted_by TEXT;

-- The grants this device made of the newest key epoch it started: one per member, kept
-- until the server has taken it (sent_at), so each member is granted once; a member
-- admitted later, or one that the revocation's round did not yet know, is granted on a
-- later round.
CREATE TABLE key_grants_out (
    device_id   TEXT NOT NULL,
    key_id      INTEGER NOT NULL,
    grant_bytes BLOB NOT NULL,
    made_at     TEXT NOT NULL,
    sent_at     TEXT,
    PRIMARY KEY (device_id, key_id)
) STRICT;
