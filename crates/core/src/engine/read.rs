//! The read door: [`Rx`], the only way to read the clinic's records.
//!
//! Writes go through [`crate::Tx`], which carries the actor; reads go through `Rx`,
//! which carries the same actor and the time. Every public read on `Rx` states the
//! permission it needs once, as its first line (`self.require(..)`); a refusal is a
//! typed [`Error::Forbidden`] that [`Store::read`] audits, as [`Store::transact`] audits
//! a refused write. Inside a write, [`crate::Tx::read`] gives the same door over the
//! write's own transaction (a refusal there rolls the write back and is audited by
//! `transact`).
//!
//! `Store::read` runs in one SQLite read transaction, so a read model made of several
//! queries (an invoice's header, lines and payments) sees one consistent snapshot even
//! while the sync engine applies changes on another connection.
//!
//! Helpers shared by reads and writes (`pub(crate)`, no permission of their own) live
//! on `Rx` too, so there is one copy of each query. The tidy test
//! `every_public_read_goes_through_the_door` (crates/core/tests/tidy.rs) fails if a
//! service reads on `Store`, takes a bare `&Connection`, or if a public `Rx` read does
//! not start with its permission.

use rusqlite::Connection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::roles::{Actor, Permission};
use crate::{Error, Result, Store};

/// One read, on behalf of one person, at one time.
#[derive(Debug)]
pub struct Rx<'c> {
    conn: &'c Connection,
    actor: &'c Actor,
    now: OffsetDateTime,
    device: Uuid,
}

impl<'c> Rx<'c> {
    pub(crate) fn new(
        conn: &'c Connection,
        actor: &'c Actor,
        now: OffsetDateTime,
        device: Uuid,
    ) -> Self {
        Self {
            conn,
            actor,
            now,
            device,
        }
    }

    /// Who is reading.
    pub fn actor(&self) -> &Actor {
        self.actor
    }

    /// The time of this read (the store's clock, so tests can fix it).
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// The device reading (its register, its own rows).
    pub fn device(&self) -> Uuid {
        self.device
    }

    /// Whether the reader holds `permission`: for read models that show more to some
    /// roles (a chart's prescriptions), decided here rather than in a shell.
    pub fn can(&self, permission: Permission) -> bool {
        self.actor.can(permission)
    }

    /// The permission check every public read starts with. The refusal is audited by
    /// whoever opened the door ([`Store::read`] or [`Store::transact`]).
    pub(crate) fn require(&self, permission: Permission) -> Result<()> {
        self.actor.require(permission)
    }

    /// For reads that either of two roles' permissions allows (the stock reports:
    /// stock keepers and the owner). Refused as the first permission.
    pub(crate) fn require_any(&self, permissions: &[Permission]) -> Result<()> {
        match permissions.iter().find(|p| self.actor.can(**p)) {
            Some(_) => Ok(()),
            None => self.actor.require(
                permissions
                    .first()
                    .copied()
                    .unwrap_or(Permission::ManageClinic),
            ),
        }
    }

    pub(crate) fn conn(&self) -> &'c Connection {
        self.conn
    }
}

impl Store {
    /// Runs `work` as one consistent read on behalf of `actor`. A read refused for want
    /// of permission is audited and answered `Forbidden`.
    pub fn read<T>(&mut self, actor: &Actor, work: impl FnOnce(&Rx<'_>) -> Result<T>) -> Result<T> {
        let now = self.now();
        let outcome = {
            // Dropped without commit: a read transaction has nothing to keep.
            let snapshot = self.conn().unchecked_transaction()?;
            let rx = Rx::new(&snapshot, actor, now, self.device_id());
            work(&rx)
        };
        if let Err(Error::Forbidden { action, .. }) = &outcome {
            self.audit_refusal(actor, action)?;
        }
        outcome
    }
}

impl crate::Tx<'_> {
    /// The read door over this write's own transaction: what the write has done so far
    /// is visible, and a refused read refuses the write.
    pub fn read(&self) -> Rx<'_> {
        Rx::new(self.conn(), self.actor(), self.now(), self.device())
    }
}
