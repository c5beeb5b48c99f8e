//! How failures of the work the app does beside the store — the scribe (recording,
//! models, transcription), a visit's draft, documents and files — reach the UI: one
//! place, each kind with its own code from the closed `ErrorCode` set (the store's own
//! errors map in `vetdesk_ipc`). Messages stay readable; nothing becomes a blanket
//! "not allowed now".

use vetdesk_ipc::{ErrorCode, IpcError};
use vetdesk_scribe::ScribeError;

/// A scribe failure: no microphone or a cancelled run is the moment's; a missing model
/// is not found; a model file that does not load is damaged; the audio system or
/// whisper failing is internal (with its words, for the log and the person).
pub fn scribe(error: ScribeError) -> IpcError {
    let code = match &error {
        ScribeError::NoInputDevice(_) | ScribeError::Cancelled => ErrorCode::NotAllowedNow,
        ScribeError::ModelNotFound(_) => ErrorCode::NotFound,
        ScribeError::ModelInvalid { .. } => ErrorCode::Damaged,
        _ => ErrorCode::Internal,
    };
    IpcError::new(code, error.to_string())
}

/// A visit's draft failing: the record's and the scribe's errors keep their codes.
pub fn visit(error: vetdesk_visit::VisitError) -> IpcError {
    use vetdesk_visit::VisitError;
    match error {
        VisitError::Record(e) => IpcError::from(e),
        VisitError::Scribe(e) => scribe(e),
        e @ VisitError::RecordingUnavailable(_) => {
            IpcError::new(ErrorCode::NotFound, e.to_string())
        }
    }
}

/// A document that could not be made: the record's errors keep their codes; a font
/// that did not load is internal.
pub fn document(error: vetdesk_documents::DocumentError) -> IpcError {
    match error {
        vetdesk_documents::DocumentError::Record(e) => IpcError::from(e),
        other => IpcError::new(ErrorCode::Internal, other.to_string()),
    }
}

/// A file or thread the app could not make or read, saying what it was for.
pub fn io(what: &str, error: impl std::fmt::Display) -> IpcError {
    IpcError::new(ErrorCode::Internal, format!("{what}: {error}"))
}

/// Work that cannot happen in the state things are in (nothing is recording).
pub fn not_now(why: impl Into<String>) -> IpcError {
    IpcError::new(ErrorCode::NotAllowedNow, why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_keeps_a_code_of_its_own() {
        let cases = [
            (
                scribe(ScribeError::NoInputDevice("none".into())),
                ErrorCode::NotAllowedNow,
            ),
            (
                scribe(ScribeError::ModelNotFound("m.bin".into())),
                ErrorCode::NotFound,
            ),
            (
                scribe(ScribeError::ModelInvalid {
                    path: "m.bin".into(),
                    reason: "truncated".into(),
                }),
                ErrorCode::Damaged,
            ),
            (
                scribe(ScribeError::Transcription("oom".into())),
                ErrorCode::Internal,
            ),
            (
                visit(vetdesk_visit::VisitError::Record(
                    vetdesk_core::Error::EncounterSigned("e".into()),
                )),
                ErrorCode::EncounterSigned,
            ),
            (
                visit(vetdesk_visit::VisitError::RecordingUnavailable(
                    uuid::Uuid::nil(),
                )),
                ErrorCode::NotFound,
            ),
            (
                visit(vetdesk_visit::VisitError::Record(
                    vetdesk_core::Error::WrongPin,
                )),
                ErrorCode::WrongPin,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.code, code, "{error:?}");
            assert!(!error.message.is_empty());
        }
    }
}
