-- Sync: this device's place in the clinic's envelope stream, and the clinic's keys.
-- All of it local (never synced) and, like everything here, encrypted by SQLCipher.

-- Exactly one row. `cursor` is the last server seq applied; it is written in the same
-- transaction as the data it covers. `pushed_seq` is the highest of this device's
-- changeset seqs the server has acknowledged.
CREATE TABLE sync_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    server_url    TEXT,
    token         TEXT,
    cursor        INTEGER NOT NULL DEFAULT 0,
    pushed_seq    INTEGER NOT NULL DEFAULT 0,
    last_success  TEXT,
    last_error    TEXT,
    device_name   TEXT              -- what staff call this device, given at enrollment
) STRICT;
INSERT INTO sync_state (id) VALUES (1);

-- The clinic's data keys (256-bit), by key id. New envelopes use the highest id.
CREATE TABLE clinic_keys (
    key_id      INTEGER PRIMARY KEY,
    key         BLOB NOT NULL CHECK (length(key) = 32),
    created_at  TEXT NOT NULL
) STRICT;

-- Envelopes pulled that did not open (changed on the way, or assembled from two): kept,
-- reported, and skipped so one bad envelope cannot stop a device from syncing.
CREATE TABLE rejected_envelopes (
    server_seq   INTEGER PRIMARY KEY,
    reason       TEXT NOT NULL,
    body         BLOB NOT NULL,
    rejected_at  TEXT NOT NULL
) STRICT;

-- This device's X25519 secret key (the clinic key is sealed to its public half at
-- enrollment), for stores whose own key is not in the OS keyring either; otherwise the
-- secret is in the keyring and this table stays empty.
CREATE TABLE device_secret (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    secret  BLOB NOT NULL CHECK (length(secret) = 32)
) STRICT;
