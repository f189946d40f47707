//! The minutes stage: turns of speech and the meeting file → a [`Draft`].
//! Pure: no IO, no network, no model. It splits the meeting into the
//! opening, agenda sections and the closing ([`sections`]), cleans each
//! turn of fillers and false starts ([`fillers`]), finds each item's
//! presenter and presentation, writes its 要旨 ([`summary`]), its 質疑, and
//! for a 議案 the decision line ([`phrases`]), and proposes the end time.

pub mod fillers;
pub mod phrases;
pub mod sections;
pub mod summary;

use chrono::{NaiveTime, TimeDelta, Timelike};

use crate::draft::{
    Closing, Decision, Draft, DraftTurn, Flag, FlagKind, Found, Header, Item, Outcome, Part,
    SegmentId, Statement, TurnId,
};
use crate::ja;
use crate::meeting::{AgendaKind, ClockTime, Meeting, Role};
use crate::types::{Speaker, SpeakerId, Turn};

pub use fillers::FillerList;
pub use summary::SummaryMethod;

use sections::{is_chair, ItemSpec};

/// The decision line when the chair approves as proposed.
pub const APPROVED: &str = "議題について案のとおり承認";
/// The decision line when no decision was heard.
pub const UNCLEAR: &str = "要確認：決定内容を記入してください";

/// Minutes between the meeting file's end time and the recording's beyond
/// which the clerk is asked to check.
const END_TOLERANCE_MIN: i64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum MinutesError {
    #[error("turn {index} ({start}–{end} s) has a time that is not a finite, ordered span")]
    BadTime { index: usize, start: f64, end: f64 },
}

/// Drafts minutes; see [`Drafter::builder`].
#[derive(Debug, Clone)]
pub struct Drafter<'a> {
    meeting: &'a Meeting,
    fillers: FillerList,
    recording_start: Option<NaiveTime>,
    summary: SummaryMethod,
}

#[derive(Debug, Clone)]
pub struct DrafterBuilder<'a> {
    drafter: Drafter<'a>,
}

impl<'a> DrafterBuilder<'a> {
    /// The fillers to remove (default: `assets/fillers.txt`).
    pub fn fillers(mut self, fillers: FillerList) -> Self {
        self.drafter.fillers = fillers;
        self
    }

    /// Time of day at which the recording started; default: the meeting
    /// file's `start`. Used for 〔HH:MM 終了〕 and missing header times.
    pub fn recording_start(mut self, start: Option<NaiveTime>) -> Self {
        self.drafter.recording_start = start;
        self
    }

    pub fn summary(mut self, method: SummaryMethod) -> Self {
        self.drafter.summary = method;
        self
    }

    pub fn build(self) -> Drafter<'a> {
        self.drafter
    }
}

impl<'a> Drafter<'a> {
    pub fn builder(meeting: &'a Meeting) -> DrafterBuilder<'a> {
        DrafterBuilder {
            drafter: Drafter {
                meeting,
                fillers: FillerList::default(),
                recording_start: None,
                summary: SummaryMethod::default(),
            },
        }
    }

    /// The draft minutes of `turns` (any order; sorted by start time).
    pub fn draft(&self, turns: &[Turn], speakers: &[Speaker]) -> Result<Draft, MinutesError> {
        for (index, t) in turns.iter().enumerate() {
            if !(t.start.is_finite() && t.end.is_finite() && t.start <= t.end) {
                return Err(MinutesError::BadTime {
                    index,
                    start: t.start,
                    end: t.end,
                });
            }
        }
        let mut sorted: Vec<&Turn> = turns.iter().collect();
        sorted.sort_by(|a, b| a.start.total_cmp(&b.start));
        // Turns get ids in time order; `roles` is each turn's role as the
        // speaker stage gave it, for finding sections, presentations and
        // decisions (the draft keeps roles on its speakers only).
        let mut turns: Vec<DraftTurn> = Vec::new();
        let mut heard: Vec<(Role, f32)> = Vec::new();
        for (k, t) in sorted.iter().enumerate() {
            let next_start = sorted.get(k + 1).map(|n| n.start);
            for d in split_at_announcement(t, next_start) {
                turns.push(DraftTurn {
                    id: TurnId(turns.len() as u32 + 1),
                    text: self.fillers.clean(&d.verbatim),
                    ..d
                });
                heard.push((t.role.clone(), t.role_confidence));
            }
        }
        let speakers = draft_speakers(&mut turns, &heard, speakers);
        let roles: Vec<Role> = heard.into_iter().map(|(role, _)| role).collect();

        let split = sections::split(&turns, &roles, &self.meeting.agenda);
        let opening = Part {
            statements: split
                .opening
                .iter()
                .filter_map(|&i| statement(&turns, i, false))
                .collect(),
            turns: turn_ids(&turns, &split.opening),
        };
        let mut previous_end = turns.first().map_or(0.0, |t| t.start);
        let mut items = Vec::new();
        for (spec, found, section) in split.items {
            let item = self.item(&turns, &roles, spec, found, section, previous_end);
            previous_end = item.end;
            items.push(item);
        }
        let recording_start = self.recording_start.or(self.meeting.start.map(|c| c.0));
        let end_time = recording_start
            .zip(turns.last())
            .map(|(s, t)| clock(s, t.end));
        let closing = Closing {
            statements: split
                .closing
                .iter()
                .filter_map(|&i| statement(&turns, i, true))
                .collect(),
            turns: turn_ids(&turns, &split.closing),
            end_time,
        };

        let mut header = Header::from_meeting(self.meeting);
        header.recording_start = recording_start.map(ClockTime);
        if header.start.is_none() {
            header.start = recording_start
                .zip(turns.first())
                .map(|(s, t)| clock(s, t.start));
        }
        let mut flags = Vec::new();
        match (header.end, end_time) {
            (None, end) => header.end = end,
            (Some(file), Some(heard)) => {
                let minutes = (heard.0 - file.0).num_minutes().abs();
                if minutes > END_TOLERANCE_MIN {
                    flags.push(Flag {
                        kind: FlagKind::EndTimeDiffers,
                        message: format!(
                            "会議ファイルの終了時刻 {file} と録音から求めた終了時刻 {heard} が{minutes}分違います"
                        ),
                        start: None,
                    });
                }
            }
            (Some(_), None) => {}
        }
        Ok(Draft {
            version: Draft::VERSION,
            meeting: header,
            speakers,
            turns,
            opening,
            items,
            closing,
            flags,
        })
    }

    fn item(
        &self,
        turns: &[DraftTurn],
        roles: &[Role],
        spec: ItemSpec,
        found: Found,
        section: Vec<usize>,
        previous_end: f64,
    ) -> Item {
        let mut flags = Vec::new();
        let heading = format!("{}（{}）{}", spec.kind.as_str(), spec.number, spec.title);
        match found {
            Found::Missing => flags.push(Flag {
                kind: FlagKind::ItemNotFound,
                message: format!("「{heading}」の発言が録音中に見つかりません"),
                start: None,
            }),
            Found::Order => flags.push(Flag {
                kind: FlagKind::ItemFoundByOrder,
                message: format!("「{heading}」の開始は議題の順序から推定しました"),
                start: section.first().map(|&i| turns[i].start),
            }),
            Found::Announcement | Found::Speech => {}
        }
        // The chair's announcement opens the section; the presenter follows.
        let body: &[usize] = match section.split_first() {
            Some((&first, rest)) if is_chair(&roles[first]) => rest,
            _ => &section,
        };
        let presenter = spec.presenter.clone().or_else(|| {
            body.iter()
                .map(|&i| &roles[i])
                .find(|r| !is_chair(r))
                .cloned()
        });
        let speaking = presenter.as_ref().map(|p| self.meeting.speaking_role(p));
        let presentation = presentation(turns, roles, body, speaking.as_ref());
        if presentation.is_empty() && found != Found::Missing {
            flags.push(Flag {
                kind: FlagKind::NoPresentation,
                message: format!("「{heading}」の説明者の発言が見つかりません"),
                start: section.first().map(|&i| turns[i].start),
            });
        }
        let summary = summary::summarize(
            turns,
            &presentation,
            &spec.title,
            &self.meeting.glossary,
            self.summary,
        );
        let questions = body
            .iter()
            .filter(|i| !presentation.contains(i))
            .filter_map(|&i| statement(turns, i, true))
            .collect();
        let outcome = (spec.kind == AgendaKind::Proposal)
            .then(|| outcome(turns, roles, &section, &heading, &mut flags));
        let (start, end) = match (section.first(), section.last()) {
            (Some(&a), Some(&b)) => (turns[a].start, turns[b].end),
            _ => (previous_end, previous_end),
        };
        Item {
            kind: spec.kind,
            number: spec.number,
            title: spec.title,
            found,
            start,
            end,
            turns: turn_ids(turns, &section),
            presenter,
            presentation: turn_ids(turns, &presentation),
            summary,
            questions,
            outcome,
            flags,
            checked: false,
        }
    }
}

/// A turn as one or two draft turns (id not yet given, text not yet
/// cleaned): a chair who closes one item and announces the next without a
/// pause is split before the announcement, times interpolated by character
/// position (but not past `next_start`, the next turn's start, so that
/// turns stay in time order).
fn split_at_announcement(t: &Turn, next_start: Option<f64>) -> Vec<DraftTurn> {
    let whole = DraftTurn {
        id: TurnId(0),
        start: t.start,
        end: t.end,
        speaker: t.speaker,
        verbatim: t.text.clone(),
        text: String::new(),
        segments: t.segments.iter().copied().map(SegmentId).collect(),
        corrections: Vec::new(),
        checked: false,
    };
    // 「…といたします。報告事項、1。…について、報告をお願いします。」: the cut
    // goes before the item's number when a pause set it apart.
    let sentences = ja::sentences(&t.text);
    let at = (1..sentences.len())
        .find(|&k| {
            phrases::is_announcement(sentences[k].text) || opens_next_item(sentences[k].text)
        })
        .map(|k| match k - 1 {
            j if j >= 1 && bare_item_number(sentences[j].text).is_some() => sentences[j].start,
            _ => sentences[k].start,
        });
    let Some(at) = at else {
        return vec![whole];
    };
    let total = t.text.chars().count().max(1) as f64;
    let cut = (t.start + (t.end - t.start) * t.text[..at].chars().count() as f64 / total)
        .min(next_start.unwrap_or(f64::INFINITY))
        .max(t.start);
    vec![
        DraftTurn {
            end: cut,
            verbatim: t.text[..at].trim_end().to_string(),
            ..whole.clone()
        },
        DraftTurn {
            start: cut,
            verbatim: t.text[at..].to_string(),
            ..whole
        },
    ]
}

/// 「続いて、報告事項（1）…」: a connective and a numbered item open the next
/// item even when the request that follows went to another sentence; so does
/// a sentence that begins with a numbered item and goes on to name it
/// (「報告事項1、事務事業評価の結果について、事務局からお願いします」) — unless it
/// decides the item (「議案2、案のとおり承認といたします」).
fn opens_next_item(sentence: &str) -> bool {
    let s = sentence.trim_start();
    let connective = ["次に", "続いて", "続きまして", "最後に"]
        .iter()
        .any(|c| s.starts_with(c));
    let normalized = ja::normalize(s);
    let refs = ja::agenda_refs(&normalized);
    if connective {
        return refs.iter().any(|r| r.number.is_some());
    }
    let body = ["それでは", "では"]
        .iter()
        .find_map(|p| normalized.strip_prefix(p))
        .unwrap_or(&normalized)
        .trim_start_matches(|c: char| c.is_whitespace() || "、,".contains(c));
    let lead = normalized.len() - body.len();
    refs.first().is_some_and(|r| {
        // 「広告事項1」: 「事項」 is where a misheard 報告事項 is found.
        let before = normalized
            .get(lead..r.start)
            .map_or(usize::MAX, |b| b.chars().count());
        r.number.is_some() && before <= 2 && content_chars(&normalized[r.end..]) >= 4
    }) && ["について", "お願い"].iter().any(|w| s.contains(w))
        && phrases::decision(s).is_none()
}

/// The presentation: the presenter's first turn near the start of the
/// section — or, when recognition gave no turn the presenter's role there,
/// the first long turn that is not the chair's (the item's position says a
/// presentation comes first) — and the turns of the same role directly
/// after it (a presenter's voice may fall into two speaker clusters, and a
/// colleague may add to the presentation), up to the turn that says
/// 「説明は以上です」.
fn presentation(
    turns: &[DraftTurn],
    roles: &[Role],
    body: &[usize],
    presenter: Option<&Role>,
) -> Vec<usize> {
    let Some(presenter) = presenter else {
        return Vec::new();
    };
    let head = &body[..body.len().min(3)];
    let by_role = head.iter().position(|&i| &roles[i] == presenter);
    let by_position = || {
        head.iter().position(|&i| {
            let t = &turns[i];
            !is_chair(&roles[i]) && t.end - t.start >= PRESENTATION_SECONDS
        })
    };
    let Some(pos) = by_role.or_else(by_position) else {
        return Vec::new();
    };
    let role = &roles[body[pos]];
    let mut out = Vec::new();
    for &i in &body[pos..] {
        if &roles[i] != role {
            break;
        }
        out.push(i);
        if ends_presentation(&turns[i].verbatim) {
            break;
        }
    }
    out
}

/// A turn at least this long right after an announcement is a presentation.
const PRESENTATION_SECONDS: f64 = 15.0;

/// 「説明は以上です」 and its variants (as misheard) close a presentation.
fn ends_presentation(text: &str) -> bool {
    ja::phrases::contains(ja::phrases::Kind::EndOfPresentation, text)
        || ["説明は、以上", "以上で説明"]
            .iter()
            .any(|p| text.contains(p))
}

/// Turn `index` as a statement; with `substance_only`, without procedural
/// sentences (calls for questions, announcements, decisions, formulas).
/// None when nothing is left.
fn statement(turns: &[DraftTurn], index: usize, substance_only: bool) -> Option<Statement> {
    let turn = &turns[index];
    let sentences = ja::sentences(&turn.text);
    // A fragment a pause cut off a set phrase (「ご質問はあります」「か?」) is
    // procedure when it reads as such with its neighbour.
    let procedural = |k: usize| {
        let this = sentences[k].text;
        let with = |a: &str, b: &str| phrases::is_procedural(&format!("{a}{b}"));
        phrases::is_procedural(this)
            || (content_chars(this) <= FRAGMENT_CHARS
                && (k
                    .checked_sub(1)
                    .is_some_and(|j| with(sentences[j].text, this))
                    || sentences
                        .get(k + 1)
                        .is_some_and(|next| with(this, next.text))))
    };
    let text: String = (0..sentences.len())
        .filter(|&k| !substance_only || !procedural(k))
        .map(|k| sentences[k].text)
        .filter(|s| content_chars(s) > 0)
        .map(ja::punctuate)
        .collect();
    // 「側。」: a lone character heard in the noise says nothing.
    let says_something = content_chars(&text) >= if substance_only { 2 } else { 1 };
    says_something.then_some(Statement {
        turn: turn.id,
        text,
        start: turn.start,
        end: turn.end,
    })
}

/// The decision of a 議案: the last decision sentence of its section. A
/// sentence that is only the item's number (「議案、2。」) is read together
/// with the next one, and a chair's 「議案2…といたします」 whose decision words
/// were misheard is still a decision, of wording the clerk must check.
fn outcome(
    turns: &[DraftTurn],
    roles: &[Role],
    section: &[usize],
    heading: &str,
    flags: &mut Vec<Flag>,
) -> Outcome {
    let heard = section.iter().rev().find_map(|&i| {
        let sentences = ja::sentences(&turns[i].text);
        let chair = is_chair(&roles[i]);
        (0..sentences.len()).rev().find_map(|k| {
            let this = sentences[k].text;
            let text = match k.checked_sub(1).map(|j| sentences[j].text) {
                Some(prev) if bare_item_number(prev) == Some(AgendaKind::Proposal) => {
                    format!("{prev}{this}")
                }
                _ => this.to_string(),
            };
            phrases::decision(&text)
                .or_else(|| (chair && declares_on_item(&text)).then_some(Decision::Other))
                .map(|d| (i, d, text))
        })
    });
    match heard {
        Some((i, Decision::Approved, _)) => Outcome {
            decision: Decision::Approved,
            text: APPROVED.to_string(),
            turn: Some(turns[i].id),
        },
        Some((i, decision, sentence)) => {
            flags.push(Flag {
                kind: FlagKind::DecisionWording,
                message: format!("「{heading}」の決定の文言を確認してください"),
                start: Some(turns[i].start),
            });
            let text = sentence
                .trim_start_matches("それでは、")
                .trim_end_matches('。')
                .to_string();
            Outcome {
                decision,
                text,
                turn: Some(turns[i].id),
            }
        }
        None => {
            flags.push(Flag {
                kind: FlagKind::DecisionUnclear,
                message: format!("「{heading}」の決定が録音から読み取れません"),
                start: None,
            });
            Outcome {
                decision: Decision::Unclear,
                text: UNCLEAR.to_string(),
                turn: None,
            }
        }
    }
}

/// The draft's speakers: `given`, plus one made from a turn's role for
/// each speaker the turns name that `given` lacks (turns drafted without
/// speakers). A turn whose role differs from its speaker's (turns and
/// speakers from different sources) is given a speaker of its own with
/// that role, so that the minutes print the role the turn was given.
fn draft_speakers(
    turns: &mut [DraftTurn],
    heard: &[(Role, f32)],
    given: &[Speaker],
) -> Vec<Speaker> {
    let mut out = given.to_vec();
    let mut next = out
        .iter()
        .map(|s| s.id.0)
        .chain(turns.iter().map(|t| t.speaker.0))
        .max()
        .unwrap_or(0);
    let mut split_off: Vec<(SpeakerId, Role, SpeakerId)> = Vec::new();
    for (t, (role, confidence)) in turns.iter_mut().zip(heard) {
        let new_speaker = |id: SpeakerId| Speaker {
            id,
            role: role.clone(),
            title: None,
            confidence: *confidence,
            confirmed: false,
            evidence: Vec::new(),
        };
        match out.iter().find(|s| s.id == t.speaker) {
            Some(s) if &s.role == role => {}
            None => out.push(new_speaker(t.speaker)),
            Some(_) => {
                let known = split_off
                    .iter()
                    .find(|(from, r, _)| *from == t.speaker && r == role)
                    .map(|(_, _, id)| *id);
                let id = known.unwrap_or_else(|| {
                    next += 1;
                    let id = SpeakerId(next);
                    split_off.push((t.speaker, role.clone(), id));
                    out.push(new_speaker(id));
                    id
                });
                t.speaker = id;
            }
        }
    }
    out
}

/// The ids of the turns at `indices`.
fn turn_ids(turns: &[DraftTurn], indices: &[usize]) -> Vec<TurnId> {
    indices.iter().map(|&i| turns[i].id).collect()
}

/// A sentence this short may be a piece of a set phrase cut by a pause.
const FRAGMENT_CHARS: usize = 5;

/// Characters other than punctuation and spaces.
fn content_chars(text: &str) -> usize {
    text.chars()
        .filter(|&c| !ja::is_sentence_mark(c) && !"、,".contains(c) && !c.is_whitespace())
        .count()
}

/// 「議案、2。」: an item's number and nothing else; its kind.
fn bare_item_number(sentence: &str) -> Option<AgendaKind> {
    let normalized = ja::normalize(sentence);
    ja::agenda_refs(&normalized).first().and_then(|r| {
        (r.number.is_some() && content_chars(&normalized[r.end..]) == 0).then_some(r.kind)
    })
}

/// 「議案2は…といたします」: a chair's sentence naming a 議案 and declaring
/// something of it.
fn declares_on_item(sentence: &str) -> bool {
    let s = sentence.trim_end_matches(|c: char| c.is_whitespace() || ja::is_sentence_mark(c));
    ja::agenda_refs(&ja::normalize(s))
        .iter()
        .any(|r| r.kind == AgendaKind::Proposal && r.number.is_some())
        && ["といたします", "とします", "とし"]
            .iter()
            .any(|e| s.ends_with(e))
        && !phrases::is_announcement(s)
}

/// `start` plus `seconds`, to the minute.
fn clock(start: NaiveTime, seconds: f64) -> ClockTime {
    let (time, _) =
        start.overflowing_add_signed(TimeDelta::milliseconds((seconds * 1000.0) as i64));
    ClockTime(
        time.with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(time),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numbered_item_that_is_named_opens_it() {
        assert!(opens_next_item(
            "広告事項1、事務事業評価の結果について、事務局からお願いします。"
        ));
        assert!(opens_next_item(
            "続いて報告事項を1、入札結果についてお願いします。"
        ));
        assert!(!opens_next_item("議案、2、わらんの通り症人といたします。"));
        assert!(!opens_next_item("議案、2。"));
        assert!(!opens_next_item("報告事項1の資料の3ページですが。"));
    }

    fn turn(text: &str) -> DraftTurn {
        DraftTurn {
            id: TurnId(1),
            start: 0.0,
            end: 10.0,
            speaker: crate::types::SpeakerId(1),
            verbatim: text.into(),
            text: text.into(),
            segments: Vec::new(),
            corrections: Vec::new(),
            checked: false,
        }
    }

    #[test]
    fn pieces_of_set_phrases_and_lone_characters_are_not_questions() {
        let said = |text: &str| statement(&[turn(text)], 0, true).map(|s| s.text);
        assert_eq!(said("ご質問はあります か?"), None);
        assert_eq!(said("ども、若者 資策推進本部を終了 。"), None);
        assert_eq!(said("側。"), None);
        assert_eq!(said("はい。"), Some("はい。".to_string()));
        assert_eq!(
            said("ご質問はあります か? 予算はいくらですか。"),
            Some("予算はいくらですか。".to_string())
        );
    }

    #[test]
    fn a_decision_whose_words_were_misheard_is_still_one() {
        let turns = vec![
            turn("議案2は、継続審議とすることも考えられます。"),
            turn("それでは、再度検討することとします。議案、2。わけづくシンギといたします。"),
        ];
        let roles = [Role::Member, Role::Chair];
        let mut flags = Vec::new();
        let o = outcome(&turns, &roles, &[0, 1], "議案（2）", &mut flags);
        assert_eq!(o.decision, Decision::Other);
        assert_eq!(o.text, "議案、2。わけづくシンギといたします");
        assert_eq!(flags.len(), 1);
        let parts = split_at_announcement(
            &Turn {
                start: 0.0,
                end: 10.0,
                speaker: crate::types::SpeakerId(1),
                role: Role::ViceChair,
                role_confidence: 1.0,
                text: "議案、2。わけづくシンギといたします。報告事項、1。児童相談所について、報告をお願いします。".into(),
                segments: Vec::new(),
            },
            None,
        );
        assert_eq!(parts[0].verbatim, "議案、2。わけづくシンギといたします。");
        let turns = vec![turn("議案2は、わけづくシンギといたします。")];
        let o = outcome(&turns, &[Role::Member], &[0], "議案（2）", &mut Vec::new());
        assert_eq!(o.decision, Decision::Unclear);
    }
}
