-- Catalog prices and purchase orders (issue 17, requirement 2).
--
-- - Every price a catalog item has had is a fact (`catalog_price_changes`): who set it
--   and when, so the catalog shows its price history (from this version on: items made
--   before it show their current price alone). A finalized document keeps the
--   price it was printed with (its snapshot); a later price change does not touch it.
-- - Purchase orders to a supplier, numbered from the ordering device's own series
--   (`PO-7F3A2C-3`, like invoices, so two devices never collide offline), with their
--   lines; a delivery is received against an order line into a lot, and the stock
--   movement names that line (`stock_movements.order_line_id`), so what is still due
--   — partial deliveries — is the ordered quantity less the movements' sum.
CREATE TABLE catalog_price_changes (
    id            TEXT PRIMARY KEY NOT NULL,
    _hlc          BLOB,
    item_id       TEXT NOT NULL,
    price_cents   INTEGER,
    vat_rate_bp   INTEGER,
    changed_by    TEXT,
    changed_at    TEXT
) STRICT;
CREATE INDEX catalog_price_changes_by_item ON catalog_price_changes (item_id, changed_at);

CREATE TABLE purchase_orders (
    id          TEXT PRIMARY KEY NOT NULL,
    _hlc        BLOB,
    deleted     INTEGER NOT NULL DEFAULT 0,
    number      TEXT,
    supplier    TEXT,
    status      TEXT,      -- draft | ordered | cancelled (received is derived)
    note        TEXT,
    created_by  TEXT,
    created_at  TEXT,
    ordered_at  TEXT
) STRICT;
CREATE INDEX purchase_orders_by_number ON purchase_orders (number) WHERE number IS NOT NULL;

CREATE TABLE purchase_order_lines (
    id              TEXT PRIMARY KEY NOT NULL,
    _hlc            BLOB,
    deleted         INTEGER NOT NULL DEFAULT 0,
    order_id        TEXT,
    item_id         TEXT,
    quantity_milli  INTEGER,
    cost_cents      INTEGER
) STRICT;
CREATE INDEX purchase_order_lines_by_order ON purchase_order_lines (order_id);

ALTER TABLE stock_movements ADD COLUMN order_line_id TEXT;
CREATE INDEX stock_movements_by_order_line ON stock_movements (order_line_id)
    WHERE order_line_id IS NOT NULL;

