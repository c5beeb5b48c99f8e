-- Who may register a new clinic (issue 15, requirement 4): with `--registration token`
-- the operator issues one-time registration tokens (`vetdesk-sync-server
-- issue-registration-token`), kept here only as SHA-256 hashes; a clinic's set-up spends
-- one, in the same transaction that registers the clinic.
CREATE TABLE registration_tokens (
    token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz,
    clinic_id   uuid REFERENCES clinics (id)
);
