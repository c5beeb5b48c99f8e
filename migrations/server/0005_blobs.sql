-- Blobs (exam-room recordings, attachments), addressed by the SHA-256 of their bytes.
-- Devices seal a blob before uploading it: the server stores ciphertext it cannot read,
-- checks only that the bytes match their address, and serves them to the same clinic.
CREATE TABLE blobs (
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    hash        bytea NOT NULL CHECK (length(hash) = 32),
    body        bytea NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, hash)
);
