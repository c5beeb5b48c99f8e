-- Clinic settings (issue 17): what every document, amount and day needs to know about
-- the clinic — who it is on paper, the currency its amounts are in, its default VAT
-- rate, the text its documents carry, its language and its time zone. Cells of the one
-- clinic row, synced last-writer-wins per column; set by admins
-- (`Tx::set_clinic_settings`, audited) and checked alike on every device
-- (`schema::check_value`). NULL is "not set": documents leave the line out, amounts are
-- in EUR, the language is English.
ALTER TABLE clinic ADD COLUMN legal_name TEXT;
ALTER TABLE clinic ADD COLUMN address TEXT;
ALTER TABLE clinic ADD COLUMN phone TEXT;
ALTER TABLE clinic ADD COLUMN email TEXT;
ALTER TABLE clinic ADD COLUMN vat_number TEXT;
ALTER TABLE clinic ADD COLUMN registration TEXT;
ALTER TABLE clinic ADD COLUMN currency TEXT
    CHECK (currency IS NULL OR (length(currency) = 3 AND currency = upper(currency)));
ALTER TABLE clinic ADD COLUMN default_vat_bp INTEGER
    CHECK (default_vat_bp IS NULL OR default_vat_bp BETWEEN 0 AND 10000);
ALTER TABLE clinic ADD COLUMN document_text TEXT;
ALTER TABLE clinic ADD COLUMN payment_terms TEXT;
ALTER TABLE clinic ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'uk'));
ALTER TABLE clinic ADD COLUMN time_zone TEXT;
