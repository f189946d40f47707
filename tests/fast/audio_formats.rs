//! Every format loads at 16 kHz with its content intact: a 440 Hz sine stays
//! at 440 Hz and keeps its level (within 1 dB) after resampling, durations
//! are right, and the channels of multichannel files are kept apart on request.
//!
//! WAV files are written here with hound; the compressed fixtures in
//! `tests/fixtures/audio/` were made once with ffmpeg (2 s, sines at amplitude
//! 0.25, see the file names: frequencies, source rate, channels):
//!
//! ```sh
//! ffmpeg -f lavfi -i sine=f=440:r=44100:d=2 -f lavfi -i sine=f=880:r=44100:d=2 \
//!   -filter_complex "[0][1]join=inputs=2:channel_layout=stereo,volume=2" -c:a libmp3lame -b:a 64k sine-440-880-44k-stereo.mp3
//! ffmpeg -f lavfi -i sine=f=440:r=48000:d=2 -af volume=2 -c:a aac -b:a 48k sine-440-48k-mono.m4a
//! ffmpeg -f lavfi -i sine=f=440:r=22050:d=2 -f lavfi -i sine=f=660:r=22050:d=2 -f lavfi -i sine=f=880:r=22050:d=2 \
//!   -filter_complex "[0][1][2]join=inputs=3:channel_layout=3.0:map=0.0-FL|1.0-FR|2.0-FC,volume=2" -c:a flac sine-440-660-880-22k-3ch.flac
//! ffmpeg -f lavfi -i sine=f=440:r=32000:d=2 -af volume=2 -c:a libvorbis -q:a 2 sine-440-32k-mono.ogg
//! ffmpeg -f lavfi -i sine=f=440:r=48000:d=2 -f lavfi -i sine=f=880:r=48000:d=2 \
//!   -filter_complex "[0][1]join=inputs=2:channel_layout=stereo,volume=2" -c:a libopus -b:a 48k sine-440-880-48k-stereo.opus
//! ffmpeg -f lavfi -i color=c=gray:s=32x32:r=5:d=2 -f lavfi -i sine=f=440:r=44100:d=2 -af volume=2 \
//!   -c:v libx264 -c:a aac -b:a 32k -shortest video-sine-440-44k.mp4
//! ffmpeg -i video-sine-440-44k.mp4 -c copy video-sine-440-44k.mkv
//! ```

use std::f32::consts::PI;
use std::path::{Path, PathBuf};

use kaigiroku::audio::{self, AudioLoader};
use kaigiroku::types::{sample_f32, samples_f32, Audio};

const AMPLITUDE: f32 = 0.25;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

fn sine(freq: f32, rate: u32, i: usize) -> f32 {
    AMPLITUDE * (2.0 * PI * freq * i as f32 / rate as f32).sin()
}

/// The middle of a signal at 16 kHz, away from the codecs' edges.
fn middle(samples: &[f32]) -> &[f32] {
    let edge = 3200; // 0.2 s
    assert!(samples.len() > 3 * edge, "only {} samples", samples.len());
    &samples[edge..samples.len() - edge]
}

/// Frequency from the upward zero crossings (interpolated between samples).
fn frequency(samples: &[f32]) -> f64 {
    let mut crossings = Vec::new();
    for i in 1..samples.len() {
        let (a, b) = (samples[i - 1] as f64, samples[i] as f64);
        if a < 0.0 && b >= 0.0 {
            crossings.push(i as f64 - 1.0 + a / (a - b));
        }
    }
    assert!(crossings.len() > 10, "{} zero crossings", crossings.len());
    let span = crossings.last().unwrap() - crossings[0];
    (crossings.len() - 1) as f64 * f64::from(Audio::SAMPLE_RATE) / span
}

fn rms_db(samples: &[f32]) -> f64 {
    let power = samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / samples.len() as f64;
    10.0 * power.log10()
}

/// The level of a sine of amplitude [`AMPLITUDE`]: about −15.05 dBFS.
fn expected_db() -> f64 {
    20.0 * (AMPLITUDE as f64 / 2f64.sqrt()).log10()
}

/// Asserts that `samples` is a sine of `freq` at the fixtures' level.
fn assert_sine(what: &str, samples: &[f32], freq: f64) {
    let samples = middle(samples);
    let found = frequency(samples);
    assert!(
        (found - freq).abs() < 1.0,
        "{what}: {found:.2} Hz instead of {freq}"
    );
    let level = rms_db(samples);
    assert!(
        (level - expected_db()).abs() < 1.0,
        "{what}: {level:.2} dBFS instead of {:.2}",
        expected_db()
    );
}

fn channel(audio: &Audio, index: usize) -> Vec<f32> {
    let track = audio
        .channel_f32(index)
        .unwrap_or_else(|| panic!("channel {index} not kept"));
    assert_eq!(track.len(), audio.samples.len());
    track
}

fn assert_duration(what: &str, audio: &Audio, seconds: f64, tolerance: f64) {
    assert!(
        (audio.duration() - seconds).abs() <= tolerance,
        "{what}: {} s instead of {seconds}",
        audio.duration()
    );
}

fn write_wav<S: hound::Sample + Copy>(
    path: &Path,
    spec: hound::WavSpec,
    frames: usize,
    sample: impl Fn(usize, u16) -> S,
) {
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..frames {
        for c in 0..spec.channels {
            w.write_sample(sample(i, c)).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn spec(rate: u32, channels: u16, bits: u16, format: hound::SampleFormat) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: format,
    }
}

#[test]
fn wav_16_bit_at_16_khz_is_taken_as_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wav");
    let spec = spec(16_000, 1, 16, hound::SampleFormat::Int);
    write_wav(&path, spec, 32_000, |i, _| {
        (sine(440.0, 16_000, i) * 32768.0).round() as i16
    });
    let audio = audio::load(&path).unwrap();
    assert_eq!(audio.samples.len(), 32_000);
    assert_eq!((audio.source_rate, audio.source_channels), (16_000, 1));
    assert!((sample_f32(audio.samples[1234]) - sine(440.0, 16_000, 1234)).abs() < 1e-4);
    assert_sine("WAV 16-bit", &samples_f32(&audio.samples), 440.0);
    assert!(audio.warnings.is_empty());
    assert!(audio.channels.is_empty());
}

#[test]
fn wav_float_at_48_khz() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("float.wav");
    let spec = spec(48_000, 1, 32, hound::SampleFormat::Float);
    write_wav(&path, spec, 96_000, |i, _| sine(440.0, 48_000, i));
    let audio = audio::load(&path).unwrap();
    assert_eq!(audio.samples.len(), 32_000);
    assert_eq!(audio.source_rate, 48_000);
    assert_sine("WAV float", &samples_f32(&audio.samples), 440.0);
}

#[test]
fn wav_stereo_at_44_1_khz_keeps_its_channels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stereo.wav");
    let spec = spec(44_100, 2, 16, hound::SampleFormat::Int);
    let freqs = [440.0, 880.0];
    write_wav(&path, spec, 88_200, |i, c| {
        (sine(freqs[c as usize], 44_100, i) * 32768.0).round() as i16
    });

    let mono = audio::load(&path).unwrap();
    assert_eq!(mono.samples.len(), 32_000);
    assert_eq!((mono.source_rate, mono.source_channels), (44_100, 2));
    assert!(mono.channels.is_empty(), "channels kept without asking");

    let audio = AudioLoader::new().keep_channels(true).load(&path).unwrap();
    assert_eq!(audio.channels.len(), 2);
    assert_sine("WAV 44.1 kHz left", &channel(&audio, 0), 440.0);
    assert_sine("WAV 44.1 kHz right", &channel(&audio, 1), 880.0);
    // Mono is the mean of the channels either way.
    let mean = (channel(&audio, 0)[5000] + channel(&audio, 1)[5000]) / 2.0;
    assert!((sample_f32(mono.samples[5000]) - mean).abs() < 1e-3);
    assert!(audio.samples[5000].abs_diff(mono.samples[5000]) <= 32);
}

#[test]
fn wav_24_bit_4_channels_at_96_khz() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("4ch.wav");
    let spec = spec(96_000, 4, 24, hound::SampleFormat::Int);
    let freqs = [220.0, 440.0, 660.0, 880.0];
    write_wav(&path, spec, 96_000, |i, c| {
        (sine(freqs[c as usize], 96_000, i) * 8_388_608.0).round() as i32
    });
    let audio = AudioLoader::new().keep_channels(true).load(&path).unwrap();
    assert_eq!(audio.samples.len(), 16_000);
    assert_eq!(audio.source_channels, 4);
    for (c, freq) in freqs.iter().enumerate() {
        assert_sine(&format!("channel {c}"), &channel(&audio, c), *freq as f64);
    }
}

#[test]
fn mp3_stereo_44_1_khz() {
    let path = fixture("sine-440-880-44k-stereo.mp3");
    let audio = AudioLoader::new().keep_channels(true).load(&path).unwrap();
    assert_eq!((audio.source_rate, audio.source_channels), (44_100, 2));
    assert_duration("MP3", &audio, 2.0, 0.03);
    assert_sine("MP3 left", &channel(&audio, 0), 440.0);
    assert_sine("MP3 right", &channel(&audio, 1), 880.0);
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
}

#[test]
fn m4a_aac_mono_48_khz() {
    let audio = audio::load(&fixture("sine-440-48k-mono.m4a")).unwrap();
    assert_eq!((audio.source_rate, audio.source_channels), (48_000, 1));
    assert_duration("M4A", &audio, 2.0, 0.03);
    assert_sine("M4A", &samples_f32(&audio.samples), 440.0);
    assert!(audio.channels.is_empty());
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
}

#[test]
fn flac_three_channels_22_khz() {
    let path = fixture("sine-440-660-880-22k-3ch.flac");
    let audio = AudioLoader::new().keep_channels(true).load(&path).unwrap();
    assert_eq!((audio.source_rate, audio.source_channels), (22_050, 3));
    // Lossless: exactly 2 s.
    assert_eq!(audio.samples.len(), 32_000);
    assert_eq!(audio.channels.len(), 3);
    for (c, freq) in [440.0, 660.0, 880.0].into_iter().enumerate() {
        assert_sine(&format!("FLAC channel {c}"), &channel(&audio, c), freq);
    }
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
}

#[test]
fn ogg_vorbis_mono_32_khz() {
    let audio = audio::load(&fixture("sine-440-32k-mono.ogg")).unwrap();
    assert_eq!((audio.source_rate, audio.source_channels), (32_000, 1));
    assert_duration("Vorbis", &audio, 2.0, 0.01);
    assert_sine("Vorbis", &samples_f32(&audio.samples), 440.0);
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
}

#[test]
fn opus_stereo_48_khz() {
    let path = fixture("sine-440-880-48k-stereo.opus");
    let audio = AudioLoader::new().keep_channels(true).load(&path).unwrap();
    assert_eq!((audio.source_rate, audio.source_channels), (48_000, 2));
    assert_duration("Opus", &audio, 2.0, 0.01);
    assert_sine("Opus left", &channel(&audio, 0), 440.0);
    assert_sine("Opus right", &channel(&audio, 1), 880.0);
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
}

#[test]
fn the_format_comes_from_the_content_not_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recording.wav");
    std::fs::copy(fixture("sine-440-32k-mono.ogg"), &path).unwrap();
    let audio = audio::load(&path).unwrap();
    assert_sine("Vorbis named .wav", &samples_f32(&audio.samples), 440.0);
}

#[test]
fn the_audio_of_a_video_recording() {
    // H.264 video with AAC audio, in MP4 and (remuxed, so packets carry no
    // durations) in Matroska.
    for name in ["video-sine-440-44k.mp4", "video-sine-440-44k.mkv"] {
        let audio = audio::load(&fixture(name)).unwrap();
        assert_eq!(audio.source_rate, 44_100, "{name}");
        // ffmpeg itself decodes 2.04 s from the MP4 (AAC priming without an
        // edit list) and 2.02 s from the MKV.
        assert_duration(name, &audio, 2.02, 0.03);
        assert_sine(name, &samples_f32(&audio.samples), 440.0);
        assert!(audio.warnings.is_empty(), "{name}: {:?}", audio.warnings);
    }
}
