//! [`Draft::validate`]: does a draft hold together? Run on every load, so a
//! hand-edited draft.json that refers to a turn that is not there, or whose
//! times run backwards, is refused with the field at fault named
//! (`items[2].presentation[0]: turn T45 does not exist`).

use std::collections::HashMap;

use crate::types::SpeakerId;

use super::{Draft, TurnId};

/// One thing wrong in a draft: where (`field`, a path such as
/// `items[2].presentation[0]`) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Problem {
    pub field: String,
    pub message: String,
}

struct Check<'a> {
    draft: &'a Draft,
    problems: Vec<Problem>,
}

impl Check<'_> {
    fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }

    /// `turn` exists; reports it under `field` when not.
    fn exists(&mut self, field: &str, turn: TurnId) -> bool {
        let found = self.draft.turn(turn).is_some();
        if !found {
            self.problem(field, format!("turn {turn} does not exist"));
        }
        found
    }

    /// `turn` exists and is one of `within` (the path `within_path`).
    fn exists_in(&mut self, field: &str, turn: TurnId, within: &[TurnId], within_path: &str) {
        if self.exists(field, turn) && !within.contains(&turn) {
            self.problem(field, format!("turn {turn} is not in {within_path}"));
        }
    }

    /// A finite span that does not run backwards.
    fn span(&mut self, field: &str, start: f64, end: f64) {
        if !(start.is_finite() && end.is_finite()) {
            self.problem(field, format!("times {start}–{end} are not finite"));
        } else if start > end {
            self.problem(field, format!("start {start} s is after end {end} s"));
        }
    }
}

impl Draft {
    /// Every problem in the draft, or none: ids unique; every turn, speaker
    /// and statement referred to exists; a turn is in at most one section
    /// and has at most one statement, in that section; presentations, 要旨
    /// sentences and decisions refer to turns of their own item; every span
    /// has start ≤ end; turns are in time order.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let mut c = Check {
            draft: self,
            problems: Vec::new(),
        };
        if self.version != Draft::VERSION {
            c.problem(
                "version",
                format!("is {}, expected {}", self.version, Draft::VERSION),
            );
        }
        let mut speakers: HashMap<SpeakerId, usize> = HashMap::new();
        for (i, s) in self.speakers.iter().enumerate() {
            if let Some(first) = speakers.insert(s.id, i) {
                c.problem(
                    format!("speakers[{i}].id"),
                    format!("speaker {} is also speakers[{first}]", s.id),
                );
            }
        }
        let mut turns: HashMap<TurnId, usize> = HashMap::new();
        for (i, t) in self.turns.iter().enumerate() {
            if let Some(first) = turns.insert(t.id, i) {
                c.problem(
                    format!("turns[{i}].id"),
                    format!("turn {} is also turns[{first}]", t.id),
                );
            }
            if !speakers.contains_key(&t.speaker) {
                c.problem(
                    format!("turns[{i}].speaker"),
                    format!("speaker {} does not exist", t.speaker),
                );
            }
            c.span(&format!("turns[{i}]"), t.start, t.end);
            if let Some(previous) = i.checked_sub(1).map(|p| &self.turns[p]) {
                if t.start < previous.start {
                    c.problem(
                        format!("turns[{i}].start"),
                        format!(
                            "{} s is before turns[{}].start {} s: turns must be in time order",
                            t.start,
                            i - 1,
                            previous.start
                        ),
                    );
                }
            }
        }

        let mut section_of: HashMap<TurnId, String> = HashMap::new();
        let mut statement_of: HashMap<TurnId, String> = HashMap::new();
        for (section, list, statements) in self.sections() {
            let path = section.turns_path();
            for (j, &turn) in list.iter().enumerate() {
                let field = format!("{path}[{j}]");
                if c.exists(&field, turn) {
                    if let Some(other) = section_of.insert(turn, field.clone()) {
                        c.problem(&field, format!("turn {turn} is also {other}"));
                    }
                }
            }
            let spath = section.statements_path();
            for (j, s) in statements.iter().enumerate() {
                let field = format!("{spath}[{j}]");
                c.exists_in(&format!("{field}.turn"), s.turn, list, &path);
                if let Some(other) = statement_of.insert(s.turn, field.clone()) {
                    c.problem(
                        format!("{field}.turn"),
                        format!("turn {} already has a statement, {other}", s.turn),
                    );
                }
                c.span(&field, s.start, s.end);
            }
        }
        for (k, item) in self.items.iter().enumerate() {
            let within = format!("items[{k}].turns");
            c.span(&format!("items[{k}]"), item.start, item.end);
            for (j, &turn) in item.presentation.iter().enumerate() {
                c.exists_in(
                    &format!("items[{k}].presentation[{j}]"),
                    turn,
                    &item.turns,
                    &within,
                );
            }
            for (j, s) in item.summary.iter().enumerate() {
                let field = format!("items[{k}].summary[{j}]");
                c.exists_in(&format!("{field}.turn"), s.turn, &item.turns, &within);
                c.span(&field, s.start, s.end);
            }
            if let Some(turn) = item.outcome.as_ref().and_then(|o| o.turn) {
                c.exists_in(
                    &format!("items[{k}].outcome.turn"),
                    turn,
                    &item.turns,
                    &within,
                );
            }
        }
        if c.problems.is_empty() {
            Ok(())
        } else {
            Err(c.problems)
        }
    }
}
