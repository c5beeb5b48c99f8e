-- Sealed changesets ("envelopes") and the per-clinic sequence that orders them.
--
-- The server stores each envelope's clear header fields (routing metadata) and its
-- ciphertext, never anything it could read clinical data from. `server_seq` is assigned
-- under the clinic's counter row lock, in the pushing transaction: a later seq can only
-- commit after every earlier one, so a reader paging by `server_seq` never skips a row
-- (a bare sequence can commit out of order; see ../shared/design/SYNC.md).
CREATE TABLE clinic_counters (
    clinic_id   uuid PRIMARY KEY REFERENCES clinics (id),
    next_seq    bigint NOT NULL DEFAULT 1 CHECK (next_seq > 0)
);

CREATE TABLE envelopes (
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    server_seq   bigint NOT NULL CHECK (server_seq > 0),
    envelope_id  uuid NOT NULL,
    device_id    uuid NOT NULL,
    device_seq   bigint NOT NULL CHECK (device_seq > 0),
    key_id       integer NOT NULL,
    hlc_ms       bigint NOT NULL,
    body         bytea NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, server_seq),
    UNIQUE (clinic_id, device_id, device_seq)
);
