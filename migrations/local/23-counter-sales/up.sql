-- Counter sales (issue 17, requirement 1): a walk-in buys a bag of food with no
-- appointment, and the front desk finds it by name, SKU or the barcode it scans.
--
-- A catalog item gains its barcode (EAN/UPC or the supplier's code; synced like the
-- other cells), and the catalog gets a search-as-you-type index like clients and
-- patients have: FTS5 with prefix indexes over the name and the codes, kept by
-- triggers so a merged item is found at once. An invoice's client stays optional in
-- the table (a counter sale may have none); core requires one everywhere else.
ALTER TABLE catalog_items ADD COLUMN barcode TEXT;
CREATE INDEX catalog_items_barcode ON catalog_items (barcode) WHERE barcode IS NOT NULL;

CREATE VIRTUAL TABLE catalog_search USING fts5 (
    name, codes, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3', columnsize = 0
);

CREATE TRIGGER catalog_search_insert AFTER INSERT ON catalog_items
WHEN NEW.deleted = 0 BEGIN
    INSERT INTO catalog_search (rowid, name, codes)
    VALUES (NEW.rowid, COALESCE(NEW.name, ''),
            COALESCE(NEW.sku, '') || ' ' || COALESCE(NEW.barcode, ''));
END;

CREATE TRIGGER catalog_search_update AFTER UPDATE OF name, sku, barcode, deleted ON catalog_items
BEGIN
    DELETE FROM catalog_search WHERE rowid = OLD.rowid;
    INSERT INTO catalog_search (rowid, name, codes)
    SELECT NEW.rowid, COALESCE(NEW.name, ''),
           COALESCE(NEW.sku, '') || ' ' || COALESCE(NEW.barcode, '')
    WHERE NEW.deleted = 0;
END;

CREATE TRIGGER catalog_search_delete AFTER DELETE ON catalog_items BEGIN
    DELETE FROM catalog_search WHERE rowid = OLD.rowid;
END;

INSERT INTO catalog_search (rowid, name, codes)
SELECT rowid, COALESCE(name, ''), COALESCE(sku, '') || ' ' || COALESCE(barcode, '')
FROM catalog_items WHERE deleted = 0;
