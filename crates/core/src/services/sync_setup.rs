//! Setting up sync on the clinic's first device (admins): the clinic key made, the
//! clinic registered at the server with a token this device made and kept first, so a
//! lost answer, a crash or a kill between asking and storing leaves a request that can
//! simply be sent again (SECURITY-REVIEW.md M10). Used by `vetdesk sync setup`.

use rusqlite::OptionalExtension;

use crate::Error;
use crate::roles::{Actor, Permission};
use crate::server_address::ServerAddress;
use crate::store::Store;
use crate::sync::SyncError;
use crate::sync_http::new_device_token;

impl Store {
    /// Registers this clinic and this device at `server` and keeps the device's token;
    /// `registration_token` is the server operator's one-time token, where the server
    /// asks for one. Safe to call again after any failure: the same token is sent to
    /// the same server.
    pub fn set_up_sync(
        &mut self,
        actor: &Actor,
        server: &ServerAddress,
        registration_token: Option<&str>,
    ) -> Result<(), SyncError> {
        self.require_or_audit(actor, Permission::ManageDevices)?;
        if self.sync_credentials()?.is_some() {
            return Err(
                Error::NotAllowedNow("sync is already set up on this device".into()).into(),
            );
        }
        let clinic = self.clinic_id()?;
        self.ensure_clinic_key()?;
        let kept: Option<(Option<String>, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT setup_server_url, setup_token FROM sync_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(Error::from)?;
        let token = match kept {
            Some((Some(url), Some(token))) if url == server.as_str() => token,
            _ => {
                let token = new_device_token();
                self.conn()
                    .execute(
                        "UPDATE sync_state SET setup_server_url = ?1, setup_token = ?2 WHERE id = 1",
                        [server.as_str(), token.as_str()],
                    )
                    .map_err(Error::from)?;
                token
            }
        };
        self.transport_to(server.as_str(), None)?.create_clinic(
            clinic,
            self.device_id(),
            self.device_public_key()?,
            &token,
            registration_token,
        )?;
        self.set_sync_server(server, &token)?;
        let id = clinic.to_string();
        self.transact(actor, |tx| {
            tx.audit("sync.setup", "clinic", &id, server.as_str())
        })?;
        Ok(())
    }
}
