-- Setting up sync that a lost answer cannot strand (issue 15; SECURITY-REVIEW.md M10).
-- The first device makes its token and keeps it here, with the server it is for, before
-- it asks the server to register the clinic; a retry after a lost answer, a crash or a
-- kill sends the same request, which the server answers the same. Once the server has
-- answered, the token moves to `token` and these are cleared. Local, encrypted.
ALTER TABLE sync_state ADD COLUMN setup_server_url TEXT;
ALTER TABLE sync_state ADD COLUMN setup_token TEXT;
