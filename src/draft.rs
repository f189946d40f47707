//! The draft minutes as data: what `minutes` produces, what `render` writes
//! (`draft.json` and the 会議録 in Markdown, text and Word) and what a clerk
//! or the review page edits and re-renders. The schema is versioned
//! ([`Draft::VERSION`]); README.md documents it.
//!
//! Every statement keeps the turn it came from (`turn`, an index into
//! `turns`) and its time span, so any line of the minutes can be checked
//! against the recording. Renders read only the written fields (`text`,
//! `summary`, `outcome` …), so a clerk's edits to them are what gets printed.
//!
//! draft.json, version 1 (times in seconds from the start of the recording):
//! ```text
//! { "version": 1,
//!   "meeting": { name, secretariat, date "YYYY-MM-DD", start/end "HH:MM"|null, recording_start,
//!                place, disclosure {meeting, minutes, reason}, attendees [{title, role, note}],
//!                materials [{label, title}] },
//!   "speakers": [ {id "S1", role, title, confidence, confirmed} ],
//!   "turns":    [ {start, end, speaker "S1", role "本部長", role_confidence, verbatim, text, segments,
//!                  corrections [{from, to, rule "era"|"glossary"|"confusion", at}] (omitted when empty)} ],
//!   "opening":  { turns [i], statements [{turn, role, text, start, end}] },
//!   "items":    [ {kind "議案"|"報告事項", number, title,
//!                  found "announcement"|"order"|"speech"|"missing", start, end, turns [i],
//!                  presenter, presentation [i], summary [{text, turn, start, end}],
//!                  questions [statement], outcome {decision "approved"|"other"|"unclear", text, turn}|null,
//!                  flags [{kind, message, start}]} ],
//!   "closing":  { turns, statements, end_time "HH:MM"|null },
//!   "flags":    [ {kind, message, start} ] }
//! ```

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::meeting::{AgendaKind, Attendee, ClockTime, Disclosure, Material, Meeting, Role};
use crate::types::{Speaker, SpeakerId};

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: not a valid draft: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: draft version {found} is not supported (this kaigiroku reads version {supported})", path.display())]
    Version {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

/// A whole draft: `draft.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Draft {
    /// Schema version, [`Draft::VERSION`].
    pub version: u32,
    pub meeting: Header,
    /// The speakers found in the recording, with their roles.
    #[serde(default)]
    pub speakers: Vec<Speaker>,
    /// Every turn of speech, verbatim and cleaned, in time order.
    pub turns: Vec<DraftTurn>,
    /// What was said before the first agenda item.
    pub opening: Part,
    /// One per agenda item, in meeting order.
    pub items: Vec<Item>,
    /// What was said after the last item, and when the meeting ended.
    pub closing: Closing,
    /// Points for the clerk to check, for the whole meeting.
    #[serde(default)]
    pub flags: Vec<Flag>,
}

/// The cover of the minutes, from the meeting file (never from recognition).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// 附属機関又は会議体の名称.
    pub name: String,
    /// 事務局（担当課）.
    pub secretariat: String,
    pub date: NaiveDate,
    /// 開催日時: start and end of the meeting (from the meeting file, or
    /// proposed from the recording when the file has none).
    pub start: Option<ClockTime>,
    pub end: Option<ClockTime>,
    /// Time of day at which the recording started, when known.
    #[serde(default)]
    pub recording_start: Option<ClockTime>,
    pub place: Option<String>,
    #[serde(default)]
    pub disclosure: Disclosure,
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// 提出された資料等.
    #[serde(default)]
    pub materials: Vec<Material>,
}

impl Header {
    pub fn from_meeting(meeting: &Meeting) -> Header {
        Header {
            name: meeting.name.clone(),
            secretariat: meeting.secretariat.clone(),
            date: meeting.date,
            start: meeting.start,
            end: meeting.end,
            recording_start: None,
            place: meeting.place.clone(),
            disclosure: meeting.disclosure.clone(),
            attendees: meeting.attendees.clone(),
            materials: meeting.materials.clone(),
        }
    }
}

/// One turn of speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftTurn {
    pub start: f64,
    pub end: f64,
    pub speaker: SpeakerId,
    pub role: Role,
    #[serde(default)]
    pub role_confidence: f32,
    /// As recognised, after the correction stage (Whisper's own words are
    /// in transcript.json, and what changed is in `corrections`).
    pub verbatim: String,
    /// Cleaned of fillers and false starts (ケバ取り).
    pub text: String,
    /// Indices into the transcript's segments.
    #[serde(default)]
    pub segments: Vec<usize>,
    /// Corrections made in this turn's text (`at`: offset in `verbatim`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<crate::types::Correction>,
}

/// A statement written in the minutes as `役割：本文`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Index into [`Draft::turns`].
    pub turn: usize,
    pub role: Role,
    /// The written text (cleaned; procedural sentences left out).
    pub text: String,
    pub start: f64,
    pub end: f64,
}

/// The opening: its turns and the statements written for them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub turns: Vec<usize>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Closing {
    pub turns: Vec<usize>,
    pub statements: Vec<Statement>,
    /// 〔HH:MM 終了〕: recording start plus the offset of the last turn.
    pub end_time: Option<ClockTime>,
}

/// How an item's section was located in the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Found {
    /// The chair announced it (kind, number or title matched).
    Announcement,
    /// An unmatched announcement in the right place, taken in agenda order.
    Order,
    /// No agenda in the meeting file: the item was detected from speech.
    Speech,
    /// Not found in the recording; the section is empty.
    Missing,
}

/// One agenda item's section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub kind: AgendaKind,
    pub number: u32,
    pub title: String,
    pub found: Found,
    /// Span of the section in the recording (seconds).
    pub start: f64,
    pub end: f64,
    /// All turns of the section.
    pub turns: Vec<usize>,
    /// Who presented (〔事務局：「…」を説明〕).
    pub presenter: Option<Role>,
    /// The presentation's turns.
    pub presentation: Vec<usize>,
    /// 要旨: sentences taken from the presentation, in order.
    pub summary: Vec<SummarySentence>,
    /// 質疑: empty means （質疑なし）.
    pub questions: Vec<Statement>,
    /// The decision, for a 議案.
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub flags: Vec<Flag>,
}

impl Item {
    /// 「議案（1）情報システム…について」.
    pub fn heading(&self) -> String {
        format!("{}（{}）{}", self.kind.as_str(), self.number, self.title)
    }
}

/// A sentence of the 要旨 and where it was said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummarySentence {
    pub text: String,
    /// Index into [`Draft::turns`].
    pub turn: usize,
    /// Span in the recording, interpolated by position inside the turn.
    pub start: f64,
    pub end: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 案のとおり承認.
    Approved,
    /// Something else was decided; `text` says what.
    Other,
    /// No decision heard: the clerk must fill it in.
    Unclear,
}

/// The decision line of a 議案 (—議題について案のとおり承認—).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub decision: Decision,
    /// The line's text, without the dashes.
    pub text: String,
    /// The turn the decision was heard in.
    pub turn: Option<usize>,
}

/// Something for the clerk to check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    ItemNotFound,
    ItemFoundByOrder,
    DecisionUnclear,
    DecisionWording,
    EndTimeDiffers,
    NoPresentation,
}

impl Draft {
    /// Version of the draft.json schema written by this build.
    pub const VERSION: u32 = 1;

    /// Reads `draft.json`; errors name the file (and line and column).
    pub fn load(path: &Path) -> Result<Draft, DraftError> {
        let text = std::fs::read_to_string(path).map_err(|source| DraftError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Draft::parse(path, &text)
    }

    /// Parses the text of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Draft, DraftError> {
        let invalid = |e: serde_json::Error| DraftError::Invalid {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let found = serde_json::from_str::<Versioned>(text)
            .map_err(invalid)?
            .version;
        if found != Draft::VERSION {
            return Err(DraftError::Version {
                path: path.to_path_buf(),
                found,
                supported: Draft::VERSION,
            });
        }
        serde_json::from_str(text).map_err(invalid)
    }

    /// The draft as pretty JSON, ending in a newline.
    pub fn to_json(&self) -> serde_json::Result<String> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_json_names_the_file_and_line() {
        let err = Draft::parse(
            Path::new("/tmp/d/draft.json"),
            "{\n \"version\": 1,\n \"x\": }",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("/tmp/d/draft.json:3:"), "{err}");
    }

    #[test]
    fn other_versions_are_refused() {
        let err = Draft::parse(Path::new("d.json"), "{\"version\": 9}").unwrap_err();
        assert!(matches!(err, DraftError::Version { found: 9, .. }));
    }
}
