-- Enrollment the server cannot subvert (issue 15). The new device's introduction (its
-- name, sealed under a key derived from the part of the code the server never sees, and
-- bound to its id and public key) and the invitation it enrolled with (the SHA-256 of
-- the code's server part), stored as the device sent them and listed to its clinic's
-- devices: the server can read neither the name nor forge the binding.
ALTER TABLE devices ADD COLUMN introduction bytea;
ALTER TABLE devices ADD COLUMN enrolled_with bytea;
