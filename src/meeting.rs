//! The clerk's description of a meeting (`meeting.toml`): name, date, place,
//! attendees with their roles, agenda, materials, and a glossary that biases
//! and corrects recognition. Every later stage reads it; nothing in it comes
//! from speech recognition.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: over {} KiB, too large for a meeting file; is it the right file?", path.display(), Meeting::MAX_BYTES / 1024)]
    TooLarge { path: PathBuf },
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    /// 会議体の名称, e.g. 「令和5年度 第1回豊島区行政情報化推進本部」.
    pub name: String,
    /// 事務局（担当課）.
    pub secretariat: String,
    #[serde(deserialize_with = "toml_date", serialize_with = "iso_date")]
    pub date: NaiveDate,
    /// Time of day the meeting (and, unless told otherwise, the recording) started.
    pub start: Option<ClockTime>,
    pub end: Option<ClockTime>,
    pub place: Option<String>,
    /// Words to bias and correct recognition: system names, departments, terms.
    #[serde(default)]
    pub glossary: Vec<String>,
    #[serde(default)]
    pub disclosure: Disclosure,
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    #[serde(default)]
    pub agenda: Vec<AgendaItem>,
    #[serde(default)]
    pub materials: Vec<Material>,
}

impl Meeting {
    /// The role someone given as `role` speaks under: a title held by an
    /// attendee of a standard role (`presenter = "区民部長"`, a 部員) is that
    /// role; anything else is itself.
    pub fn speaking_role(&self, role: &Role) -> Role {
        match role {
            Role::Title(t) => match self.attendees.iter().find(|a| &a.title == t) {
                Some(a) if !matches!(a.role, Role::Title(_)) => a.role.clone(),
                _ => role.clone(),
            },
            role => role.clone(),
        }
    }

    /// Largest meeting file read: a few pages of text. Anything larger (a
    /// recording given by mistake) is refused before it is read into memory.
    pub const MAX_BYTES: u64 = 1 << 20;

    pub fn load(path: &Path) -> Result<Meeting, MeetingError> {
        let io = |source| MeetingError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|file| file.take(Meeting::MAX_BYTES + 1).read_to_end(&mut bytes))
            .map_err(io)?;
        if bytes.len() as u64 > Meeting::MAX_BYTES {
            return Err(MeetingError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        match String::from_utf8(bytes) {
            Ok(text) => Meeting::parse(path, &text),
            Err(e) => {
                // Where the text stops being UTF-8 (Windows programs may save
                // Japanese text as Shift_JIS).
                let valid = e.utf8_error().valid_up_to();
                let before = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
                let (line, column) = line_and_column(&before);
                Err(MeetingError::Invalid {
                    path: path.to_path_buf(),
                    line,
                    column,
                    message: "the file is not UTF-8 text (Shift_JIS?); save it as UTF-8".into(),
                })
            }
        }
    }

    /// Parses `text`, read from `path` (named in errors with line and column).
    pub fn parse(path: &Path, text: &str) -> Result<Meeting, MeetingError> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let offset = e.span().map(|s| s.start).unwrap_or(0).min(text.len());
            let before = &text[..offset];
            let (line, column) = line_and_column(before);
            let key = before
                .rsplit('\n')
                .next()
                .and_then(|l| l.split('=').next())
                .map(str::trim)
                .filter(|k| !k.is_empty() && !k.starts_with('['));
            let mut message = e.message().to_string();
            if let Some(key) = key {
                if !message.contains(key) {
                    message = format!("field `{key}`: {message}");
                }
            }
            MeetingError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        })
    }

    /// Terms that tell the recogniser what this meeting talks about: its
    /// name, the attendees' titles, the agenda titles and the glossary.
    pub fn vocabulary(&self) -> Vec<String> {
        let mut terms = vec![self.name.clone(), self.secretariat.clone()];
        terms.extend(self.attendees.iter().map(|a| a.title.clone()));
        terms.extend(self.agenda.iter().map(|a| a.title.clone()));
        terms.extend(self.glossary.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        terms.retain(|t| !t.is_empty() && seen.insert(t.clone()));
        terms
    }
}

/// The line and column (from 1, in characters) just after `before`.
fn line_and_column(before: &str) -> (usize, usize) {
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A time of day written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTime(pub NaiveTime);

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map(ClockTime)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a time of day HH:MM")))
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%H:%M"))
    }
}

fn toml_date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let value = toml::value::Datetime::deserialize(d)?;
    match (value.date, value.time) {
        (Some(date), None) => {
            NaiveDate::from_ymd_opt(date.year as i32, date.month as u32, date.day as u32)
                .ok_or_else(|| serde::de::Error::custom(format!("{value} is not a calendar date")))
        }
        _ => Err(serde::de::Error::custom(format!(
            "`{value}` is not a date; write date = 2023-05-31"
        ))),
    }
}

fn iso_date<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date.format("%Y-%m-%d").to_string())
}

/// Whether the meeting or its minutes are open to the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum Openness {
    #[serde(rename = "公開")]
    Public,
    #[default]
    #[serde(rename = "非公開")]
    Closed,
    #[serde(rename = "一部非公開")]
    PartlyClosed,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Disclosure {
    #[serde(default)]
    pub meeting: Openness,
    #[serde(default)]
    pub minutes: Openness,
    pub reason: Option<String>,
}

/// The role a speaker is written under in the minutes. Speakers are never
/// named; a role that is none of the four standard ones is a title
/// (e.g. デジタル化推進員).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// 本部長, the chair.
    Chair,
    /// 副本部長.
    ViceChair,
    /// 部員, a member.
    Member,
    /// 事務局, the secretariat.
    Secretariat,
    Title(String),
}

impl Role {
    pub fn as_str(&self) -> &str {
        match self {
            Role::Chair => "本部長",
            Role::ViceChair => "副本部長",
            Role::Member => "部員",
            Role::Secretariat => "事務局",
            Role::Title(title) => title,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "本部長" => Role::Chair,
            "副本部長" => Role::ViceChair,
            "部員" => Role::Member,
            "事務局" => Role::Secretariat,
            other => Role::Title(other.to_string()),
        })
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(serde::de::Error::custom(
                "a role must be 本部長, 副本部長, 部員, 事務局 or a title",
            ));
        }
        let Ok(role) = text.parse::<Role>();
        Ok(role)
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Attendee {
    /// 職名, e.g. 副区長, 情報管理課長.
    pub title: String,
    pub role: Role,
    /// e.g. 代理 (attending in someone's place).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum AgendaKind {
    /// 議案: a proposal the committee decides on.
    #[serde(rename = "議案")]
    Proposal,
    /// 報告事項: a report, nothing to decide.
    #[serde(rename = "報告事項")]
    Report,
}

impl AgendaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgendaKind::Proposal => "議案",
            AgendaKind::Report => "報告事項",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaItem {
    pub kind: AgendaKind,
    pub number: u32,
    pub title: String,
    pub presenter: Option<Role>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub label: String,
    pub title: String,
}
