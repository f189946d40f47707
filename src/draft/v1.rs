//! draft.json version 1, read and upgraded to the current schema.
//!
//! Version 1 referred to turns by their index in `turns` and copied the
//! speaker's role into every turn and statement:
//! ```text
//! turns:      [ {start, end, speaker "S1", role "本部長", role_confidence, verbatim, text, segments, corrections} ]
//! statements: [ {turn i, role, text, start, end} ]
//! items:      [ {… turns [i], presentation [i], summary [{text, turn i, start, end}],
//!                outcome {decision, text, turn i|null}|null …} ]
//! ```
//! Index `i` becomes [`TurnId`] `T<i + 1>` (an index past the end becomes
//! an id that does not exist, which validation then reports), and roles
//! come from `speakers`; a speaker the file does not list (all of them,
//! in files written without `speakers`) is made from the role of its first
//! turn. The copied roles are otherwise dropped.

use serde::Deserialize;

use crate::meeting::{AgendaKind, ClockTime, Role};
use crate::types::{Correction, Speaker, SpeakerId};

use super::{
    Closing, Decision, Draft, DraftTurn, Flag, Found, Header, Item, Outcome, Part, SegmentId,
    Statement, SummarySentence, TurnId,
};

#[derive(Deserialize)]
pub(super) struct DraftV1 {
    meeting: Header,
    #[serde(default)]
    speakers: Vec<Speaker>,
    turns: Vec<TurnV1>,
    opening: PartV1,
    items: Vec<ItemV1>,
    closing: ClosingV1,
    #[serde(default)]
    flags: Vec<Flag>,
}

#[derive(Deserialize)]
struct TurnV1 {
    start: f64,
    end: f64,
    speaker: SpeakerId,
    role: Role,
    #[serde(default)]
    role_confidence: f32,
    verbatim: String,
    text: String,
    #[serde(default)]
    segments: Vec<usize>,
    #[serde(default)]
    corrections: Vec<Correction>,
}

#[derive(Deserialize)]
struct StatementV1 {
    turn: usize,
    text: String,
    start: f64,
    end: f64,
}

#[derive(Deserialize)]
struct PartV1 {
    turns: Vec<usize>,
    statements: Vec<StatementV1>,
}

#[derive(Deserialize)]
struct ClosingV1 {
    turns: Vec<usize>,
    statements: Vec<StatementV1>,
    end_time: Option<ClockTime>,
}

#[derive(Deserialize)]
struct ItemV1 {
    kind: AgendaKind,
    number: u32,
    title: String,
    found: Found,
    start: f64,
    end: f64,
    turns: Vec<usize>,
    presenter: Option<Role>,
    presentation: Vec<usize>,
    summary: Vec<SummaryV1>,
    questions: Vec<StatementV1>,
    outcome: Option<OutcomeV1>,
    #[serde(default)]
    flags: Vec<Flag>,
}

#[derive(Deserialize)]
struct SummaryV1 {
    text: String,
    turn: usize,
    start: f64,
    end: f64,
}

#[derive(Deserialize)]
struct OutcomeV1 {
    decision: Decision,
    text: String,
    turn: Option<usize>,
}

fn id(index: usize) -> TurnId {
    TurnId(u32::try_from(index).map_or(u32::MAX, |i| i.saturating_add(1)))
}

fn ids(indices: Vec<usize>) -> Vec<TurnId> {
    indices.into_iter().map(id).collect()
}

fn statements(v1: Vec<StatementV1>) -> Vec<Statement> {
    v1.into_iter()
        .map(|s| Statement {
            turn: id(s.turn),
            text: s.text,
            start: s.start,
            end: s.end,
        })
        .collect()
}

/// The version 1 draft in the current schema.
pub(super) fn upgrade(v1: DraftV1) -> Draft {
    let mut speakers = v1.speakers;
    for t in &v1.turns {
        if !speakers.iter().any(|s| s.id == t.speaker) {
            speakers.push(Speaker {
                id: t.speaker,
                role: t.role.clone(),
                title: None,
                confidence: t.role_confidence,
                confirmed: false,
                evidence: Vec::new(),
            });
        }
    }
    let turns = v1
        .turns
        .into_iter()
        .enumerate()
        .map(|(i, t)| DraftTurn {
            id: id(i),
            start: t.start,
            end: t.end,
            speaker: t.speaker,
            verbatim: t.verbatim,
            text: t.text,
            segments: t.segments.into_iter().map(SegmentId).collect(),
            corrections: t.corrections,
            checked: false,
        })
        .collect();
    let items = v1
        .items
        .into_iter()
        .map(|i| Item {
            kind: i.kind,
            number: i.number,
            title: i.title,
            found: i.found,
            start: i.start,
            end: i.end,
            turns: ids(i.turns),
            presenter: i.presenter,
            presentation: ids(i.presentation),
            summary: i
                .summary
                .into_iter()
                .map(|s| SummarySentence {
                    text: s.text,
                    turn: id(s.turn),
                    start: s.start,
                    end: s.end,
                })
                .collect(),
            questions: statements(i.questions),
            outcome: i.outcome.map(|o| Outcome {
                decision: o.decision,
                text: o.text,
                turn: o.turn.map(id),
            }),
            flags: i.flags,
            checked: false,
        })
        .collect();
    Draft {
        version: Draft::VERSION,
        meeting: v1.meeting,
        speakers,
        turns,
        opening: Part {
            turns: ids(v1.opening.turns),
            statements: statements(v1.opening.statements),
        },
        items,
        closing: Closing {
            turns: ids(v1.closing.turns),
            statements: statements(v1.closing.statements),
            end_time: v1.closing.end_time,
        },
        flags: v1.flags,
    }
}
