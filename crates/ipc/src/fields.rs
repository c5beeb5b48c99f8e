//! Checks shared by every command's input: ids, times, roles, bounded text. Each
//! names the field it refuses.

use crate::admin::MAX_SECOND_FACTOR_INPUT;
use crate::errors::IpcError;

pub(crate) fn bounded<'a>(field: &str, value: &'a str) -> Result<&'a str, IpcError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(IpcError::invalid(field, "is required"));
    }
    if value.len() > MAX_SECOND_FACTOR_INPUT {
        return Err(IpcError::invalid(
            field,
            format!("is longer than {MAX_SECOND_FACTOR_INPUT} characters"),
        ));
    }
    Ok(value)
}

/// Parses roles the UI sent (`admin`, `vet`, `nurse`, `front_desk`).
pub fn parse_roles(names: &[String]) -> Result<vetdesk_core::Roles, IpcError> {
    let mut roles = Vec::new();
    for name in names {
        roles.push(
            vetdesk_core::Role::parse(name)
                .ok_or_else(|| IpcError::invalid("roles", format!("{name:?} is not a role")))?,
        );
    }
    Ok(vetdesk_core::Roles::new(roles))
}

/// Parses an RFC 3339 time the UI sent; `invalid` naming the field otherwise.
pub fn parse_time(field: &str, text: &str) -> Result<time::OffsetDateTime, IpcError> {
    time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| IpcError::invalid(field, format!("{text:?} is not a date and time")))
}

/// The UI's instants `from` and `to` (RFC 3339, any offset) in UTC, as core compares
/// stored times; each refusal names its field.
pub fn utc_bounds(from: &str, to: &str) -> Result<(String, String), IpcError> {
    let utc = |field: &str, text: &str| -> Result<String, IpcError> {
        let at = parse_time(field, text)?.to_offset(time::UtcOffset::UTC);
        Ok(vetdesk_core::write::rfc3339(at))
    };
    Ok((utc("from", from)?, utc("to", to)?))
}

/// Parses an id the UI sent; a clear `invalid` error names the field otherwise.
pub fn parse_id(field: &str, text: &str) -> Result<uuid::Uuid, IpcError> {
    uuid::Uuid::parse_str(text.trim())
        .map_err(|_| IpcError::invalid(field, format!("{text:?} is not a record id")))
}
