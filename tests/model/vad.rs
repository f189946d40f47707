//! The VAD reads a recording in pieces (16-bit samples converted 30
//! minutes at a time): its port of whisper.cpp's span making gives
//! whisper.cpp's spans from the same probabilities, and on the three sample
//! meetings its spans are the ones whisper.cpp gives in one call over the
//! whole recording as f32, or, cut every minute, at most a frame apart.

use std::path::Path;

use kaigiroku::transcribe::{vad, Vad};
use kaigiroku::types::{samples_f32, Audio, Span};
use whisper_rs::{WhisperVadContext, WhisperVadContextParams, WhisperVadParams};

const SAMPLES: [&str; 3] = [
    "kaigi-2022-01",
    "kaigi-2022-01-full",
    "kaigi-2022-01-full-noisy",
];

/// whisper.cpp's spans in one call over all of `samples`, with the
/// parameters `Vad` uses, and the probabilities they were made from.
fn whole_recording(model: &Path, samples: &[f32]) -> (Vec<Span>, Vec<f32>) {
    let mut params = WhisperVadContextParams::new();
    params.set_n_threads(1);
    let mut context = WhisperVadContext::new(&model.to_string_lossy(), params).unwrap();
    let mut params = WhisperVadParams::new();
    params.set_threshold(0.5);
    params.set_min_silence_duration(100);
    params.set_min_speech_duration(250);
    params.set_speech_pad(100);
    let spans = context
        .segments_from_samples(params, samples)
        .unwrap()
        .map(|s| Span {
            start: f64::from(s.start) / 100.0,
            end: f64::from(s.end) / 100.0,
        })
        .collect();
    (spans, context.probabilities().to_vec())
}

/// A time difference in whole centiseconds (VAD times are centiseconds).
fn centiseconds(seconds: f64) -> u64 {
    (seconds.abs() * 100.0).round() as u64
}

#[test]
fn pieces_give_the_spans_of_one_call_over_the_whole_recording() {
    let model = crate::models::installed().vad_path();
    let mut vad = Vad::load(&model).unwrap();
    for sample in SAMPLES {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(sample)
            .join("meeting.wav");
        let audio = kaigiroku::audio::load(&path).unwrap();
        let (whole, probabilities) = whole_recording(&model, &samples_f32(&audio.samples));
        assert!(whole.len() > 20, "{sample}: {} spans", whole.len());
        assert_eq!(
            vad::spans_from_probabilities(&probabilities),
            whole,
            "{sample}: the port makes whisper.cpp's spans"
        );
        let duration = audio.duration();
        let clamped: Vec<Span> = whole
            .iter()
            .map(|s| Span {
                start: s.start.min(duration),
                end: s.end.min(duration),
            })
            .filter(|s| s.duration() > 0.0)
            .collect();
        assert_eq!(vad.speech(&audio.samples).unwrap(), clamped, "{sample}");
        // A cut every minute: the model's state after each differs a
        // little from one call's; on the clean samples the spans are the
        // same, on the noisy one a span may end a frame (32 ms) apart.
        let minute = 60 * Audio::SAMPLE_RATE as usize / vad::FRAME;
        let pieces = vad.speech_in_pieces(&audio.samples, minute).unwrap();
        if sample.ends_with("noisy") {
            assert_eq!(
                pieces.len(),
                clamped.len(),
                "{sample}, in pieces of a minute"
            );
            for (a, b) in pieces.iter().zip(&clamped) {
                assert!(
                    centiseconds(a.start - b.start) <= 4 && centiseconds(a.end - b.end) <= 4,
                    "{sample}, in pieces of a minute: {a:?}, not {b:?}"
                );
            }
        } else {
            assert_eq!(pieces, clamped, "{sample}, in pieces of a minute");
        }
    }
}
