//! Data passed between stages. Every stage takes and returns these plain,
//! serialisable types: `Audio → Vec<Segment> → (turns) → (draft)`.
//! Times are seconds from the start of the recording, as `f64`.

use serde::{Deserialize, Serialize};

/// A recording decoded for recognition: mono at [`Audio::SAMPLE_RATE`], and,
/// when the loader was asked to keep them, the source's channels at the same rate.
///
/// Samples are 16-bit, as in a 16-bit WAV file (2 bytes a sample: 330 MB for
/// three hours); a stage reads the stretch it works on as f32
/// ([`Audio::mono_f32`], [`sample_f32`]), never the whole recording at once.
#[derive(Debug, Clone, Default)]
pub struct Audio {
    /// Mono (the mean of the source channels); `s` stands for `s / 32768`
    /// ([`sample_f32`]).
    pub samples: Vec<i16>,
    /// One track per source channel, in the source's order, each as long as
    /// `samples`. Empty unless `AudioLoader::keep_channels(true)` was used on
    /// a file of more than one channel.
    pub channels: Vec<Vec<i16>>,
    /// Channels of the source file (mixed down to `samples`).
    pub source_channels: u16,
    /// Sample rate of the source file.
    pub source_rate: u32,
    /// The source's format and codec in words ("WAV 16-bit PCM", "MPEG Audio Layer 3" …).
    pub source_codec: String,
    /// Parts of the file that could not be decoded and were replaced by silence,
    /// or where it ended early; empty for a sound file.
    pub warnings: Vec<crate::audio::DecodeWarning>,
}

impl Audio {
    pub const SAMPLE_RATE: u32 = 16_000;

    /// Mono audio already at [`Audio::SAMPLE_RATE`].
    pub fn from_mono(samples: Vec<i16>) -> Self {
        Audio {
            samples,
            source_channels: 1,
            source_rate: Self::SAMPLE_RATE,
            ..Self::default()
        }
    }

    /// Mono f32 audio at [`Audio::SAMPLE_RATE`] (for tests and generated
    /// audio), rounded to 16 bits ([`sample_i16`]).
    pub fn from_mono_f32(samples: &[f32]) -> Self {
        Self::from_mono(samples.iter().map(|&x| sample_i16(x)).collect())
    }

    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / Self::SAMPLE_RATE as f64
    }

    /// The index of the sample at `seconds`, clamped to the recording.
    pub fn index_at(&self, seconds: f64) -> usize {
        ((seconds.max(0.0) * Self::SAMPLE_RATE as f64) as usize).min(self.samples.len())
    }

    /// Mono samples `range` as f32 in [-1, 1) (one window or unit, not the
    /// whole recording: 4 bytes a sample). Panics on a range outside the
    /// samples, as slicing does.
    pub fn mono_f32(&self, range: std::ops::Range<usize>) -> Vec<f32> {
        samples_f32(&self.samples[range])
    }

    /// Channel `index` (0-based) as f32 in [-1, 1), if channels were kept.
    pub fn channel_f32(&self, index: usize) -> Option<Vec<f32>> {
        self.channels.get(index).map(|c| samples_f32(c))
    }
}

/// A 16-bit sample as f32 in [-1, 1): `s / 32768`, as WAV readers do.
pub fn sample_f32(s: i16) -> f32 {
    f32::from(s) / 32768.0
}

/// An f32 sample as 16 bits, the inverse of [`sample_f32`]: `x × 32768`
/// rounded to the nearest and clipped to full scale (NaN gives 0), as a 16-bit
/// WAV writer stores it. `sample_i16(sample_f32(s)) == s` for every `s`.
pub fn sample_i16(x: f32) -> i16 {
    // `as` saturates at the i16 range and maps NaN to 0.
    (x * 32768.0).round() as i16
}

/// 16-bit samples as f32 ([`sample_f32`]).
pub fn samples_f32(samples: &[i16]) -> Vec<f32> {
    samples.iter().map(|&s| sample_f32(s)).collect()
}

/// A stretch of time, in seconds from the start of the recording.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub start: f64,
    pub end: f64,
}

impl Span {
    pub fn duration(&self) -> f64 {
        (self.end - self.start).max(0.0)
    }

    /// Seconds that `self` and `other` share.
    pub fn overlap(&self, other: &Span) -> f64 {
        (self.end.min(other.end) - self.start.max(other.start)).max(0.0)
    }
}

/// Why a segment deserves a clerk's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Mean token probability below the review threshold: listen here.
    LowConfidence,
    /// A phrase repeated many times in a row was cut to one occurrence.
    RepetitionCut,
    /// A phrase Whisper is known to invent in silence (「ご視聴ありがとうございました」…),
    /// kept because the audio under it is speech.
    SilencePhrase,
    /// Speech Whisper skipped in its window, decoded again on its own: the
    /// window's text had nothing there though the VAD heard speech.
    Redecoded,
}

/// A stretch of recognised speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Mean probability of the segment's text tokens (0–1).
    pub confidence: f32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    /// Whisper's own text, when the correction stage changed it (`text` is
    /// then the corrected text); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbatim: Option<String>,
    /// What the correction stage replaced in this segment, in text order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
}

/// Which rule of the correction stage (`correct`) made a [`Correction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionRule {
    /// A misheard era name before a year (例は4年度 → 令和4年度).
    Era,
    /// A near-match of a long term of the meeting's vocabulary.
    Glossary,
    /// An entry of the confusion list (`assets/corrections.txt`).
    Confusion,
}

/// One replacement in recognised text: never silent, always a term of the
/// meeting's vocabulary or an era name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// What Whisper wrote.
    pub from: String,
    /// What replaced it.
    pub to: String,
    pub rule: CorrectionRule,
    /// Character offset of `to` in the corrected text (the segment's `text`;
    /// in draft.json, the turn's `verbatim`).
    pub at: usize,
}

impl Segment {
    pub fn span(&self) -> Span {
        Span {
            start: self.start,
            end: self.end,
        }
    }
}

/// Text recognised but not kept, with the reason: nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub reason: String,
}

/// A transcription of one recording: what `transcript.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transcript {
    /// Schema version of this file.
    pub version: u32,
    pub audio: String,
    pub duration: f64,
    pub model: String,
    pub language: String,
    pub segments: Vec<Segment>,
    /// Where the voice-activity detector heard speech (empty without VAD).
    #[serde(default)]
    pub speech: Vec<Span>,
    #[serde(default)]
    pub dropped: Vec<Dropped>,
}

impl Transcript {
    pub const VERSION: u32 = 2;
}

/// An anonymous speaker: a cluster of voice found in one recording.
/// Written `S1`, `S2`, … ; never a person's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpeakerId(pub u32);

impl std::fmt::Display for SpeakerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S{}", self.0)
    }
}

impl Serialize for SpeakerId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SpeakerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.strip_prefix('S')
            .and_then(|n| n.parse().ok())
            .map(SpeakerId)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("`{text}` is not a speaker id like S3"))
            })
    }
}

/// Who a speaker is in the minutes. Roles belong to speakers, not turns, so
/// a clerk's correction of one speaker applies to all of that speaker's turns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speaker {
    pub id: SpeakerId,
    pub role: crate::meeting::Role,
    /// The attendee's title when known (e.g. 情報管理課長).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// How sure the role assignment is (0–1).
    pub confidence: f32,
    /// True once a clerk has confirmed or corrected the role.
    #[serde(default)]
    pub confirmed: bool,
    /// Why the speaker has its role: the strongest clues, strongest first
    /// (what the review page shows for "why 事務局?").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// One clue for a speaker's role, heard at `at` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub role: crate::meeting::Role,
    pub weight: f32,
    pub at: f64,
    /// In words, for the clerk: 「『説明をお願いします』の直後に長く話した」.
    pub reason: String,
}

/// One speaker's uninterrupted stretch of speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub start: f64,
    pub end: f64,
    pub speaker: SpeakerId,
    /// The speaker's role, copied from [`Speaker`] when the turns were made.
    pub role: crate::meeting::Role,
    pub role_confidence: f32,
    pub text: String,
    /// Indices into the transcript's segments this turn was made from.
    pub segments: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bit_samples_survive_the_round_trip_through_f32() {
        for s in i16::MIN..=i16::MAX {
            assert_eq!(sample_i16(sample_f32(s)), s);
        }
        assert_eq!(sample_i16(1.0), i16::MAX);
        assert_eq!(sample_i16(-1.0), i16::MIN);
        assert_eq!(sample_i16(7.5), i16::MAX);
        assert_eq!(sample_i16(f32::NEG_INFINITY), i16::MIN);
        assert_eq!(sample_i16(f32::NAN), 0);
        assert_eq!(sample_i16(0.25 + 0.4 / 32768.0), 8192);
        assert_eq!(sample_i16(0.25 + 0.6 / 32768.0), 8193);
    }

    #[test]
    fn ranges_are_read_as_f32_and_times_clamped() {
        let audio = Audio::from_mono(vec![0, 16384, -32768, 32767]);
        assert_eq!(audio.mono_f32(1..3), vec![0.5, -1.0]);
        assert_eq!(audio.index_at(-1.0), 0);
        assert_eq!(audio.index_at(2.0 / 16_000.0), 2);
        assert_eq!(audio.index_at(9.0), 4);
    }
}
