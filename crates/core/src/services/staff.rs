//! Staff, rooms and signing in. Staff switch on a shared workstation by PIN (or a
//! password), checked against an Argon2id hash; only an admin manages staff.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::changes::Value;
use crate::roles::{Actor, Permission, Role, Roles};
use crate::schema::{ROOMS, STAFF};
use crate::store::Store;
use crate::validate;
use crate::write::Tx;
use crate::{Error, Result};

/// Shortest PIN accepted.
pub const MIN_PIN_CHARS: usize = 4;

/// Argon2id for PINs: 19 MiB, 2 passes (OWASP's minimum), so switching staff takes a
/// fraction of a second while each guess still costs an attacker the same.
fn pin_params() -> Result<Params> {
    Params::new(19 * 1024, 2, 1, None).map_err(|e| Error::Invalid {
        field: "pin",
        message: e.to_string(),
    })
}

/// The hasher of PINs made before they were keyed (see [`KEYED`]).
fn pin_hasher() -> Result<Argon2<'static>> {
    Ok(Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        pin_params()?,
    ))
}

/// Marks a PIN hash keyed with the clinic's PIN secret (Argon2's secret input): without
/// the secret — which is never in the change log, an export or the server — a copy of
/// the synced staff rows cannot be guessed at offline. Hashes without it (made before)
/// are replaced by keyed ones at the person's next sign-in.
const KEYED: &str = "k1$";

/// The clinic's PIN secret: derived from its first data key, which every device of
/// the clinic holds (sealed to it at enrollment) and which never leaves the devices.
pub(crate) fn pin_secret(conn: &rusqlite::Connection) -> Result<zeroize::Zeroizing<[u8; 32]>> {
    use sha2::{Digest, Sha256};
    let key: Option<Vec<u8>> = conn
        .query_row(
            "SELECT key FROM clinic_keys ORDER BY key_id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let key = zeroize::Zeroizing::new(key.ok_or_else(|| {
        Error::NotAllowedNow(
            "this device has not received the clinic's key yet, so PINs cannot be checked or set here".into(),
        )
    })?);
    let mut hasher = Sha256::new();
    hasher.update(b"vetdesk pin secret v1");
    hasher.update(key.as_slice());
    Ok(zeroize::Zeroizing::new(hasher.finalize().into()))
}

/// The same Argon2id, with the clinic's PIN secret as its secret input.
fn keyed_hasher(secret: &[u8]) -> Result<Argon2<'_>> {
    Argon2::new_with_secret(secret, Algorithm::Argon2id, Version::V0x13, pin_params()?).map_err(
        |e| Error::Invalid {
            field: "pin",
            message: e.to_string(),
        },
    )
}

fn hash_pin(conn: &rusqlite::Connection, pin: &str) -> Result<String> {
    if pin.chars().count() < MIN_PIN_CHARS {
        return Err(Error::Invalid {
            field: "pin",
            message: format!("must be at least {MIN_PIN_CHARS} characters"),
        });
    }
    let secret = pin_secret(conn)?;
    let mut salt_bytes = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| Error::Invalid {
        field: "pin",
        message: e.to_string(),
    })?;
    let hash = keyed_hasher(secret.as_slice())?
        .hash_password(pin.as_bytes(), &salt)
        .map_err(|e| Error::Invalid {
            field: "pin",
            message: e.to_string(),
        })?;
    Ok(format!("{KEYED}{hash}"))
}

/// Whether `pin` matches `stored`, a keyed hash (needs the clinic's PIN secret) or one
/// made before PINs were keyed.
fn pin_matches(conn: &rusqlite::Connection, pin: &str, stored: &str) -> Result<bool> {
    Ok(match stored.strip_prefix(KEYED) {
        Some(keyed) => {
            let secret = pin_secret(conn)?;
            let hasher = keyed_hasher(secret.as_slice())?;
            PasswordHash::new(keyed)
                .is_ok_and(|hash| hasher.verify_password(pin.as_bytes(), &hash).is_ok())
        }
        None => PasswordHash::new(stored).is_ok_and(|hash| {
            pin_hasher().is_ok_and(|h| h.verify_password(pin.as_bytes(), &hash).is_ok())
        }),
    })
}

/// Wrong PINs in a row (within [`PIN_FAILURE_WINDOW`]) before sign-in is paused.
pub const MAX_PIN_FAILURES: usize = 5;
/// How long the wrong PINs count.
pub const PIN_FAILURE_WINDOW: Duration = Duration::minutes(15);
/// How long sign-in is paused after too many wrong PINs: a 4-digit PIN then takes
/// days, not minutes, to guess at the keyboard.
pub const PIN_LOCKOUT: Duration = Duration::minutes(5);

/// How much longer sign-in stays paused, given the times of the latest wrong PINs
/// (newest first). Pure.
pub fn lockout_remaining(failures: &[OffsetDateTime], now: OffsetDateTime) -> Option<Duration> {
    let newest = *failures.first()?;
    let recent = failures
        .iter()
        .filter(|t| now - **t <= PIN_FAILURE_WINDOW)
        .count();
    let remaining = PIN_LOCKOUT - (now - newest);
    (recent >= MAX_PIN_FAILURES && remaining > Duration::ZERO).then_some(remaining)
}

/// Wrong PINs of a staff member (?1) typed on this device since their last sign-in
/// here, newest first (by insertion: two can share a time). Local only.
const RECENT_PIN_FAILURES: &str =
    "SELECT at FROM pin_failures WHERE staff_id = ?1 ORDER BY rowid DESC LIMIT ?2";

/// A staff member as lists show them (never the PIN hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub id: Uuid,
    pub name: String,
    pub roles: Roles,
    pub active: bool,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Room {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

pub const ROOM_KINDS: [&str; 4] = ["exam", "surgery", "ward", "other"];

fn validate_roles(roles: &Roles) -> Result<()> {
    if roles.is_empty() {
        return Err(Error::Invalid {
            field: "roles",
            message: format!(
                "choose at least one of: {}",
                Role::ALL.map(Role::as_str).join(", ")
            ),
        });
    }
    Ok(())
}

impl Tx<'_> {
    /// Adds a staff member (admin only, with the admin's second factor).
    pub fn add_staff(&mut self, name: &str, roles: Roles, pin: &str) -> Result<Uuid> {
        self.actor().require(Permission::ManageStaff)?;
        self.require_second_factor()?;
        self.insert_staff(name, roles, pin)
    }

    pub(crate) fn insert_staff(&mut self, name: &str, roles: Roles, pin: &str) -> Result<Uuid> {
        let name = validate::text("name", name, 120, false)?;
        validate_roles(&roles)?;
        let taken: bool = self
            .conn()
            .prepare_cached("SELECT 1 FROM staff WHERE lower(name) = lower(?1) AND deleted = 0")?
            .exists([&name])?;
        if taken {
            return Err(Error::Invalid {
                field: "name",
                message: format!("{name} is already on the staff list"),
            });
        }
        let id = self.new_id();
        let created_at = self.now_text();
        self.insert(
            &STAFF,
            id,
            vec![
                ("name", Value::text(&name)),
                ("roles", Value::Text(roles.to_stored())),
                ("pin_hash", Value::Text(hash_pin(self.conn(), pin)?)),
                ("active", Value::Int(1)),
                ("created_at", Value::Text(created_at)),
            ],
        )?;
        self.audit(
            "staff.add",
            "staff",
            &id.to_string(),
            &format!("{name} ({})", roles.to_stored()),
        )?;
        Ok(id)
    }

    /// Changes a staff member's roles (admin only, with the admin's second factor).
    pub fn set_staff_roles(&mut self, staff: Uuid, roles: Roles) -> Result<()> {
        self.actor().require(Permission::ManageStaff)?;
        self.require_second_factor()?;
        validate_roles(&roles)?;
        self.update(
            &STAFF,
            staff,
            vec![("roles", Value::Text(roles.to_stored()))],
        )?;
        self.audit(
            "staff.roles",
            "staff",
            &staff.to_string(),
            &roles.to_stored(),
        )
    }

    /// Stops a staff member from signing in (admin only, with the admin's second
    /// factor); their records stay.
    pub fn deactivate_staff(&mut self, staff: Uuid) -> Result<()> {
        self.actor().require(Permission::ManageStaff)?;
        self.require_second_factor()?;
        if staff == self.actor().staff_id {
            return Err(Error::NotAllowedNow(
                "you cannot deactivate yourself".into(),
            ));
        }
        self.update(&STAFF, staff, vec![("active", Value::Int(0))])?;
        self.audit("staff.deactivate", "staff", &staff.to_string(), "")
    }

    /// Changes a PIN: one's own, or anyone's for an admin (with the admin's second
    /// factor: setting someone's PIN lets one sign in as them).
    pub fn set_pin(&mut self, staff: Uuid, pin: &str) -> Result<()> {
        if staff != self.actor().staff_id {
            self.actor().require(Permission::ManageStaff)?;
            self.require_second_factor()?;
        }
        self.update(
            &STAFF,
            staff,
            vec![("pin_hash", Value::Text(hash_pin(self.conn(), pin)?))],
        )?;
        self.audit("staff.pin", "staff", &staff.to_string(), "")
    }

    /// Adds a room (admin only).
    pub fn add_room(&mut self, name: &str, kind: &str) -> Result<Uuid> {
        self.actor().require(Permission::ManageClinic)?;
        let name = validate::text("room name", name, 80, false)?;
        let kind = validate::one_of("room kind", kind, &ROOM_KINDS)?;
        let id = self.new_id();
        self.insert(
            &ROOMS,
            id,
            vec![("name", Value::text(&name)), ("kind", Value::text(kind))],
        )?;
        self.audit("room.add", "room", &id.to_string(), &name)?;
        Ok(id)
    }
}

impl Store {
    /// Creates the clinic's first staff member, an admin with any other roles given.
    /// Only possible while the store has no staff at all.
    pub fn bootstrap_owner(
        &mut self,
        name: &str,
        mut roles: Vec<Role>,
        pin: &str,
    ) -> Result<Actor> {
        let has_staff: bool = self
            .conn()
            .prepare("SELECT 1 FROM staff LIMIT 1")?
            .exists([])?;
        if has_staff {
            return Err(Error::NotAllowedNow(
                "this clinic already has staff: an admin adds new staff members".into(),
            ));
        }
        roles.push(Role::Admin);
        let roles = Roles::new(roles);
        let id = self.transact(&Actor::system(), |tx| {
            tx.insert_staff(name, roles.clone(), pin)
        })?;
        Ok(Actor {
            staff_id: id,
            name: name.trim().to_string(),
            roles,
        })
    }

    /// Signs a staff member in by name or id and PIN. A wrong PIN is audited.
    pub fn sign_in(&mut self, who: &str, pin: &str) -> Result<Actor> {
        let found = self
            .conn()
            .prepare_cached(
                "SELECT id, name, roles, pin_hash, active FROM staff
                 WHERE (id = ?1 OR lower(name) = lower(?1)) AND deleted = 0",
            )?
            .query_row([who.trim()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })
            .optional()?;
        let Some((id, name, roles, hash, active)) = found else {
            return Err(Error::NotFound {
                entity: "staff member",
                id: who.to_string(),
            });
        };
        let staff_id = crate::stored::id("staff id", &id)?;
        let actor = Actor {
            staff_id,
            name: name.unwrap_or_default(),
            roles: Roles::parse(roles.as_deref().unwrap_or("")),
        };
        if active != Some(1) {
            return Err(Error::NotAllowedNow(format!(
                "{} is no longer active",
                actor.name
            )));
        }
        let failures = self.recent_pin_failures(&id)?;
        if let Some(wait) = lockout_remaining(&failures, self.now()) {
            return Err(Error::NotAllowedNow(format!(
                "too many wrong PINs for {}: try again in {} minute(s), or ask an admin",
                actor.name,
                wait.whole_minutes() + 1
            )));
        }
        let matches = match hash.as_deref() {
            Some(stored) => pin_matches(self.conn(), pin, stored)?,
            None => false,
        };
        if !matches {
            self.transact(&actor, |tx| {
                tx.conn().execute(
                    "INSERT INTO pin_failures (staff_id, at) VALUES (?1, ?2)",
                    params![id, tx.now_text()],
                )?;
                tx.audit("auth.failed", "staff", &id, "")
            })?;
            return Err(Error::WrongPin);
        }
        let rehash = !hash.as_deref().is_some_and(|h| h.starts_with(KEYED));
        self.transact(&actor, |tx| {
            tx.conn()
                .execute("DELETE FROM pin_failures WHERE staff_id = ?1", [&id])?;
            // Someone else at this workstation now: whoever confirmed a second factor
            // here before no longer stands confirmed.
            tx.conn().execute(
                "DELETE FROM second_factor_windows WHERE staff_id <> ?1",
                [&id],
            )?;
            if rehash {
                // Made before PINs were keyed: replaced by a keyed hash now that the PIN is known.
                tx.update(
                    &STAFF,
                    staff_id,
                    vec![("pin_hash", Value::Text(hash_pin(tx.conn(), pin)?))],
                )?;
            }
            tx.audit("auth.sign_in", "staff", &id, "")
        })?;
        Ok(actor)
    }

    /// `actor` as the store knows them now: roles changed on another device since they
    /// signed in take effect at once; `None` once they were deactivated or removed (the
    /// session must end). The system actor stays as it is.
    pub fn refresh_actor(&self, actor: &Actor) -> Result<Option<Actor>> {
        if actor.staff_id.is_nil() {
            return Ok(Some(actor.clone()));
        }
        let found: Option<(Option<String>, Option<String>, Option<i64>)> = self
            .conn()
            .prepare_cached("SELECT name, roles, active FROM staff WHERE id = ?1 AND deleted = 0")?
            .query_row([actor.staff_id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        Ok(match found {
            Some((name, roles, Some(1))) => Some(Actor {
                staff_id: actor.staff_id,
                name: name.unwrap_or_else(|| actor.name.clone()),
                roles: Roles::parse(roles.as_deref().unwrap_or("")),
            }),
            _ => None,
        })
    }

    /// When this staff member's wrong PINs on this device since their last sign-in
    /// here were entered, newest first (at most `MAX_PIN_FAILURES`).
    fn recent_pin_failures(&self, staff: &str) -> Result<Vec<OffsetDateTime>> {
        let mut stmt = self.conn().prepare_cached(RECENT_PIN_FAILURES)?;
        let times = stmt
            .query_map(params![staff, MAX_PIN_FAILURES as i64], |r| {
                r.get::<_, Option<String>>(0)
            })?
            .filter_map(|at| at.ok().flatten())
            .filter_map(|at| OffsetDateTime::parse(&at, &Rfc3339).ok())
            .collect();
        Ok(times)
    }

    /// Whether anyone is on the staff yet: before the first admin exists nobody can
    /// sign in, and the first `staff add` makes them (see [`Store::bootstrap_owner`]).
    pub fn has_staff(&self) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM staff WHERE deleted = 0 AND name IS NOT NULL)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Who may sign in here: active staff, names and roles only (the sign-in screen,
    /// shown before anyone has signed in).
    pub fn sign_in_roster(&self) -> Result<Vec<StaffMember>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, roles FROM staff
             WHERE deleted = 0 AND active = 1 AND name IS NOT NULL ORDER BY name",
        )?;
        let roster = stmt
            .query_map([], |r| {
                Ok(StaffMember {
                    id: crate::stored::row_id(r, 0, "staff id")?,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    roles: Roles::parse(&r.get::<_, Option<String>>(2)?.unwrap_or_default()),
                    active: true,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(roster)
    }
}

impl crate::Rx<'_> {
    /// Everyone on the staff, active or not (past records name people who have left).
    pub fn staff(&self) -> Result<Vec<StaffMember>> {
        self.require(Permission::ViewClinic)?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, roles, active FROM staff WHERE deleted = 0 AND name IS NOT NULL ORDER BY name",
        )?;
        let staff = stmt
            .query_map([], |r| {
                Ok(StaffMember {
                    id: crate::stored::row_id(r, 0, "staff id")?,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    roles: Roles::parse(&r.get::<_, Option<String>>(2)?.unwrap_or_default()),
                    active: r.get::<_, Option<i64>>(3)? == Some(1),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(staff)
    }

    pub fn rooms(&self) -> Result<Vec<Room>> {
        self.require(Permission::ViewClinic)?;
        let mut stmt = self.conn().prepare_cached(
            // Rooms only: equipment is listed with `resources`.
            "SELECT id, name, kind FROM rooms
             WHERE deleted = 0 AND name IS NOT NULL AND coalesce(category, 'room') != 'equipment'
             ORDER BY name",
        )?;
        let rooms = stmt
            .query_map([], |r| {
                Ok(Room {
                    id: crate::stored::row_id(r, 0, "room id")?,
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    kind: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rooms)
    }
}

/// Whether a staff member exists, is active, and holds `role`.
pub(crate) fn staff_has_role(tx: &Tx<'_>, staff: Uuid, role: Role) -> Result<bool> {
    let roles: Option<Option<String>> = tx
        .conn()
        .prepare_cached("SELECT roles FROM staff WHERE id = ?1 AND deleted = 0 AND active = 1")?
        .query_row(params![staff.to_string()], |r| r.get(0))
        .optional()?;
    Ok(roles
        .flatten()
        .is_some_and(|r| Roles::parse(&r).contains(role)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrong_pin_lookup_uses_its_index() -> crate::Result<()> {
        let mut conn = rusqlite::Connection::open_in_memory()?;
        crate::migrations::migrate(&mut conn)?;
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {RECENT_PIN_FAILURES}"))?
            .query_map(params!["s", 5], |r| r.get(3))?
            .collect::<Result<_, _>>()?;
        let plan = plan.join("\n");
        assert!(plan.contains("pin_failures_staff"), "{plan}");
        Ok(())
    }

    #[test]
    fn a_keyed_pin_hash_needs_the_clinic_secret() -> crate::Result<()> {
        let mut conn = rusqlite::Connection::open_in_memory()?;
        crate::migrations::migrate(&mut conn)?;
        assert!(hash_pin(&conn, "1234").is_err(), "no clinic key, no PIN");
        conn.execute(
            "INSERT INTO clinic_keys (key_id, key, created_at) VALUES (1, ?1, 'now')",
            [[7u8; 32].as_slice()],
        )?;
        let stored = hash_pin(&conn, "1234")?;
        assert!(stored.starts_with(KEYED), "{stored}");
        assert!(pin_matches(&conn, "1234", &stored)?);
        assert!(!pin_matches(&conn, "1235", &stored)?);
        // The same hash, checked without the clinic's secret (as by anyone holding only
        // the synced rows), matches nothing: the plain Argon2id of the PIN is not it.
        let bare = stored.strip_prefix(KEYED).unwrap_or_default();
        let hash = PasswordHash::new(bare).map_err(|e| Error::Invalid {
            field: "pin",
            message: e.to_string(),
        })?;
        assert!(pin_hasher()?.verify_password(b"1234", &hash).is_err());
        // Another clinic's secret does not open it either.
        conn.execute("UPDATE clinic_keys SET key = ?1", [[8u8; 32].as_slice()])?;
        assert!(!pin_matches(&conn, "1234", &stored)?);
        Ok(())
    }

    #[test]
    fn five_wrong_pins_pause_sign_in_for_five_minutes() {
        let now = OffsetDateTime::from_unix_timestamp(1_795_338_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let ago = |s: i64| now - Duration::seconds(s);
        // (failures newest first, paused?)
        let cases: [(Vec<OffsetDateTime>, bool); 5] = [
            (vec![], false),
            (vec![ago(1), ago(2), ago(3), ago(4)], false),
            (vec![ago(1), ago(2), ago(3), ago(4), ago(5)], true),
            (
                vec![ago(301), ago(302), ago(303), ago(304), ago(305)],
                false,
            ),
            (vec![ago(1), ago(2), ago(3), ago(4), ago(20 * 60)], false),
        ];
        for (failures, paused) in cases {
            assert_eq!(
                lockout_remaining(&failures, now).is_some(),
                paused,
                "{failures:?}"
            );
        }
    }
}
