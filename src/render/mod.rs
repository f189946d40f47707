//! Writing results to files a person or another program reads:
//! `transcript.json`, `transcript.srt`, `transcript.vtt`, and the draft
//! minutes: `draft.json`, `minutes.md`, `minutes.txt`, `minutes.docx`
//! ([`write_draft`], [`export`]). Every write goes through
//! [`crate::atomic`], so a crash never leaves a half-written result over a
//! good one. Formatting is pure ([`header`], [`minutes`], [`docx`]); only
//! `write_*` and [`export`] touch the disk.

pub mod docx;
pub mod header;
pub mod minutes;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::draft::{Draft, DraftError};
use crate::speakers::Diarization;
use crate::types::{Segment, Transcript};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Draft(#[from] DraftError),
    #[error("unknown export format `{0}` (use md, txt, docx, json, srt or vtt)")]
    Format(String),
}

/// What [`export`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Markdown,
    Text,
    Docx,
    Srt,
    Vtt,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Json,
        Format::Markdown,
        Format::Text,
        Format::Docx,
        Format::Srt,
        Format::Vtt,
    ];

    /// The file name [`write_draft`] uses for this format.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "draft.json",
            Format::Markdown => "minutes.md",
            Format::Text => "minutes.txt",
            Format::Docx => "minutes.docx",
            Format::Srt => "minutes.srt",
            Format::Vtt => "minutes.vtt",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = RenderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "json" => Format::Json,
            "md" | "markdown" => Format::Markdown,
            "txt" | "text" => Format::Text,
            "docx" | "word" => Format::Docx,
            "srt" => Format::Srt,
            "vtt" => Format::Vtt,
            _ => return Err(RenderError::Format(s.to_string())),
        })
    }
}

/// `draft` rendered as `format`.
pub fn render(draft: &Draft, format: Format) -> std::io::Result<Vec<u8>> {
    Ok(match format {
        Format::Json => draft.to_json().map_err(std::io::Error::other)?.into_bytes(),
        Format::Markdown => minutes::markdown(draft).into_bytes(),
        Format::Text => minutes::text(draft).into_bytes(),
        Format::Docx => docx::docx(draft)?,
        Format::Srt => srt(&turn_cues(draft)).into_bytes(),
        Format::Vtt => vtt(&turn_cues(draft)).into_bytes(),
    })
}

/// Subtitles of the draft: one cue per turn, 「役割：整文後の発言」, the role
/// that of the turn's speaker.
fn turn_cues(draft: &Draft) -> Vec<Segment> {
    draft
        .turns
        .iter()
        .filter(|t| !t.text.is_empty())
        .map(|t| {
            let speaker = draft.speaker(t.speaker);
            let role = speaker.map_or(minutes::UNKNOWN_ROLE, |s| s.role.as_str());
            (t, role, speaker.map_or(0.0, |s| s.confidence))
        })
        .map(|(t, role, confidence)| Segment {
            start: t.start,
            end: t.end,
            text: format!("{role}：{}", t.text),
            confidence,
            flags: vec![],
            verbatim: None,
            corrections: Vec::new(),
        })
        .collect()
}

/// Writes `draft.json`, `minutes.md`, `minutes.txt` and `minutes.docx`
/// into `dir`; returns their paths.
pub fn write_draft(dir: &Path, draft: &Draft) -> Result<Vec<PathBuf>, RenderError> {
    let mut written = Vec::new();
    for format in [Format::Json, Format::Markdown, Format::Text, Format::Docx] {
        let path = dir.join(format.file_name());
        let bytes = render(draft, format).map_err(|source| RenderError::Io {
            path: path.clone(),
            source,
        })?;
        write_atomically(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Re-renders an (edited) `draft.json` as `format` into `out`
/// (`kaigiroku export draft.json --format docx -o minutes.docx`).
pub fn export(draft_json: &Path, format: Format, out: &Path) -> Result<PathBuf, RenderError> {
    let draft = Draft::load(draft_json)?;
    let bytes = render(&draft, format).map_err(|source| RenderError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    write_atomically(out, &bytes)?;
    Ok(out.to_path_buf())
}

/// Writes `transcript.json`, `.srt` and `.vtt` into `dir`; returns their paths.
pub fn write_transcript(dir: &Path, transcript: &Transcript) -> Result<Vec<PathBuf>, RenderError> {
    let json_path = dir.join("transcript.json");
    let mut json = serde_json::to_vec_pretty(transcript).map_err(|e| RenderError::Io {
        path: json_path.clone(),
        source: e.into(),
    })?;
    json.push(b'\n');
    let files = [
        (json_path, json),
        (
            dir.join("transcript.srt"),
            srt(&transcript.segments).into_bytes(),
        ),
        (
            dir.join("transcript.vtt"),
            vtt(&transcript.segments).into_bytes(),
        ),
    ];
    let mut written = Vec::new();
    for (path, bytes) in files {
        write_atomically(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// SubRip subtitles, one cue per segment.
pub fn srt(segments: &[Segment]) -> String {
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            timestamp(s.start, ','),
            timestamp(s.end, ','),
            s.text
        ));
    }
    out
}

/// WebVTT subtitles, one cue per segment.
pub fn vtt(segments: &[Segment]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for s in segments {
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            timestamp(s.start, '.'),
            timestamp(s.end, '.'),
            s.text
        ));
    }
    out
}

/// `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (VTT).
fn timestamp(seconds: f64, separator: char) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `turns.json`: the speakers with their roles and evidence, and the turns.
pub fn write_turns(dir: &Path, diarization: &Diarization) -> Result<PathBuf, RenderError> {
    let path = dir.join("turns.json");
    let json = serde_json::to_vec_pretty(diarization).map_err(|e| RenderError::Io {
        path: path.clone(),
        source: e.into(),
    })?;
    write_atomically(&path, &json)?;
    Ok(path)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RenderError> {
    crate::atomic::write_file(path, |w| w.write_all(bytes)).map_err(|source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments() -> Vec<Segment> {
        vec![
            Segment {
                start: 0.5,
                end: 4.85,
                text: "ただいまより開催します。".into(),
                confidence: 0.9,
                flags: vec![],
                verbatim: None,
                corrections: Vec::new(),
            },
            Segment {
                start: 3725.25,
                end: 3727.0,
                text: "以上です。".into(),
                confidence: 0.8,
                flags: vec![],
                verbatim: None,
                corrections: Vec::new(),
            },
        ]
    }

    #[test]
    fn srt_numbers_cues_and_uses_commas() {
        let text = srt(&segments());
        assert!(
            text.starts_with("1\n00:00:00,500 --> 00:00:04,850\nただいまより開催します。\n\n2\n")
        );
        assert!(text.contains("01:02:05,250 --> 01:02:07,000"));
    }

    #[test]
    fn vtt_has_its_header_and_uses_dots() {
        let text = vtt(&segments());
        assert!(text.starts_with("WEBVTT\n\n00:00:00.500 --> 00:00:04.850\n"));
        assert!(text.contains("01:02:05.250 --> 01:02:07.000\n以上です。"));
    }
}
