-- When this device last pulled everything again from the start because the server had
-- skipped some of another device's changesets (issue 15, requirement 8): at most once an
-- hour, so a server that keeps withholding them costs a bounded amount of work.
ALTER TABLE sync_state ADD COLUMN pulled_again_at TEXT;
