-- Envelope bodies are ciphertext: they never compress. Store large ones out of line
-- without PostgreSQL first trying (and failing) to compress them with pglz, which the
-- sync benchmark showed on every push of a large envelope.
ALTER TABLE envelopes ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE blobs ALTER COLUMN body SET STORAGE EXTERNAL;
