-- Patient numbers (issue 17, requirement 5): a number a person can read out and type,
-- unique in the clinic even when devices add patients offline. Each device numbers
-- from its own series — its register code, as invoices are: `7F3A2C-42` — the next
-- being one more than the highest of its series the store knows, and every device
-- refuses a number that is not from the series of the device that signed it
-- (`schema::check_maker`). Patients from before this have none until they are next
-- saved, or an admin numbers them all (`vetdesk patient number-all`).
ALTER TABLE patients ADD COLUMN number TEXT;
CREATE INDEX patients_by_number ON patients (number) WHERE number IS NOT NULL;
