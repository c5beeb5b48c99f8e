-- A per-clinic storage quota (issue 15, requirement 4): the bytes of envelopes a clinic
-- has stored, kept beside its seq counter and moved in the same push transaction, so
-- checking the quota costs no scan. Existing clinics start from what they hold.
ALTER TABLE clinic_counters ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0 CHECK (stored_bytes >= 0);
UPDATE clinic_counters c
   SET stored_bytes = coalesce((SELECT sum(octet_length(body)) FROM envelopes e WHERE e.clinic_id = c.clinic_id), 0);
