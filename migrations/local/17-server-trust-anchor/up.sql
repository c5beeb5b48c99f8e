-- The certificate authority this device trusts for its sync server instead of the web's
-- roots (issue 15, requirement 5): the clinic's own CA, in PEM, for a server on the
-- clinic's network whose certificate no public CA signed. NULL: the web's roots. Local
-- and encrypted like the rest of the sync state; never synced.
ALTER TABLE sync_state ADD COLUMN server_ca BLOB;
