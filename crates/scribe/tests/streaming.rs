//! Streaming transcription on real speech, fed at the pace a microphone delivers it:
//! two utterances with a second of silence between come out as two segments, the
//! first while the second is still being "spoken".

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vetdesk_scribe::stream::StreamingTranscriber;
use vetdesk_scribe::transcribe::{Options, Transcriber, read_wav};

#[test]
fn utterances_are_transcribed_as_they_end_while_audio_keeps_coming() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = read_wav(&support::speak(
        dir.path(),
        "a",
        "The dog weighs thirty kilograms.",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let second = read_wav(&support::speak(
        dir.path(),
        "b",
        "Temperature thirty eight point five.",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let mut audio = first.clone();
    audio.extend(std::iter::repeat_n(0.0, 16_000));
    let second_starts = audio.len();
    audio.extend(&second);
    audio.extend(std::iter::repeat_n(0.0, 8_000));

    let transcriber = Arc::new(
        Transcriber::load(support::tiny_en_ggml(), "tiny").unwrap_or_else(|e| panic!("{e}")),
    );
    let segments = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&segments);
    let started = Instant::now();
    let stream = StreamingTranscriber::start(
        transcriber,
        Options {
            threads: 2,
            ..Options::default()
        },
        move |segment| {
            if let Ok(mut s) = seen.lock() {
                s.push((segment, started.elapsed()));
            }
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // 100 ms blocks at real-time pace, as capture hands them over.
    let mut second_fed_at = None;
    for (n, block) in audio.chunks(1_600).enumerate() {
        if n * 1_600 >= second_starts && second_fed_at.is_none() {
            second_fed_at = Some(started.elapsed());
        }
        stream.push(block);
        std::thread::sleep(Duration::from_millis(100));
    }
    let all_fed = started.elapsed();
    stream.finish().unwrap_or_else(|e| panic!("{e}"));

    let segments = segments.lock().map(|s| s.clone()).unwrap_or_default();
    for (segment, at) in &segments {
        eprintln!(
            "{at:?}: [{} → {}] lag {} ms: {}",
            segment.start_ms, segment.end_ms, segment.lag_ms, segment.text
        );
    }
    assert_eq!(segments.len(), 2, "{segments:?}");
    let (one, one_at) = &segments[0];
    let (two, _) = &segments[1];
    assert!(one.text.to_lowercase().contains("dog"), "{one:?}");
    assert!(two.text.to_lowercase().contains("temperature"), "{two:?}");
    // The first utterance was out before the audio ended: it did not wait for stop.
    assert!(*one_at < all_fed, "{one_at:?} vs {all_fed:?}");
    assert!(one.end_ms <= two.start_ms && two.end_ms as usize <= audio.len() / 16 + 16);
    let second_ms = (second_starts / 16) as u64;
    assert!(
        two.start_ms + 300 >= second_ms && two.start_ms <= second_ms + 300,
        "{two:?} vs {second_ms}"
    );
}
