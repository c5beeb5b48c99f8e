-- Device management the clinic authorises (issue 15, requirement 2; SECURITY-REVIEW.md
-- H4). An approval says whether the device it admits manages the clinic's devices
-- (invites, approves, revokes); the founder manages from the start. Approvals and
-- revocations count only when a managing device signed them (crates/core/src/members.rs).
ALTER TABLE device_members ADD COLUMN manages INTEGER;

-- The counter of this device's signed management requests: each one the sync server
-- takes must be higher than the last (a replay is refused), so it is kept here, ahead of
-- what was used, and never goes back.
ALTER TABLE sync_state ADD COLUMN management_counter INTEGER NOT NULL DEFAULT 0;
