-- One hash-chain module (issue 16, requirement 4): the audit log's head is read from
-- its own table, as the controlled-drug register's always was (crates/core/src/chains.rs,
-- `head`), so device_state no longer keeps a copy of it. From here on the first entry of
-- a register chain holds 32 zero bytes as the hash before it, as the audit log's always
-- did; register chains begun before hold none and still verify (`chains::links`).
ALTER TABLE device_state DROP COLUMN audit_next_index;
ALTER TABLE device_state DROP COLUMN audit_head_hash;
