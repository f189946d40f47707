//! [`DraftEdit`]: every change a clerk (or the review page) makes to a
//! draft, applied by [`Draft::apply`], which returns the inverse edit: apply
//! it to undo. Edits refer to turns and speakers by id and to items by
//! their index in `items`; an edit that does not fit the draft is refused
//! with an [`EditError`] and changes nothing.

use std::mem::replace;

use serde::{Deserialize, Serialize};

use crate::ja;
use crate::meeting::Role;
use crate::types::SpeakerId;

use super::{Decision, Draft, DraftTurn, Section, Statement, TurnId};

/// One change to a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum DraftEdit {
    /// A speaker's role — and so the role of every line the speaker said —
    /// and whether a clerk has confirmed it.
    SetRole {
        speaker: SpeakerId,
        role: Role,
        confirmed: bool,
    },
    /// A speaker's title (情報管理課長), or none.
    SetTitle {
        speaker: SpeakerId,
        title: Option<String>,
    },
    /// The turn was said by another (existing) speaker.
    MoveTurn { turn: TurnId, to: SpeakerId },
    /// A turn's cleaned text. The turn's statement, if it has one, prints
    /// `statement`, or `text` when that is `None`.
    SetText {
        turn: TurnId,
        text: String,
        statement: Option<String>,
    },
    /// Splits a turn before character `at` of its cleaned text; the second
    /// half gets the next unused id. `restore` is filled in only by
    /// [`Draft::apply`], in the inverse of a merge: the two turns exactly as
    /// they were.
    SplitTurn {
        turn: TurnId,
        at: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restore: Option<Box<Unmerge>>,
    },
    /// Merges `second` into `first`, the turn directly before it in the
    /// same section.
    MergeTurns { first: TurnId, second: TurnId },
    /// The text of sentence `sentence` of item `item`'s 要旨.
    SetSummary {
        item: usize,
        sentence: usize,
        text: String,
    },
    /// Item `item`'s decision line.
    SetDecision {
        item: usize,
        decision: Decision,
        text: String,
    },
    /// Marks item `item` checked (or not).
    CheckItem { item: usize, checked: bool },
    /// Marks a turn checked (or not).
    CheckTurn { turn: TurnId, checked: bool },
}

/// What [`DraftEdit::MergeTurns`] changed, kept in its inverse so that the
/// merge is undone exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmerge {
    first: DraftTurn,
    second: DraftTurn,
    /// The section of the two turns' statements and, for each, its index
    /// there and the statement as it was.
    statements: Option<(Section, Vec<(usize, Statement)>)>,
    /// Items whose presentation included the second turn, with the
    /// presentation as it was.
    presentations: Vec<(usize, Vec<TurnId>)>,
    /// 要旨 sentences (item, sentence) that referred to the second turn.
    summary: Vec<(usize, usize)>,
    /// Items whose decision was heard in the second turn.
    outcomes: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("turn {0} does not exist")]
    NoTurn(TurnId),
    #[error("speaker {0} does not exist")]
    NoSpeaker(SpeakerId),
    #[error("items[{item}] does not exist (the draft has {items} items)")]
    NoItem { item: usize, items: usize },
    #[error("items[{item}].summary[{sentence}] does not exist")]
    NoSentence { item: usize, sentence: usize },
    #[error("items[{item}] ({heading}) has no decision line")]
    NoDecision { item: usize, heading: String },
    #[error("turn {turn} cannot be split before character {at}: its text has {len} characters")]
    SplitOutside { turn: TurnId, at: usize, len: usize },
    #[error("turn {second} does not directly follow turn {first}")]
    NotAdjacent { first: TurnId, second: TurnId },
    #[error("turns {first} and {second} are not in the same section")]
    OtherSections { first: TurnId, second: TurnId },
    #[error("turn {0} exists already")]
    IdInUse(TurnId),
    #[error("the record of the merge into turn {turn} is of turn {record}")]
    WrongRecord { turn: TurnId, record: TurnId },
}

impl Draft {
    /// Applies `edit`; returns the edit that undoes it. On error the draft
    /// is unchanged.
    pub fn apply(&mut self, edit: DraftEdit) -> Result<DraftEdit, EditError> {
        match edit {
            DraftEdit::SetRole {
                speaker,
                role,
                confirmed,
            } => {
                let s = self
                    .speakers
                    .iter_mut()
                    .find(|s| s.id == speaker)
                    .ok_or(EditError::NoSpeaker(speaker))?;
                Ok(DraftEdit::SetRole {
                    speaker,
                    role: replace(&mut s.role, role),
                    confirmed: replace(&mut s.confirmed, confirmed),
                })
            }
            DraftEdit::SetTitle { speaker, title } => {
                let s = self
                    .speakers
                    .iter_mut()
                    .find(|s| s.id == speaker)
                    .ok_or(EditError::NoSpeaker(speaker))?;
                Ok(DraftEdit::SetTitle {
                    speaker,
                    title: replace(&mut s.title, title),
                })
            }
            DraftEdit::MoveTurn { turn, to } => {
                if self.speaker(to).is_none() {
                    return Err(EditError::NoSpeaker(to));
                }
                let t = self.turn_mut(turn)?;
                Ok(DraftEdit::MoveTurn {
                    turn,
                    to: replace(&mut t.speaker, to),
                })
            }
            DraftEdit::SetText {
                turn,
                text,
                statement,
            } => {
                let written = statement.unwrap_or_else(|| text.clone());
                let old_text = replace(&mut self.turn_mut(turn)?.text, text);
                let old_statement = self
                    .statement_mut(turn)
                    .map(|s| replace(&mut s.text, written));
                Ok(DraftEdit::SetText {
                    turn,
                    text: old_text,
                    statement: old_statement,
                })
            }
            DraftEdit::SplitTurn {
                turn,
                at,
                restore: None,
            } => self.split(turn, at),
            DraftEdit::SplitTurn {
                turn,
                restore: Some(record),
                ..
            } => self.unmerge(turn, *record),
            DraftEdit::MergeTurns { first, second } => self.merge(first, second),
            DraftEdit::SetSummary {
                item,
                sentence,
                text,
            } => {
                let s = self
                    .item_mut(item)?
                    .summary
                    .get_mut(sentence)
                    .ok_or(EditError::NoSentence { item, sentence })?;
                Ok(DraftEdit::SetSummary {
                    item,
                    sentence,
                    text: replace(&mut s.text, text),
                })
            }
            DraftEdit::SetDecision {
                item,
                decision,
                text,
            } => {
                let it = self.item_mut(item)?;
                let heading = it.heading();
                let o = it
                    .outcome
                    .as_mut()
                    .ok_or(EditError::NoDecision { item, heading })?;
                Ok(DraftEdit::SetDecision {
                    item,
                    decision: replace(&mut o.decision, decision),
                    text: replace(&mut o.text, text),
                })
            }
            DraftEdit::CheckItem { item, checked } => Ok(DraftEdit::CheckItem {
                item,
                checked: replace(&mut self.item_mut(item)?.checked, checked),
            }),
            DraftEdit::CheckTurn { turn, checked } => Ok(DraftEdit::CheckTurn {
                turn,
                checked: replace(&mut self.turn_mut(turn)?.checked, checked),
            }),
        }
    }

    fn turn_mut(&mut self, id: TurnId) -> Result<&mut DraftTurn, EditError> {
        self.turns
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or(EditError::NoTurn(id))
    }

    fn item_mut(&mut self, item: usize) -> Result<&mut super::Item, EditError> {
        let items = self.items.len();
        self.items
            .get_mut(item)
            .ok_or(EditError::NoItem { item, items })
    }

    fn statement_mut(&mut self, turn: TurnId) -> Option<&mut Statement> {
        let (section, index) = self.statement_of(turn)?;
        self.statements_mut(section)?.get_mut(index)
    }

    /// Splits `turn` before character `at` of its text ([`split_parts`]);
    /// the second half follows the first in its section and presentation,
    /// takes the 要旨 sentences said after the cut, and the turn's statement
    /// is cut where the text is (a half left with no words keeps none).
    fn split(&mut self, turn: TurnId, at: usize) -> Result<DraftEdit, EditError> {
        let i = self.position(turn).ok_or(EditError::NoTurn(turn))?;
        let t = &self.turns[i];
        let len = t.text.chars().count();
        if at == 0 || at >= len {
            return Err(EditError::SplitOutside { turn, at, len });
        }
        let new = self.next_turn_id();
        let next_start = self.turns.get(i + 1).map(|n| n.start);
        let (first, second) = split_parts(t, at, new, next_start);
        let cut = second.start;
        self.turns[i] = first;
        self.turns.insert(i + 1, second);

        if let Some((section, p)) = self.section_of(turn) {
            if let Some(list) = self.section_turns_mut(section) {
                list.insert(p + 1, new);
            }
        }
        for item in &mut self.items {
            if let Some(p) = item.presentation.iter().position(|&x| x == turn) {
                item.presentation.insert(p + 1, new);
            }
            for s in &mut item.summary {
                if s.turn == turn && s.start >= cut {
                    s.turn = new;
                }
            }
        }
        if let Some((section, index)) = self.statement_of(turn) {
            let first_text = self.turns[i].text.clone();
            if let Some(list) = self.statements_mut(section) {
                let s = list[index].clone();
                let (a, b) = split_statement(&s.text, &first_text);
                match (has_content(&a), has_content(&b)) {
                    (true, true) => {
                        let cut = cut.max(s.start).min(s.end);
                        list[index] = Statement {
                            text: a,
                            end: cut,
                            ..s.clone()
                        };
                        list.insert(
                            index + 1,
                            Statement {
                                turn: new,
                                text: b,
                                start: cut,
                                ..s
                            },
                        );
                    }
                    (false, true) => list[index].turn = new,
                    _ => {}
                }
            }
        }
        Ok(DraftEdit::MergeTurns {
            first: turn,
            second: new,
        })
    }

    fn merge(&mut self, first: TurnId, second: TurnId) -> Result<DraftEdit, EditError> {
        let i = self.position(first).ok_or(EditError::NoTurn(first))?;
        let j = self.position(second).ok_or(EditError::NoTurn(second))?;
        if j != i + 1 {
            return Err(EditError::NotAdjacent { first, second });
        }
        let section = match (self.section_of(first), self.section_of(second)) {
            (Some((a, p)), Some((b, q))) if a == b && q == p + 1 => Some(a),
            (None, None) => None,
            _ => return Err(EditError::OtherSections { first, second }),
        };
        let a = self.turns[i].clone();
        let b = self.turns[j].clone();
        let statements = section.map(|section| {
            let list = self
                .sections()
                .into_iter()
                .find(|(s, _, _)| *s == section)
                .map(|(_, _, statements)| statements.clone())
                .unwrap_or_default();
            let kept: Vec<(usize, Statement)> = list
                .into_iter()
                .enumerate()
                .filter(|(_, s)| s.turn == first || s.turn == second)
                .collect();
            (section, kept)
        });
        let mut record = Unmerge {
            first: a.clone(),
            second: b.clone(),
            statements: statements.filter(|(_, kept)| !kept.is_empty()),
            presentations: Vec::new(),
            summary: Vec::new(),
            outcomes: Vec::new(),
        };

        self.turns[i] = merged(&a, &b);
        self.turns.remove(j);
        if let Some(list) = section.and_then(|s| self.section_turns_mut(s)) {
            list.retain(|&t| t != second);
        }
        for (k, item) in self.items.iter_mut().enumerate() {
            if item.presentation.contains(&second) {
                record.presentations.push((k, item.presentation.clone()));
                if item.presentation.contains(&first) {
                    item.presentation.retain(|&t| t != second);
                } else {
                    for t in &mut item.presentation {
                        if *t == second {
                            *t = first;
                        }
                    }
                }
            }
            for (n, s) in item.summary.iter_mut().enumerate() {
                if s.turn == second {
                    s.turn = first;
                    record.summary.push((k, n));
                }
            }
            if let Some(o) = item.outcome.as_mut().filter(|o| o.turn == Some(second)) {
                o.turn = Some(first);
                record.outcomes.push(k);
            }
        }
        if let Some((section, _)) = &record.statements {
            if let Some(list) = self.statements_mut(*section) {
                let of_first = list.iter().position(|s| s.turn == first);
                let of_second = list.iter().position(|s| s.turn == second);
                match (of_first, of_second) {
                    (Some(p), Some(q)) => {
                        let s2 = list.remove(q);
                        let p = if q < p { p - 1 } else { p };
                        list[p].text.push_str(&s2.text);
                        list[p].end = s2.end;
                    }
                    (None, Some(q)) => list[q].turn = first,
                    _ => {}
                }
            }
        }
        Ok(DraftEdit::SplitTurn {
            turn: first,
            at: a.text.chars().count(),
            restore: Some(Box::new(record)),
        })
    }

    /// Undoes a merge into `turn` from its record.
    fn unmerge(&mut self, turn: TurnId, record: Unmerge) -> Result<DraftEdit, EditError> {
        let i = self.position(turn).ok_or(EditError::NoTurn(turn))?;
        if record.first.id != turn {
            return Err(EditError::WrongRecord {
                turn,
                record: record.first.id,
            });
        }
        let second = record.second.id;
        if self.turn(second).is_some() {
            return Err(EditError::IdInUse(second));
        }
        let Unmerge {
            first: a,
            second: b,
            statements,
            presentations,
            summary,
            outcomes,
        } = record;
        self.turns[i] = a;
        self.turns.insert(i + 1, b);
        if let Some((section, p)) = self.section_of(turn) {
            if let Some(list) = self.section_turns_mut(section) {
                list.insert(p + 1, second);
            }
        }
        for (k, presentation) in presentations {
            if let Some(item) = self.items.get_mut(k) {
                item.presentation = presentation;
            }
        }
        for (k, n) in summary {
            if let Some(s) = self.items.get_mut(k).and_then(|i| i.summary.get_mut(n)) {
                s.turn = second;
            }
        }
        for k in outcomes {
            if let Some(o) = self.items.get_mut(k).and_then(|i| i.outcome.as_mut()) {
                o.turn = Some(second);
            }
        }
        if let Some((section, mut kept)) = statements {
            if let Some(list) = self.statements_mut(section) {
                list.retain(|s| s.turn != turn);
                kept.sort_by_key(|(index, _)| *index);
                for (index, s) in kept {
                    list.insert(index.min(list.len()), s);
                }
            }
        }
        Ok(DraftEdit::MergeTurns {
            first: turn,
            second,
        })
    }
}

/// The two halves of `t` split before character `at` of its text (`0 < at
/// < len`), the second with id `new`:
/// - `verbatim` is cut where the first half's text ends in it (fillers
///   before the second half's first word go with the second half), or in
///   proportion when the text was edited out of line with it;
/// - the time is cut in proportion to the characters, but not after the
///   next turn's start (`next_start`), so turns stay in time order;
/// - segments are divided in proportion (the draft does not hold their
///   texts); a turn of one segment leaves it to both halves;
/// - corrections go with the half of `verbatim` they are in.
///
/// Merging the halves gives back `t`.
fn split_parts(
    t: &DraftTurn,
    at: usize,
    new: TurnId,
    next_start: Option<f64>,
) -> (DraftTurn, DraftTurn) {
    let len = t.text.chars().count().max(1);
    let text_cut = byte_at(&t.text, at);
    let (text_a, text_b) = t.text.split_at(text_cut);
    let vlen = t.verbatim.chars().count();
    let vcut = align(text_a, &t.verbatim)
        .unwrap_or_else(|| ((vlen * at) as f64 / len as f64).round() as usize)
        .min(vlen);
    let verbatim_cut = byte_at(&t.verbatim, vcut);
    let cut = (t.start + (t.end - t.start) * at as f64 / len as f64)
        .min(next_start.unwrap_or(f64::INFINITY))
        .max(t.start);
    let n = t.segments.len();
    let (seg_a, seg_b) = if n < 2 {
        (t.segments.clone(), t.segments.clone())
    } else {
        let frac = if vlen == 0 {
            0.5
        } else {
            vcut as f64 / vlen as f64
        };
        let k = ((n as f64 * frac).round() as usize).clamp(1, n - 1);
        (t.segments[..k].to_vec(), t.segments[k..].to_vec())
    };
    let (corr_a, corr_b): (Vec<_>, Vec<_>) =
        t.corrections.iter().cloned().partition(|c| c.at < vcut);
    let first = DraftTurn {
        end: cut,
        verbatim: t.verbatim[..verbatim_cut].to_string(),
        text: text_a.to_string(),
        segments: seg_a,
        corrections: corr_a,
        ..t.clone()
    };
    let second = DraftTurn {
        id: new,
        start: cut,
        verbatim: t.verbatim[verbatim_cut..].to_string(),
        text: text_b.to_string(),
        segments: seg_b,
        corrections: corr_b
            .into_iter()
            .map(|c| crate::types::Correction {
                at: c.at - vcut,
                ..c
            })
            .collect(),
        ..t.clone()
    };
    (first, second)
}

/// `a` and `b` as one turn: `a`'s id and speaker, texts joined, `b`'s end;
/// a segment ending `a` and starting `b` is listed once.
fn merged(a: &DraftTurn, b: &DraftTurn) -> DraftTurn {
    let shift = a.verbatim.chars().count();
    let mut segments = a.segments.clone();
    let skip = usize::from(!b.segments.is_empty() && a.segments.last() == b.segments.first());
    segments.extend_from_slice(&b.segments[skip..]);
    let mut corrections = a.corrections.clone();
    corrections.extend(b.corrections.iter().map(|c| crate::types::Correction {
        at: c.at + shift,
        ..c.clone()
    }));
    DraftTurn {
        end: b.end,
        verbatim: format!("{}{}", a.verbatim, b.verbatim),
        text: format!("{}{}", a.text, b.text),
        segments,
        corrections,
        checked: a.checked && b.checked,
        ..a.clone()
    }
}

/// Byte offset of character `chars` of `text` (its length past the end).
fn byte_at(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

/// The character offset in `longer` just after `prefix` read as a
/// subsequence of it (a cleaned text is its verbatim text less fillers);
/// `None` when it is not one.
fn align(prefix: &str, longer: &str) -> Option<usize> {
    let chars: Vec<char> = longer.chars().collect();
    let mut k = 0;
    for c in prefix.chars() {
        k += chars.get(k..)?.iter().position(|&x| x == c)? + 1;
    }
    Some(k)
}

/// A statement's text cut where its turn's text is cut after `first`: the
/// statement is the turn's text with procedural sentences left out and
/// punctuation added, so each character of `first` is looked for a few
/// characters ahead and skipped when it is not there; marks that end the
/// first half's last sentence stay with it.
fn split_statement(statement: &str, first: &str) -> (String, String) {
    const AHEAD: usize = 3;
    let chars: Vec<char> = statement.chars().collect();
    let mut k = 0;
    for c in first.chars() {
        let end = (k + AHEAD).min(chars.len());
        if let Some(p) = chars[k..end].iter().position(|&x| x == c) {
            k += p + 1;
        }
    }
    while k < chars.len() && (ja::is_sentence_mark(chars[k]) || chars[k] == '、') {
        k += 1;
    }
    (chars[..k].iter().collect(), chars[k..].iter().collect())
}

fn has_content(text: &str) -> bool {
    text.chars()
        .any(|c| !ja::is_sentence_mark(c) && c != '、' && !c.is_whitespace())
}
