//! Derived indexes: what the domain keeps beside its rows (the client and patient
//! search index) in step with every write and every merge, in the same transaction.
//!
//! The engine does not know what an index shows. It tells each index which rows a
//! transaction created and which columns it wrote ([`DerivedIndex::note`]), and asks
//! each to bring itself up to date before the commit ([`DerivedIndex::refresh`]).
//! Which indexes exist is wired at the crate's root (`crate::derived_indexes`), so the
//! engine names no domain module.

use rusqlite::Connection;

use crate::Result;
use crate::changes::Value;

/// One derived index's view of a transaction.
pub(crate) trait DerivedIndex: std::fmt::Debug {
    /// `row` was created in this transaction (it has no index entry yet).
    fn fresh(&mut self, row: &str);
    /// A write of `columns` (all of them for a new row) of `row` in `table`.
    fn note(&mut self, table: &str, row: &str, columns: &[(&str, &Value)]);
    /// Rewrites the index entries of what was noted, before the transaction commits.
    fn refresh(self: Box<Self>, conn: &Connection) -> Result<()>;
}

/// Every derived index, for one transaction.
#[derive(Debug)]
pub(crate) struct Derived(Vec<Box<dyn DerivedIndex>>);

impl Default for Derived {
    fn default() -> Self {
        Self(crate::derived_indexes())
    }
}

impl Derived {
    pub(crate) fn fresh(&mut self, row: &str) {
        for index in &mut self.0 {
            index.fresh(row);
        }
    }

    pub(crate) fn note(&mut self, table: &str, row: &str, columns: &[(&str, &Value)]) {
        for index in &mut self.0 {
            index.note(table, row, columns);
        }
    }

    pub(crate) fn refresh(self, conn: &Connection) -> Result<()> {
        for index in self.0 {
            index.refresh(conn)?;
        }
        Ok(())
    }
}
