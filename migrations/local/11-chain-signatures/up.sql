-- Chains a device cannot forge for another (issue 14, requirement 4).

-- Each audit event and controlled-drug register entry carries its device's Ed25519
-- signature over its hash (crates/core/src/chains.rs). Entries written before this
-- carry none: they are checked by their hash chain alone, and only while no signed
-- entry comes before them in their chain.
ALTER TABLE audit_events ADD COLUMN signature BLOB;
ALTER TABLE controlled_register ADD COLUMN signature BLOB;
