-- Key epochs (issue 15, requirement 3): when a device is revoked, the revoking device
-- makes a new clinic key and seals it, with every older one, to each remaining device.
-- The server relays those grants. Each is sealed to its recipient's key and signed by
-- its maker, so the server can withhold one but can neither read nor forge it. One
-- grant per device and key id; a revoked device's grants go with it.
CREATE TABLE key_grants (
    clinic_id   uuid NOT NULL,
    device_id   uuid NOT NULL,
    key_id      integer NOT NULL,
    grant_bytes bytea NOT NULL,
    created_by  uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, device_id, key_id),
    FOREIGN KEY (clinic_id, device_id) REFERENCES devices (clinic_id, device_id)
);
