-- The next patient number and purchase order number in one look-up (issue 17): kept in
-- `number_series` by triggers as numbers are written or merged, as invoice numbers are.
-- Finding the highest patient number of a series by reading all of them made every new
-- patient cost more than the one before (100,000 imported patients: minutes, not
-- seconds). Patient numbers (`7F3A2C-42`) share their digits' prefix with the
-- register's invoices (`7F3A2C-000042`), so their series is kept as `patient:7F3A2C-`.
CREATE TRIGGER patient_number_insert AFTER INSERT ON patients
WHEN NEW.number IS NOT NULL BEGIN
    INSERT INTO number_series (prefix, last_seq)
    VALUES ('patient:' || rtrim(NEW.number, '0123456789'),
            CAST(substr(NEW.number, length(rtrim(NEW.number, '0123456789')) + 1) AS INTEGER))
    ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
END;
CREATE TRIGGER patient_number_set AFTER UPDATE OF number ON patients
WHEN NEW.number IS NOT NULL BEGIN
    INSERT INTO number_series (prefix, last_seq)
    VALUES ('patient:' || rtrim(NEW.number, '0123456789'),
            CAST(substr(NEW.number, length(rtrim(NEW.number, '0123456789')) + 1) AS INTEGER))
    ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
END;
CREATE TRIGGER purchase_order_number_insert AFTER INSERT ON purchase_orders
WHEN NEW.number IS NOT NULL BEGIN
    INSERT INTO number_series (prefix, last_seq)
    VALUES (rtrim(NEW.number, '0123456789'),
            CAST(substr(NEW.number, length(rtrim(NEW.number, '0123456789')) + 1) AS INTEGER))
    ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
END;
CREATE TRIGGER purchase_order_number_set AFTER UPDATE OF number ON purchase_orders
WHEN NEW.number IS NOT NULL BEGIN
    INSERT INTO number_series (prefix, last_seq)
    VALUES (rtrim(NEW.number, '0123456789'),
            CAST(substr(NEW.number, length(rtrim(NEW.number, '0123456789')) + 1) AS INTEGER))
    ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
END;

-- The series as the numbers already stored give them.
INSERT INTO number_series (prefix, last_seq)
SELECT 'patient:' || rtrim(number, '0123456789'),
       max(CAST(substr(number, length(rtrim(number, '0123456789')) + 1) AS INTEGER))
FROM patients WHERE number IS NOT NULL GROUP BY 1
ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
INSERT INTO number_series (prefix, last_seq)
SELECT rtrim(number, '0123456789'),
       max(CAST(substr(number, length(rtrim(number, '0123456789')) + 1) AS INTEGER))
FROM purchase_orders WHERE number IS NOT NULL GROUP BY 1
ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
