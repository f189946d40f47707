//! Data passed between stages. Every stage takes and returns these plain,
//! serialisable types: `Audio → Vec<Segment> → (turns) → (draft)`.
//! Times are seconds from the start of the recording, as `f64`.

use serde::{Deserialize, Serialize};

/// Mono audio at [`Audio::SAMPLE_RATE`], ready for recognition.
#[derive(Debug, Clone)]
pub struct Audio {
    pub samples: Vec<f32>,
    /// Channels of the source file (mixed down to `samples`).
    pub source_channels: u16,
    /// Sample rate of the source file.
    pub source_rate: u32,
}

impl Audio {
    pub const SAMPLE_RATE: u32 = 16_000;

    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / Self::SAMPLE_RATE as f64
    }
}

/// A stretch of recognised speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Mean probability of the segment's text tokens (0–1).
    pub confidence: f32,
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
}

impl Transcript {
    pub const VERSION: u32 = 1;

    /// All segment texts joined, as a reader would read them.
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}
