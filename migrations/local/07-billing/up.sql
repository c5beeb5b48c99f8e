-- Billing, stock and controlled drugs (issue 7). Amounts are integer cents, quantities
-- integer thousandths of a unit (crates/billing). Stock on hand is never stored: it is
-- the sum of append-only movements, so two registers selling offline both count.

-- Products and services (last-writer-wins per column, like every editable record).
CREATE TABLE catalog_items (
    id                   TEXT PRIMARY KEY NOT NULL,
    _hlc                 BLOB,
    deleted              INTEGER NOT NULL DEFAULT 0,
    sku                  TEXT,
    name                 TEXT,
    kind                 TEXT,      -- service | product | drug
    unit                 TEXT,      -- what one of it is: visit, tablet, ml, vial, bag…
    price_cents          INTEGER,   -- net of VAT, per unit
    vat_rate_bp          INTEGER,   -- basis points: 2000 = 20 %
    schedule             TEXT,      -- controlled-drug schedule (2–5), or NULL
    reorder_level_milli  INTEGER,
    dose_ranges          TEXT       -- JSON: [{species, min_mg_per_kg, max_mg_per_kg}]
) STRICT;
CREATE INDEX catalog_items_sku ON catalog_items (sku);
CREATE INDEX catalog_items_name ON catalog_items (lower(name));

CREATE TABLE stock_lots (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    deleted       INTEGER NOT NULL DEFAULT 0,
    item_id       TEXT,
    lot_number    TEXT,
    expires_on    TEXT,            -- YYYY-MM-DD, or NULL
    cost_cents    INTEGER,         -- what one unit cost (stock valuation)
    received_at   TEXT
) STRICT;
CREATE INDEX stock_lots_item ON stock_lots (item_id);

-- Facts: received, dispensed, sold, adjusted, written off, transferred. Never updated.
CREATE TABLE stock_movements (
    id              TEXT PRIMARY KEY NOT NULL,
    _hlc            BLOB,
    item_id         TEXT,
    lot_id          TEXT,
    kind            TEXT,          -- receive | dispense | sell | adjust | write_off | transfer
    quantity_milli  INTEGER,       -- signed: + into stock, − out of it
    invoice_id      TEXT,
    line_id         TEXT,
    patient_id      TEXT,
    reason          TEXT,
    moved_by        TEXT,
    moved_at        TEXT,
    device_id       TEXT
) STRICT;
CREATE INDEX stock_movements_item ON stock_movements (item_id, lot_id);
CREATE INDEX stock_movements_invoice ON stock_movements (invoice_id);

CREATE TABLE stock_counts (
    id              TEXT PRIMARY KEY NOT NULL,
    _hlc            BLOB,
    item_id         TEXT,
    lot_id          TEXT,
    counted_milli   INTEGER,
    expected_milli  INTEGER,       -- on hand (or the register's balance) when counted
    counted_by      TEXT,
    counted_at      TEXT,
    note            TEXT
) STRICT;
CREATE INDEX stock_counts_item ON stock_counts (item_id, counted_at);

-- Estimates, invoices and credit notes. A finalized document is frozen: its lines and
-- totals are kept in `snapshot` (canonical JSON) with its SHA-256.
CREATE TABLE invoices (
    id              TEXT PRIMARY KEY NOT NULL,
    _hlc            BLOB,
    deleted         INTEGER NOT NULL DEFAULT 0,
    kind            TEXT,          -- estimate | invoice | credit_note
    status          TEXT,          -- draft | finalized | void
    client_id       TEXT,
    patient_id      TEXT,
    encounter_id    TEXT,
    vet_id          TEXT,
    register        TEXT,          -- the finalizing workstation's series
    number          TEXT,
    source_id       TEXT,          -- the estimate invoiced, or the invoice credited
    created_at      TEXT,
    finalized_at    TEXT,
    finalized_by    TEXT,
    total_cents     INTEGER,
    snapshot        TEXT,
    snapshot_hash   TEXT,
    void_reason     TEXT,
    note            TEXT
) STRICT;
CREATE INDEX invoices_client ON invoices (client_id);
CREATE INDEX invoices_encounter ON invoices (encounter_id);
CREATE INDEX invoices_finalized ON invoices (finalized_at);
CREATE INDEX invoices_number ON invoices (register, number);

CREATE TABLE invoice_lines (
    id                TEXT PRIMARY KEY NOT NULL,
    _hlc              BLOB,
    deleted           INTEGER NOT NULL DEFAULT 0,
    invoice_id        TEXT,
    position          INTEGER,
    item_id           TEXT,
    description       TEXT,
    quantity_milli    INTEGER,
    unit_price_cents  INTEGER,
    vat_rate_bp       INTEGER,
    discount_bp       INTEGER,
    prescription_id   TEXT,
    added_by          TEXT
) STRICT;
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);
CREATE INDEX invoice_lines_item ON invoice_lines (item_id);

-- Payments (refunds are negative), facts like stock movements.
CREATE TABLE payments (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    invoice_id    TEXT,
    client_id     TEXT,
    method        TEXT,            -- cash | card | transfer
    amount_cents  INTEGER,
    register      TEXT,
    taken_by      TEXT,
    taken_at      TEXT,
    reference     TEXT
) STRICT;
CREATE INDEX payments_invoice ON payments (invoice_id);
CREATE INDEX payments_client ON payments (client_id);
CREATE INDEX payments_register ON payments (register, taken_at);

-- The controlled-drug register: one entry per movement of a scheduled drug, chained
-- per device by SHA-256 like the audit log, with the running balance the writer saw.
CREATE TABLE controlled_register (
    id              TEXT PRIMARY KEY NOT NULL,
    _hlc            BLOB,
    device_id       TEXT,
    chain_index     INTEGER,
    prev_hash       BLOB,
    hash            BLOB,
    item_id         TEXT,
    lot_id          TEXT,
    patient_id      TEXT,
    movement_id     TEXT,
    kind            TEXT,
    quantity_milli  INTEGER,
    balance_milli   INTEGER,
    recorded_by     TEXT,
    recorded_at     TEXT,
    note            TEXT
) STRICT;
CREATE INDEX controlled_register_chain ON controlled_register (device_id, chain_index);
CREATE INDEX controlled_register_item ON controlled_register (item_id, recorded_at);

-- Daily close per register.
CREATE TABLE z_reports (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    register    TEXT,
    day         TEXT,
    number      TEXT,
    report      TEXT,              -- canonical JSON of the totals
    closed_by   TEXT,
    closed_at   TEXT
) STRICT;
CREATE INDEX z_reports_register ON z_reports (register, day);

-- ------------------------------------------------------------ derived, local only
-- Sums kept by triggers as rows arrive (written here or merged from another device;
-- INSERT OR IGNORE of a row already held fires nothing), so stock on hand, a
-- controlled drug's register balance and the next number of a series are one lookup
-- however long the history. Never synced: each device derives its own.
CREATE TABLE stock_on_hand (
    item_id         TEXT NOT NULL,
    lot_id          TEXT NOT NULL,     -- '' for movements without a lot
    quantity_milli  INTEGER NOT NULL,
    PRIMARY KEY (item_id, lot_id)
) STRICT;
CREATE TRIGGER stock_movements_sum AFTER INSERT ON stock_movements BEGIN
    INSERT INTO stock_on_hand (item_id, lot_id, quantity_milli)
    VALUES (NEW.item_id, COALESCE(NEW.lot_id, ''), COALESCE(NEW.quantity_milli, 0))
    ON CONFLICT (item_id, lot_id) DO UPDATE
        SET quantity_milli = quantity_milli + excluded.quantity_milli;
END;

CREATE TABLE controlled_balance (
    item_id         TEXT PRIMARY KEY NOT NULL,
    quantity_milli  INTEGER NOT NULL
) STRICT;
CREATE TRIGGER controlled_register_sum AFTER INSERT ON controlled_register BEGIN
    INSERT INTO controlled_balance (item_id, quantity_milli)
    VALUES (NEW.item_id, COALESCE(NEW.quantity_milli, 0))
    ON CONFLICT (item_id) DO UPDATE
        SET quantity_milli = quantity_milli + excluded.quantity_milli;
END;

-- The highest number issued in each series (`7F3A2C-`, `CN-7F3A2C-`, `Z-7F3A2C-`): the
-- prefix is the number without its trailing digits.
CREATE TABLE number_series (
    prefix    TEXT PRIMARY KEY NOT NULL,
    last_seq  INTEGER NOT NULL
) STRICT;
CREATE TRIGGER invoice_number_set AFTER UPDATE OF number ON invoices
WHEN NEW.number IS NOT NULL BEGIN
    INSERT INTO number_series (prefix, last_seq)
    VALUES (rtrim(NEW.number, '0123456789'),
            CAST(substr(NEW.number, length(rtrim(NEW.number, '0123456789')) + 1) AS INTEGER))
    ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
END;
CREATE TRIGGER invoice_number_insert AFTER INSERT ON invoices
WHEN NEW.number IS NOT NULL BEGIN
    INSERT INTO number_series (prefix, last_seq)
    VALUES (rtrim(NEW.number, '0123456789'),
            CAST(substr(NEW.number, length(rtrim(NEW.number, '0123456789')) + 1) AS INTEGER))
    ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
END;
CREATE TRIGGER z_report_number AFTER INSERT ON z_reports
WHEN NEW.number IS NOT NULL BEGIN
    INSERT INTO number_series (prefix, last_seq)
    VALUES (rtrim(NEW.number, '0123456789'),
            CAST(substr(NEW.number, length(rtrim(NEW.number, '0123456789')) + 1) AS INTEGER))
    ON CONFLICT (prefix) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq);
END;

-- Draft invoices are few among a year of finalized ones: reservations start there.
CREATE INDEX invoices_status ON invoices (status, kind);

-- Each finalization of a document, as a fact. Two registers that finalize the same
-- draft offline both give it a number and both take its stock; after sync the
-- document shows two finalizations until an admin settles it (the stock the other
-- one took goes back; its number stays used, marked in the settlement).
CREATE TABLE invoice_finalizations (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    invoice_id    TEXT,
    register      TEXT,
    number        TEXT,
    total_cents   INTEGER,
    finalized_by  TEXT,
    finalized_at  TEXT
) STRICT;
CREATE INDEX invoice_finalizations_invoice ON invoice_finalizations (invoice_id);

CREATE TABLE finalization_settlements (
    id             TEXT PRIMARY KEY NOT NULL,
    _hlc           BLOB,
    invoice_id     TEXT,
    kept_register  TEXT,
    settled_by     TEXT,
    settled_at     TEXT
) STRICT;
CREATE INDEX finalization_settlements_invoice ON finalization_settlements (invoice_id);
