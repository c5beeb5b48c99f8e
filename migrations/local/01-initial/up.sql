-- The clinic this store belongs to (exactly one row) and this device's identity.
CREATE TABLE clinic (
    id          TEXT PRIMARY KEY NOT NULL,           -- UUIDv7
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    created_at  TEXT NOT NULL                        -- RFC 3339, UTC
) STRICT;

CREATE TABLE local_device (
    id          TEXT PRIMARY KEY NOT NULL,           -- UUIDv7, stable for this store
    created_at  TEXT NOT NULL
) STRICT;
