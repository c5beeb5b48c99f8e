-- Which devices each clinic key's epoch left out (issue 15, requirement 3): the devices
-- its maker's membership log showed revoked when it made the key, 16 bytes each; NULL
-- for the first key and keys from before this column (they left nobody out). Local,
-- encrypted. A device seals only with a key whose epoch left out every device its own
-- log shows revoked, so once it has heard of a revocation it never seals with a key the
-- revoked device holds, even while its new grant is withheld.
ALTER TABLE clinic_keys ADD COLUMN excluded BLOB;
