//! The draft minutes as data: what `minutes` produces, what `render` writes
//! (`draft.json` and the 会議録 in Markdown, text and Word) and what a clerk
//! or the review page edits and re-renders. The schema is versioned
//! ([`Draft::VERSION`]); README.md documents it.
//!
//! A draft is a document meant to be edited. Turns have stable ids
//! ([`TurnId`], written `"T12"`; a split turn's new half gets the next
//! unused id), speakers have theirs ([`SpeakerId`], `"S3"`), and a turn's
//! transcript segments are [`SegmentId`]s (plain numbers: indices into
//! transcript.json's `segments`). Everything that refers to a turn —
//! statements, items' `turns` and `presentation`, 要旨 sentences, decisions —
//! refers to it by id, never by position. A role lives only on its speaker:
//! renders look up a statement's role through its turn's speaker
//! ([`Draft::role_of`]), so setting a speaker's role changes every line that
//! speaker said. Changes are made through [`DraftEdit`] ([`Draft::apply`],
//! which returns the inverse edit for undo), and every load is checked by
//! [`Draft::validate`].
//!
//! Every statement keeps the turn it came from and its time span, so any
//! line of the minutes can be checked against the recording. Renders read
//! only the written fields (`text`, `summary`, `outcome` …), so a clerk's
//! edits to them are what gets printed.
//!
//! draft.json, version 2 (times in seconds from the start of the recording):
//! ```text
//! { "version": 2,
//!   "meeting": { name, secretariat, date "YYYY-MM-DD", start/end "HH:MM"|null, recording_start,
//!                place, disclosure {meeting, minutes, reason}, attendees [{title, role, note}],
//!                materials [{label, title}] },
//!   "speakers": [ {id "S1", role "本部長", title, confidence, confirmed, evidence} ],
//!   "turns":    [ {id "T1", start, end, speaker "S1", verbatim, text, segments [0, 1],
//!                  corrections [{from, to, rule "era"|"glossary"|"confusion", at}] (omitted when empty),
//!                  checked} ],
//!   "opening":  { turns ["T1"], statements [{turn "T1", text, start, end}] },
//!   "items":    [ {kind "議案"|"報告事項", number, title,
//!                  found "announcement"|"order"|"speech"|"missing", start, end, turns ["T2"],
//!                  presenter, presentation ["T3"], summary [{text, turn "T3", start, end}],
//!                  questions [statement], outcome {decision "approved"|"other"|"unclear", text, turn "T5"|null}|null,
//!                  flags [{kind, message, start}], checked} ],
//!   "closing":  { turns, statements, end_time "HH:MM"|null },
//!   "flags":    [ {kind, message, start} ] }
//! ```
//! Version 1 (turns and statements carried a copy of the role, and turns
//! were referred to by their index in `turns`) is still read: indices
//! become ids `T<index + 1>`, and roles come from `speakers` (made from the
//! turns' roles when the file has none) — see [`v1`].

mod edit;
mod v1;
mod validate;

#[cfg(test)]
pub(crate) mod tests;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::meeting::{AgendaKind, Attendee, ClockTime, Disclosure, Material, Meeting, Role};
use crate::types::{Speaker, SpeakerId};

pub use edit::{DraftEdit, EditError, Unmerge};
pub use validate::Problem;

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
    /// Well-formed JSON whose content does not hold together (an id that
    /// does not exist, times out of order …); every problem is named by
    /// its field path.
    #[error("{}: not a valid draft: {}", path.display(), problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidContent {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("{}: draft version {found} is not supported (this kaigiroku reads versions 1 to {supported})", path.display())]
    Version {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
}

/// A turn's id: `T1`, `T2`, … in draft.json. Stable across edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TurnId(pub u32);

impl std::fmt::Display for TurnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "T{}", self.0)
    }
}

impl Serialize for TurnId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for TurnId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.strip_prefix('T')
            .and_then(|n| n.parse().ok())
            .map(TurnId)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a turn id like T12")))
    }
}

/// A transcript segment: its index in transcript.json's `segments`
/// (a plain number in draft.json).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SegmentId(pub usize);

impl std::fmt::Display for SegmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "segment {}", self.0)
    }
}

/// A whole draft: `draft.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Draft {
    /// Schema version, [`Draft::VERSION`].
    pub version: u32,
    pub meeting: Header,
    /// The speakers found in the recording, with their roles: the only
    /// place a role is kept.
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

/// One turn of speech. Its role is its speaker's ([`Draft::role_of`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftTurn {
    pub id: TurnId,
    pub start: f64,
    pub end: f64,
    pub speaker: SpeakerId,
    /// As recognised, after the correction stage (Whisper's own words are
    /// in transcript.json, and what changed is in `corrections`).
    pub verbatim: String,
    /// Cleaned of fillers and false starts (ケバ取り).
    pub text: String,
    /// The transcript segments the turn was made from.
    #[serde(default)]
    pub segments: Vec<SegmentId>,
    /// Corrections made in this turn's text (`at`: character offset in
    /// `verbatim`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<crate::types::Correction>,
    /// True once a clerk has checked the turn.
    #[serde(default)]
    pub checked: bool,
}

/// A statement written in the minutes as `役割：本文`; the role is that of
/// the turn's speaker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub turn: TurnId,
    /// The written text (cleaned; procedural sentences left out).
    pub text: String,
    pub start: f64,
    pub end: f64,
}

/// The opening: its turns and the statements written for them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub turns: Vec<TurnId>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Closing {
    pub turns: Vec<TurnId>,
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
    pub turns: Vec<TurnId>,
    /// Who presented (〔事務局：「…」を説明〕).
    pub presenter: Option<Role>,
    /// The presentation's turns.
    pub presentation: Vec<TurnId>,
    /// 要旨: sentences taken from the presentation, in order.
    pub summary: Vec<SummarySentence>,
    /// 質疑: empty means （質疑なし）.
    pub questions: Vec<Statement>,
    /// The decision, for a 議案.
    pub outcome: Option<Outcome>,
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// True once a clerk has checked the item.
    #[serde(default)]
    pub checked: bool,
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
    pub turn: TurnId,
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
    pub turn: Option<TurnId>,
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

/// A section of the minutes: the opening, an item (by index) or the closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Opening,
    Item(usize),
    Closing,
}

impl Section {
    /// Field path of the section's turns: `items[2].turns`.
    pub fn turns_path(self) -> String {
        match self {
            Section::Opening => "opening.turns".into(),
            Section::Item(k) => format!("items[{k}].turns"),
            Section::Closing => "closing.turns".into(),
        }
    }

    /// Field path of the section's statements: `items[2].questions`.
    pub fn statements_path(self) -> String {
        match self {
            Section::Opening => "opening.statements".into(),
            Section::Item(k) => format!("items[{k}].questions"),
            Section::Closing => "closing.statements".into(),
        }
    }
}

impl Draft {
    /// Version of the draft.json schema written by this build.
    pub const VERSION: u32 = 2;

    /// Reads `draft.json` (version 1 or 2) and validates it; errors name
    /// the file (and line and column, or the field path).
    pub fn load(path: &Path) -> Result<Draft, DraftError> {
        let text = std::fs::read_to_string(path).map_err(|source| DraftError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Draft::parse(path, &text)
    }

    /// Parses and validates the text of `path`.
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
        let draft = match found {
            1 => v1::upgrade(serde_json::from_str(text).map_err(invalid)?),
            Draft::VERSION => serde_json::from_str(text).map_err(invalid)?,
            _ => {
                return Err(DraftError::Version {
                    path: path.to_path_buf(),
                    found,
                    supported: Draft::VERSION,
                })
            }
        };
        draft
            .validate()
            .map_err(|problems| DraftError::InvalidContent {
                path: path.to_path_buf(),
                problems,
            })?;
        Ok(draft)
    }

    /// The draft as pretty JSON, ending in a newline.
    pub fn to_json(&self) -> serde_json::Result<String> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    /// Where turn `id` is in [`Draft::turns`].
    pub fn position(&self, id: TurnId) -> Option<usize> {
        self.turns.iter().position(|t| t.id == id)
    }

    pub fn turn(&self, id: TurnId) -> Option<&DraftTurn> {
        self.turns.iter().find(|t| t.id == id)
    }

    pub fn speaker(&self, id: SpeakerId) -> Option<&Speaker> {
        self.speakers.iter().find(|s| s.id == id)
    }

    /// The speaker who said turn `turn`.
    pub fn speaker_of(&self, turn: TurnId) -> Option<&Speaker> {
        self.turn(turn).and_then(|t| self.speaker(t.speaker))
    }

    /// The role turn `turn` is written under: its speaker's.
    pub fn role_of(&self, turn: TurnId) -> Option<&Role> {
        self.speaker_of(turn).map(|s| &s.role)
    }

    /// The id a new turn gets: one more than the largest in use.
    pub fn next_turn_id(&self) -> TurnId {
        TurnId(self.turns.iter().map(|t| t.id.0).max().map_or(1, |m| m + 1))
    }

    /// Every section with its turns and statements, in meeting order.
    pub fn sections(&self) -> Vec<(Section, &Vec<TurnId>, &Vec<Statement>)> {
        let mut out = vec![(
            Section::Opening,
            &self.opening.turns,
            &self.opening.statements,
        )];
        for (k, item) in self.items.iter().enumerate() {
            out.push((Section::Item(k), &item.turns, &item.questions));
        }
        out.push((
            Section::Closing,
            &self.closing.turns,
            &self.closing.statements,
        ));
        out
    }

    /// The section whose turns include `turn`, and where.
    pub fn section_of(&self, turn: TurnId) -> Option<(Section, usize)> {
        self.sections().into_iter().find_map(|(section, turns, _)| {
            turns.iter().position(|&t| t == turn).map(|p| (section, p))
        })
    }

    /// The statement written for `turn`: its section and index there.
    pub fn statement_of(&self, turn: TurnId) -> Option<(Section, usize)> {
        self.sections()
            .into_iter()
            .find_map(|(section, _, statements)| {
                statements
                    .iter()
                    .position(|s| s.turn == turn)
                    .map(|p| (section, p))
            })
    }

    pub(crate) fn section_turns_mut(&mut self, section: Section) -> Option<&mut Vec<TurnId>> {
        match section {
            Section::Opening => Some(&mut self.opening.turns),
            Section::Item(k) => self.items.get_mut(k).map(|i| &mut i.turns),
            Section::Closing => Some(&mut self.closing.turns),
        }
    }

    pub(crate) fn statements_mut(&mut self, section: Section) -> Option<&mut Vec<Statement>> {
        match section {
            Section::Opening => Some(&mut self.opening.statements),
            Section::Item(k) => self.items.get_mut(k).map(|i| &mut i.questions),
            Section::Closing => Some(&mut self.closing.statements),
        }
    }
}
