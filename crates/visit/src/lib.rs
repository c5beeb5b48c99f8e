//! The exam room's scribe pipeline against the record, shared by the CLI and the app so
//! both draft alike: what the visit's patient gives Whisper and the extractor (species,
//! latest weight, names for the prompt), a recording's audio read back from its
//! encrypted file, and a transcription turned into the encounter's next draft (which
//! changes nothing in the record until a vet decides).
//!
//! The pure parts live elsewhere (`vetdesk-draft` extracts, `vetdesk-scribe`
//! transcribes); this crate is the imperative shell that joins them to the store.
//!
//! ## What it joins
//!
//! The imperative shell that joins `scribe` (Whisper) and `draft` (extraction) to the store,
//! shared by the CLI and the app so both draft alike: `VisitContext::of_encounter` /
//! `of_patient` (species, latest weight, the patient's, breed's and owners' names for the
//! prompt, the formulary), `recording_samples` (a recording of this device decrypted with
//! its key), `transcribe_and_extract`, `store_draft` (the encounter's next transcript
//! version). `scribe::install::choose_model` / `model_sha256` pick the model and its hash
//! for both.

use std::path::Path;

use uuid::Uuid;
use vetdesk_core::services::scribe::NewDraft;
use vetdesk_core::{Actor, Rx, Store};
use vetdesk_draft::extract::{Context, DraftItem, Drug};
use vetdesk_draft::text::Segment;
use vetdesk_scribe::transcribe::{self, Options, Transcriber, Transcript};

#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    #[error(transparent)]
    Record(#[from] vetdesk_core::Error),
    #[error(transparent)]
    Scribe(#[from] vetdesk_scribe::ScribeError),
    #[error(
        "recording {0} cannot be opened here: it was made on another device, or its retention ended and its audio was destroyed"
    )]
    RecordingUnavailable(Uuid),
}

pub type Result<T> = std::result::Result<T, VisitError>;

/// What the record says about the patient, for the prompt and the extractor.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitContext {
    /// Species, latest weight and the clinic's formulary, for extraction and dose checks.
    pub context: Context,
    /// The patient's and owners' names and the breed: words Whisper should expect.
    pub names: Vec<String>,
}

impl VisitContext {
    /// No patient: a species and weight given by hand (or none).
    pub fn by_hand(species: Option<String>, weight_kg: Option<f64>, formulary: Vec<Drug>) -> Self {
        Self {
            context: Context {
                species,
                weight_kg,
                formulary,
            },
            names: Vec::new(),
        }
    }

    /// From the record: the patient's species, latest weight (unless `weight_kg` is
    /// given), name, breed and owners.
    pub fn of_patient(
        rx: &Rx<'_>,
        patient: Uuid,
        weight_kg: Option<f64>,
        formulary: Vec<Drug>,
    ) -> vetdesk_core::Result<Self> {
        let shown = rx.patient(patient)?;
        let weight_kg = match weight_kg {
            Some(kg) => Some(kg),
            None => rx.weights(patient)?.last().map(|w| w.kg),
        };
        let mut names = vec![shown.fields.name.clone()];
        names.extend(shown.fields.breed.clone());
        names.extend(shown.owners.iter().map(|o| o.name.clone()));
        Ok(Self {
            context: Context {
                species: Some(shown.fields.species.clone()),
                weight_kg,
                formulary,
            },
            names,
        })
    }

    /// From an open encounter's patient; refused for a signed encounter (a draft can
    /// only go beside an open one).
    pub fn of_encounter(
        rx: &Rx<'_>,
        encounter: Uuid,
        formulary: Vec<Drug>,
    ) -> vetdesk_core::Result<Self> {
        let shown = rx.encounter(encounter)?;
        if shown.signed.is_some() {
            return Err(vetdesk_core::Error::EncounterSigned(encounter.to_string()));
        }
        Self::of_patient(rx, shown.patient_id, None, formulary)
    }

    /// Whisper's initial prompt: the visit's names, the formulary, veterinary terms.
    pub fn prompt(&self) -> String {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let drugs: Vec<&str> = self
            .context
            .formulary
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        transcribe::vocabulary_prompt(&names, &drugs, transcribe::VETERINARY_TERMS)
    }
}

/// The formulary the scribe checks doses against: the starter formulary with the
/// clinic's catalog drugs and their species dose ranges laid over it
/// (`vetdesk_draft::formulary::with_catalog`), so a range the clinic set is the one a
/// drafted dose is flagged against.
pub fn clinic_formulary(rx: &Rx<'_>) -> vetdesk_core::Result<Vec<Drug>> {
    let catalog: Vec<(String, Vec<vetdesk_draft::extract::DoseRange>)> = rx
        .catalog("")?
        .into_iter()
        .filter(|item| item.input.kind == "drug")
        .map(|item| {
            let ranges = item
                .input
                .dose_ranges
                .iter()
                .map(|r| vetdesk_draft::extract::DoseRange {
                    species: r.species.to_lowercase(),
                    min_mg_per_kg: r.min_mg_per_kg,
                    max_mg_per_kg: r.max_mg_per_kg,
                })
                .collect();
            (item.input.name, ranges)
        })
        .collect();
    Ok(vetdesk_draft::formulary::with_catalog(
        vetdesk_draft::formulary::starter(),
        &catalog,
    ))
}

/// A recording of this device decrypted back to 16 kHz samples, and whether it was
/// complete (a crash while recording keeps all but the last chunk). `key` is what
/// `Rx::recording_key` read: none when the recording was made elsewhere or destroyed.
pub fn recording_samples(
    key: Option<&[u8; 32]>,
    data_dir: &Path,
    recording: Uuid,
) -> Result<(Vec<f32>, bool)> {
    let key = key.ok_or(VisitError::RecordingUnavailable(recording))?;
    let path = data_dir.join(vetdesk_core::services::recordings::recording_file(
        recording,
    ));
    let recovered = vetdesk_scribe::recording::read(&path, key)?;
    Ok((recovered.samples, recovered.complete))
}

/// The transcript's segments as the extractor reads them.
pub fn segments_of(transcript: &Transcript) -> Vec<Segment> {
    transcript
        .segments
        .iter()
        .map(|s| Segment {
            start_ms: s.start_ms,
            end_ms: s.end_ms,
            text: s.text.clone(),
        })
        .collect()
}

/// Transcribes `samples` with the visit's prompt and drafts the items the words
/// support; progress 0–100.
pub fn transcribe_and_extract(
    transcriber: &Transcriber,
    visit: &VisitContext,
    samples: &[f32],
    threads: usize,
    progress: impl FnMut(i32) + 'static,
) -> Result<(Transcript, Vec<DraftItem>)> {
    let options = Options {
        threads,
        prompt: visit.prompt(),
        ..Options::default()
    };
    let transcript = transcriber.transcribe(samples, &options, progress)?;
    let items = vetdesk_draft::extract::extract(&segments_of(&transcript), &visit.context);
    Ok((transcript, items))
}

/// Stores a transcription and its items as the encounter's next draft (transcript
/// version = drafts so far + 1); returns the draft's id.
pub fn store_draft(
    store: &mut Store,
    actor: &Actor,
    encounter: Uuid,
    transcript: &Transcript,
    items: &[DraftItem],
) -> Result<Uuid> {
    Ok(store.transact(actor, |tx| {
        let drafts_so_far = tx.read().drafts(encounter)?.len();
        tx.create_draft(&NewDraft {
            encounter,
            model_file: transcript.model_file.clone(),
            model_sha256: transcript.model_sha256.clone(),
            transcript_version: i64::try_from(drafts_so_far).unwrap_or(i64::MAX - 1) + 1,
            segments: segments_of(transcript),
            items: items.to_vec(),
        })
    })?)
}
