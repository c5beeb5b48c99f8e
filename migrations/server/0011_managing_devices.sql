-- Device management the clinic authorises (issue 15, requirement 2; SECURITY-REVIEW.md
-- H4). Inviting, approving and revoking are requests signed by a device that manages the
-- clinic's devices: the founder (whose public key the clinic id is made from, checked at
-- set-up) and devices a managing device approved as managing. `last_signed` is the
-- highest counter of a signed request the device has made: a request whose counter is
-- not higher (a replay) is refused.
ALTER TABLE devices ADD COLUMN manages boolean NOT NULL DEFAULT false;
ALTER TABLE devices ADD COLUMN last_signed bigint NOT NULL DEFAULT 0;
