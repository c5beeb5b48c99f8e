-- Two devices offline can decide on the same drafted item differently (one approves,
-- the other rejects or edits). Both decisions are kept; the item shows as a conflict
-- until a vet settles it with a decision marked here, which then stands.
ALTER TABLE scribe_decisions ADD COLUMN settles_conflict INTEGER;
