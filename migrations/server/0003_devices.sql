-- Devices and their bearer tokens. A token is random (256 bits) and shown to its device
-- once; the server keeps only its SHA-256, bound to (clinic, device). Revoking a device
-- takes effect on its next request: every request looks the token up.
CREATE TABLE devices (
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    device_id   uuid NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    status      text NOT NULL CHECK (status IN ('approved', 'pending', 'revoked')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, device_id)
);
