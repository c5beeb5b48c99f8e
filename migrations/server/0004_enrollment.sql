-- Enrolling a new device: a one-time, expiring code made on a trusted device; the new
-- device presents it with its public key and becomes `pending`; a trusted device then
-- approves it by handing over the clinic key sealed to that public key. The server
-- stores codes only as hashes and keys only sealed: it can unwrap nothing.
CREATE TABLE enrollment_codes (
    code_hash   bytea PRIMARY KEY,
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    created_by  uuid NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

ALTER TABLE devices ADD COLUMN public_key bytea;
ALTER TABLE devices ADD COLUMN key_id integer;
ALTER TABLE devices ADD COLUMN wrapped_key bytea;
