//! The admins' second factor in the store: enrolling an authenticator app (a QR code,
//! then a first code to prove it was scanned), confirming with a code or a single-use
//! recovery code, and the rule that admin acts — approving or revoking a device, adding
//! staff, changing roles, resetting someone's PIN or authenticator, deactivating staff —
//! need a confirmation from the last few minutes ([`CONFIRMED_FOR`]) on this device.
//!
//! The secret and the recovery-code hashes are synced in the staff row (the change log is
//! end-to-end encrypted; exports leave them out), so an admin confirms on any of the
//! clinic's devices; the last accepted code step is synced too, so a code is not taken
//! twice. What this guards is the person at the keyboard: a PIN seen over a shoulder at a
//! shared workstation no longer approves a device or makes someone an admin. A hostile
//! *device* is a different boundary (signatures and managing devices, `crate::members`).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::changes::Value;
use crate::roles::{Actor, Permission};
use crate::schema::STAFF;
use crate::second_factor::{self as totp, TotpSecret};
use crate::services::staff::{lockout_remaining, pin_secret};
use crate::store::Store;
use crate::write::Tx;
use crate::{Error, Result};

/// How long a confirmed second factor stands on this device: long enough for a run of
/// admin acts, short enough that a workstation left open does not keep it.
pub const CONFIRMED_FOR: Duration = Duration::minutes(5);

/// What an authenticator app needs to be set up: the secret (to type in), its address
/// and the same as a QR code. Nothing is stored until a first code proves it was scanned
/// ([`Store::finish_second_factor`]).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecondFactorSetup {
    /// Base 32, as apps ask for it when typed by hand.
    pub secret: String,
    /// The `otpauth://totp/…` address the QR code carries.
    pub uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
    /// The QR code drawn with block characters, for a terminal.
    pub qr_text: String,
}

/// Whether a staff member has a second factor, and whether it stands confirmed here.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecondFactorStatus {
    pub enrolled: bool,
    /// Recovery codes not yet used.
    pub recovery_codes_left: u32,
    /// RFC 3339; `None` when admin acts would ask for a code now.
    pub confirmed_until: Option<String>,
}

/// A staff member's second factor as stored.
struct Stored {
    secret: Option<String>,
    recovery: Vec<String>,
    last_step: Option<u64>,
}

fn stored(conn: &rusqlite::Connection, staff: Uuid) -> Result<Stored> {
    let row: Option<(Option<String>, Option<String>, Option<i64>)> = conn
        .prepare_cached(
            "SELECT totp_secret, totp_recovery, totp_last_step FROM staff
             WHERE id = ?1 AND deleted = 0",
        )?
        .query_row([staff.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((secret, recovery, last_step)) = row else {
        return Err(Error::NotFound {
            entity: "staff member",
            id: staff.to_string(),
        });
    };
    Ok(Stored {
        secret: secret.filter(|s| !s.is_empty()),
        recovery: recovery
            .and_then(|r| serde_json::from_str(&r).ok())
            .unwrap_or_default(),
        last_step: last_step.and_then(|s| u64::try_from(s).ok()),
    })
}

/// Until when `staff`'s second factor stands confirmed on this device, if it does now.
fn confirmed_until(
    conn: &rusqlite::Connection,
    staff: Uuid,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>> {
    let until: Option<String> = conn
        .prepare_cached("SELECT until FROM second_factor_windows WHERE staff_id = ?1")?
        .query_row([staff.to_string()], |r| r.get(0))
        .optional()?;
    Ok(until
        .and_then(|u| OffsetDateTime::parse(&u, &Rfc3339).ok())
        // A window longer than CONFIRMED_FOR from now means the clock went back: not trusted.
        .filter(|u| *u > now && *u - now <= CONFIRMED_FOR))
}

/// `Ok` when `actor` may do an admin act now: a person (not the store itself) needs a
/// second factor enrolled and confirmed on this device within [`CONFIRMED_FOR`].
pub(crate) fn require_confirmed(
    conn: &rusqlite::Connection,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<()> {
    if actor.staff_id.is_nil() {
        return Ok(());
    }
    if confirmed_until(conn, actor.staff_id, now)?.is_some() {
        return Ok(());
    }
    if stored(conn, actor.staff_id)?.secret.is_none() {
        return Err(Error::SecondFactorNotEnrolled(actor.name.clone()));
    }
    Err(Error::SecondFactorRequired(actor.name.clone()))
}

/// Wrong codes of `staff` typed on this device lately, newest first.
fn recent_failures(conn: &rusqlite::Connection, staff: Uuid) -> Result<Vec<OffsetDateTime>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at FROM second_factor_failures WHERE staff_id = ?1 ORDER BY rowid DESC LIMIT ?2",
    )?;
    let times = stmt
        .query_map(
            params![
                staff.to_string(),
                crate::services::staff::MAX_PIN_FAILURES as i64
            ],
            |r| r.get::<_, String>(0),
        )?
        .filter_map(|at| at.ok())
        .filter_map(|at| OffsetDateTime::parse(&at, &Rfc3339).ok())
        .collect();
    Ok(times)
}

fn refuse_while_paused(
    conn: &rusqlite::Connection,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<()> {
    if let Some(wait) = lockout_remaining(&recent_failures(conn, actor.staff_id)?, now) {
        return Err(Error::NotAllowedNow(format!(
            "too many wrong codes for {}: try again in {} minute(s)",
            actor.name,
            wait.whole_minutes() + 1
        )));
    }
    Ok(())
}

fn text(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

impl Tx<'_> {
    /// `Ok` when the acting staff member's second factor stands confirmed on this device
    /// (see [`require_confirmed`]); every admin act asks this after its permission.
    pub fn require_second_factor(&self) -> Result<()> {
        require_confirmed(self.conn(), self.actor(), self.now())
    }

    /// Opens the confirmation window of the acting staff member on this device.
    fn open_window(&mut self) -> Result<()> {
        let staff = self.actor().staff_id.to_string();
        let until = text(self.now() + CONFIRMED_FOR);
        self.conn().execute(
            "INSERT INTO second_factor_windows (staff_id, until) VALUES (?1, ?2)
             ON CONFLICT (staff_id) DO UPDATE SET until = excluded.until",
            params![staff, until],
        )?;
        self.conn().execute(
            "DELETE FROM second_factor_failures WHERE staff_id = ?1",
            [&staff],
        )?;
        Ok(())
    }

    /// Removes `staff`'s authenticator and recovery codes (an admin act, for someone who
    /// lost their phone and codes); they enroll again before their next admin act.
    pub fn reset_second_factor(&mut self, staff: Uuid) -> Result<()> {
        self.actor().require(Permission::ManageStaff)?;
        self.require_second_factor()?;
        stored(self.conn(), staff)?;
        self.update(
            &STAFF,
            staff,
            vec![("totp_secret", Value::Null), ("totp_recovery", Value::Null)],
        )?;
        self.conn().execute(
            "DELETE FROM second_factor_windows WHERE staff_id = ?1",
            [staff.to_string()],
        )?;
        self.audit("staff.second_factor.reset", "staff", &staff.to_string(), "")
    }
}

impl Store {
    /// `Ok` when `actor`'s second factor stands confirmed here (see [`require_confirmed`]).
    pub fn require_second_factor(&self, actor: &Actor) -> Result<()> {
        require_confirmed(self.conn(), actor, self.now())
    }

    pub fn second_factor_status(&self, actor: &Actor) -> Result<SecondFactorStatus> {
        let stored = stored(self.conn(), actor.staff_id)?;
        Ok(SecondFactorStatus {
            enrolled: stored.secret.is_some(),
            recovery_codes_left: u32::try_from(stored.recovery.len()).unwrap_or(u32::MAX),
            confirmed_until: confirmed_until(self.conn(), actor.staff_id, self.now())?.map(text),
        })
    }

    /// A new authenticator secret for `actor`, with its QR code. Replacing one already
    /// enrolled needs the old one (or a recovery code) confirmed first, so a PIN alone
    /// cannot swap in an attacker's phone.
    pub fn begin_second_factor(&self, actor: &Actor) -> Result<SecondFactorSetup> {
        self.require_person(actor)?;
        if stored(self.conn(), actor.staff_id)?.secret.is_some() {
            self.require_second_factor(actor)?;
        }
        let clinic: String = self
            .conn()
            .query_row("SELECT name FROM clinic LIMIT 1", [], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()?
            .flatten()
            .unwrap_or_default();
        let secret = TotpSecret::generate();
        let p = totp::provisioning(&secret, &clinic, &actor.name).map_err(invalid_secret)?;
        Ok(SecondFactorSetup {
            secret: secret.as_base32().to_string(),
            uri: p.uri.to_string(),
            qr_svg: p.qr_svg.to_string(),
            qr_text: p.qr_text.to_string(),
        })
    }

    /// Enrolls `secret` (from [`Store::begin_second_factor`]) once `code` shows the app
    /// has it, and returns the new recovery codes — shown this once, stored only hashed.
    /// The second factor then stands confirmed for [`CONFIRMED_FOR`].
    pub fn finish_second_factor(
        &mut self,
        actor: &Actor,
        secret: &str,
        code: &str,
    ) -> Result<Vec<Zeroizing<String>>> {
        self.require_person(actor)?;
        let before = stored(self.conn(), actor.staff_id)?;
        if before.secret.is_some() {
            self.require_second_factor(actor)?;
        }
        refuse_while_paused(self.conn(), actor, self.now())?;
        let secret = TotpSecret::parse(secret).map_err(invalid_secret)?;
        let Some(step) = totp::verify(&secret, code, self.now(), None).map_err(invalid_secret)?
        else {
            return Err(self.wrong_code(actor)?);
        };
        let codes = totp::new_recovery_codes();
        let clinic_secret = pin_secret(self.conn())?;
        let hashes: Vec<String> = codes
            .iter()
            .filter_map(|c| totp::normalize_recovery_code(c))
            .map(|c| totp::recovery_code_hash(clinic_secret.as_slice(), &c))
            .collect();
        let hashes = recovery_column(&hashes)?;
        self.transact(actor, |tx| {
            tx.update(
                &STAFF,
                actor.staff_id,
                vec![
                    ("totp_secret", Value::text(secret.as_base32())),
                    ("totp_recovery", hashes),
                    (
                        "totp_last_step",
                        Value::Int(i64::try_from(step).unwrap_or(i64::MAX)),
                    ),
                ],
            )?;
            tx.open_window()?;
            let action = if before.secret.is_some() {
                "auth.second_factor.replace"
            } else {
                "auth.second_factor.enroll"
            };
            tx.audit(action, "staff", &actor.staff_id.to_string(), "")
        })?;
        Ok(codes)
    }

    /// Confirms `actor`'s second factor with a code from their authenticator (each code
    /// once) or one of their recovery codes (each once; the audit log says one was used
    /// and how many are left). Wrong codes are audited and, five in a row, pause
    /// confirming as wrong PINs pause sign-in.
    pub fn confirm_second_factor(
        &mut self,
        actor: &Actor,
        code: &str,
    ) -> Result<SecondFactorStatus> {
        self.require_person(actor)?;
        let now = self.now();
        refuse_while_paused(self.conn(), actor, now)?;
        let stored = stored(self.conn(), actor.staff_id)?;
        let Some(secret) = stored.secret.as_deref() else {
            return Err(Error::SecondFactorNotEnrolled(actor.name.clone()));
        };
        let secret = TotpSecret::parse(secret).map_err(invalid_secret)?;
        if let Some(step) =
            totp::verify(&secret, code, now, stored.last_step).map_err(invalid_secret)?
        {
            self.transact(actor, |tx| {
                tx.update(
                    &STAFF,
                    actor.staff_id,
                    vec![(
                        "totp_last_step",
                        Value::Int(i64::try_from(step).unwrap_or(i64::MAX)),
                    )],
                )?;
                tx.open_window()?;
                tx.audit(
                    "auth.second_factor",
                    "staff",
                    &actor.staff_id.to_string(),
                    "",
                )
            })?;
            return self.second_factor_status(actor);
        }
        let recovery = totp::normalize_recovery_code(code).map(|normalized| {
            pin_secret(self.conn()).map(|s| totp::recovery_code_hash(s.as_slice(), &normalized))
        });
        if let Some(hash) = recovery.transpose()?
            && stored.recovery.contains(&hash)
        {
            let left: Vec<&String> = stored.recovery.iter().filter(|h| **h != hash).collect();
            let remaining = recovery_column(&left)?;
            self.transact(actor, |tx| {
                tx.update(&STAFF, actor.staff_id, vec![("totp_recovery", remaining)])?;
                tx.open_window()?;
                tx.audit(
                    "auth.recovery_code",
                    "staff",
                    &actor.staff_id.to_string(),
                    &format!("{} left", left.len()),
                )
            })?;
            return self.second_factor_status(actor);
        }
        Err(self.wrong_code(actor)?)
    }

    /// Enrolls `actor` as a person does with the app's QR code — a new secret, then the
    /// code an authenticator shows for it now — and returns the secret. For tests and
    /// benchmarks standing in for the person with the phone.
    pub fn enroll_second_factor_for_tests(&mut self, actor: &Actor) -> Result<TotpSecret> {
        let setup = self.begin_second_factor(actor)?;
        let secret = TotpSecret::parse(&setup.secret).map_err(invalid_secret)?;
        let code = totp::code_at(&secret, self.now()).map_err(invalid_secret)?;
        self.finish_second_factor(actor, &setup.secret, &code)?;
        Ok(secret)
    }

    /// Ends `actor`'s confirmation on this device (they signed out or locked the screen).
    pub fn end_second_factor_window(&mut self, actor: &Actor) -> Result<()> {
        self.conn().execute(
            "DELETE FROM second_factor_windows WHERE staff_id = ?1",
            [actor.staff_id.to_string()],
        )?;
        Ok(())
    }

    /// Records and audits a wrong code; the error to return.
    fn wrong_code(&mut self, actor: &Actor) -> Result<Error> {
        self.transact(actor, |tx| {
            tx.conn().execute(
                "INSERT INTO second_factor_failures (staff_id, at) VALUES (?1, ?2)",
                params![actor.staff_id.to_string(), tx.now_text()],
            )?;
            tx.audit(
                "auth.second_factor.failed",
                "staff",
                &actor.staff_id.to_string(),
                "",
            )
        })?;
        Ok(Error::WrongSecondFactor)
    }

    fn require_person(&self, actor: &Actor) -> Result<()> {
        if actor.staff_id.is_nil() {
            return Err(Error::NotAllowedNow(
                "a second factor belongs to a staff member: sign in first".into(),
            ));
        }
        Ok(())
    }
}

/// The stored form of recovery-code hashes: a JSON array.
fn recovery_column<S: Serialize>(hashes: &[S]) -> Result<Value> {
    serde_json::to_string(hashes)
        .map(Value::Text)
        .map_err(|e| Error::Invalid {
            field: "recovery codes",
            message: e.to_string(),
        })
}

fn invalid_secret(e: totp::SecondFactorError) -> Error {
    Error::Invalid {
        field: "secret",
        message: e.to_string(),
    }
}
