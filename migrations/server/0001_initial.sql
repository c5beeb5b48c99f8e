-- Clinics known to the sync server. The server stores no clinical data and no names:
-- a clinic is an id and routing metadata only (see docs/ARCHITECTURE.md).
CREATE TABLE clinics (
    id          uuid PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);
