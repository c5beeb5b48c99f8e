-- Estimate ranges (issue 17, requirement 1): a line of an estimate may say "one to
-- three radiographs" — its quantity is the low end and this the high one (NULL: no
-- range). The estimate then comes to a range, low–high; an invoice's lines have none
-- (core refuses one), and an estimate accepted into an invoice starts from the low
-- quantities.
ALTER TABLE invoice_lines ADD COLUMN quantity_high_milli INTEGER;
