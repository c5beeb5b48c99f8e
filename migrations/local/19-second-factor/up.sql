-- The admins' second factor (issue 15, requirement 2): an authenticator secret per staff
-- member (RFC 6238), hashes of their single-use recovery codes and the last code step
-- accepted, synced like the PIN hash so an admin confirms on any of the clinic's devices
-- (the change log is end-to-end encrypted; the server never sees them; exports leave
-- them out). See crates/core/src/services/second_factor.rs.
ALTER TABLE staff ADD COLUMN totp_secret TEXT;
ALTER TABLE staff ADD COLUMN totp_recovery TEXT;
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER;

-- Until when a staff member's second factor stands confirmed on this device (a few
-- minutes, like sudo's), so a run of admin acts needs one code. Local only.
CREATE TABLE second_factor_windows (
    staff_id TEXT PRIMARY KEY,
    until TEXT NOT NULL
) STRICT;

-- Wrong codes typed on this device, for the same pause as wrong PINs. Local only.
CREATE TABLE second_factor_failures (
    staff_id TEXT NOT NULL,
    at TEXT NOT NULL
) STRICT;
CREATE INDEX second_factor_failures_by_staff ON second_factor_failures (staff_id);
