//! Post-correction of recognised text with what the meeting file says: the
//! stage between recognition and speakers that fixes Whisper's systematic
//! errors on meeting vocabulary, and records every fix.
//!
//! Three rules, tried in this order on each segment:
//! - **era** (`CorrectionRule::Era`): a misheard era name before a year,
//!   「例は4年度」 → 「令和4年度」. Only when a number, 年 and then 度 or a month
//!   follow, the year is plausible for the meeting's date, and the word before
//!   is not one the misreading could belong to (条例は, この例は).
//! - **confusion** (`CorrectionRule::Confusion`): a curated `wrong → right`
//!   list (`assets/corrections.txt`, or a clerk's own file), each entry used
//!   only when its right-hand side is in this meeting's vocabulary.
//! - **glossary** (`CorrectionRule::Glossary`): a near-match of a long
//!   vocabulary term, 「動成情報化推進本部」 → 「行政情報化推進本部」. Terms
//!   shorter than [`MIN_FUZZY_CHARS`] are never matched loosely; longer terms
//!   allow 1–3 edits by length, a changed first or last character only from
//!   8 characters on, and never a change that makes or unmakes a particle.
//!
//! Replacements are always a vocabulary term (or a fixed era name): the
//! stage never invents words. A corrected segment keeps Whisper's text in
//! `verbatim` and lists its [`Correction`]s (what, by what, which rule, where).
//! Pure apart from reading the optional confusions file in the builder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::Datelike;

use crate::draft::DraftTurn;
use crate::meeting::Meeting;
use crate::metrics::edit_distance;
use crate::types::{Correction, CorrectionRule, Segment};

mod chars;
mod era;
#[cfg(test)]
mod tests;

use chars::{contains, ends_within, is_separator, occurrences};
use era::{can_precede_era, era_year_after, is_hiragana, ERA_MISREADINGS};

/// The built-in confusion list, `assets/corrections.txt`.
pub const DEFAULT_CONFUSIONS: &str = include_str!("../../assets/corrections.txt");

/// Vocabulary terms shorter than this (in characters) are never fuzzy-matched:
/// a near-match of a short term is too often another real word.
pub const MIN_FUZZY_CHARS: usize = 6;

#[derive(Debug, thiserror::Error)]
pub enum CorrectError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Confusions {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// One `wrong → right` line of a confusion list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confusion {
    pub wrong: String,
    pub right: String,
    /// Line in its file (1-based).
    pub line: usize,
}

/// Parses a confusion list (the format of `assets/corrections.txt`); `path`
/// only names the file in errors.
pub fn parse_confusions(path: &Path, text: &str) -> Result<Vec<Confusion>, CorrectError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let error = |message: String| CorrectError::Confusions {
            path: path.to_path_buf(),
            line,
            message,
        };
        let (wrong, right) = content
            .split_once('→')
            .or_else(|| content.split_once("->"))
            .ok_or_else(|| error(format!("`{content}` is not `wrong → right`")))?;
        let (wrong, right) = (wrong.trim(), right.trim());
        if wrong.is_empty() || right.is_empty() {
            return Err(error(format!("`{content}` needs a word on each side of →")));
        }
        if right.contains('→') || right.contains("->") {
            return Err(error(format!("`{content}` has more than one →")));
        }
        if wrong == right {
            return Err(error(format!("`{content}` replaces a word by itself")));
        }
        out.push(Confusion {
            wrong: wrong.to_string(),
            right: right.to_string(),
            line,
        });
    }
    Ok(out)
}

/// Where the confusion list comes from.
#[derive(Debug, Clone)]
enum Source {
    Default,
    File(PathBuf),
    Text { name: PathBuf, text: String },
}

/// Builds a [`Corrector`]; see [`Corrector::builder`].
#[derive(Debug, Clone)]
pub struct CorrectorBuilder<'a> {
    meeting: &'a Meeting,
    source: Source,
    era: bool,
    confusion: bool,
    glossary: bool,
}

impl<'a> CorrectorBuilder<'a> {
    /// A clerk's confusion list replacing the built-in one, read in [`build`](Self::build).
    pub fn confusions_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Source::File(path.into());
        self
    }

    /// A confusion list given as text; `name` names it in errors.
    pub fn confusions_text(mut self, name: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.source = Source::Text {
            name: name.into(),
            text: text.into(),
        };
        self
    }

    /// Whether to use each rule (all on by default).
    pub fn rules(mut self, era: bool, confusion: bool, glossary: bool) -> Self {
        self.era = era;
        self.confusion = confusion;
        self.glossary = glossary;
        self
    }

    pub fn build(self) -> Result<Corrector, CorrectError> {
        let (name, text) = match self.source {
            Source::Default => (
                PathBuf::from("assets/corrections.txt"),
                DEFAULT_CONFUSIONS.to_string(),
            ),
            Source::File(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| CorrectError::Io {
                    path: path.clone(),
                    source,
                })?;
                (path, text)
            }
            Source::Text { name, text } => (name, text),
        };
        let all = parse_confusions(&name, &text)?;
        let terms = vocabulary(self.meeting);
        let mut pieces: Vec<String> = Vec::new();
        for term in &terms {
            for piece in term.split(|c: char| is_separator(c) || "（）()「」".contains(c)) {
                if !piece.is_empty() && !pieces.iter().any(|p| p == piece) {
                    pieces.push(piece.to_string());
                }
            }
        }
        pieces.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        let (mut confusions, unused): (Vec<Confusion>, Vec<Confusion>) = all
            .into_iter()
            .partition(|c| terms.iter().any(|t| t.contains(&c.right)));
        confusions.sort_by(|a, b| {
            b.wrong
                .chars()
                .count()
                .cmp(&a.wrong.chars().count())
                .then(a.line.cmp(&b.line))
        });
        Ok(Corrector {
            piece_set: pieces.iter().cloned().collect(),
            pieces: pieces.iter().map(|p| p.chars().collect()).collect(),
            terms,
            confusions,
            unused,
            meeting_year: self.meeting.date.year(),
            era: self.era,
            confusion: self.confusion,
            glossary: self.glossary,
        })
    }
}

/// Corrects recognised segments with the meeting's vocabulary; see the module doc.
#[derive(Debug, Clone)]
pub struct Corrector {
    /// The meeting's vocabulary, whole (right-hand sides of confusions must occur in one).
    terms: Vec<String>,
    /// The vocabulary cut at spaces, brackets and punctuation: what the
    /// glossary rule matches, longest first.
    pieces: Vec<Vec<char>>,
    piece_set: HashSet<String>,
    /// Confusions whose right-hand side is in the vocabulary, longest first.
    confusions: Vec<Confusion>,
    /// Confusions not used for this meeting.
    unused: Vec<Confusion>,
    meeting_year: i32,
    era: bool,
    confusion: bool,
    glossary: bool,
}

/// A replacement found in the current text (character positions).
struct Edit {
    start: usize,
    end: usize,
    to: Vec<char>,
    rule: CorrectionRule,
}

impl Corrector {
    /// Default: the built-in confusion list and all three rules.
    pub fn builder(meeting: &Meeting) -> CorrectorBuilder<'_> {
        CorrectorBuilder {
            meeting,
            source: Source::Default,
            era: true,
            confusion: true,
            glossary: true,
        }
    }

    /// The confusion entries in use for this meeting.
    pub fn confusions(&self) -> &[Confusion] {
        &self.confusions
    }

    /// Entries of the list left out because their right-hand side is not in
    /// this meeting's vocabulary.
    pub fn unused_confusions(&self) -> &[Confusion] {
        &self.unused
    }

    /// The segments with their text corrected. A corrected segment keeps
    /// Whisper's text in `verbatim` (the first one, if it was corrected
    /// before) and lists what changed in `corrections`; others are unchanged.
    pub fn correct(&self, segments: Vec<Segment>) -> Vec<Segment> {
        segments
            .into_iter()
            .map(|mut segment| {
                let (text, corrections) = self.correct_text(&segment.text);
                if !corrections.is_empty() {
                    segment.verbatim.get_or_insert(segment.text.clone());
                    segment.text = text;
                    segment.corrections.extend(corrections);
                }
                segment
            })
            .collect()
    }

    /// `text` corrected, and the corrections in text order (`at` is the
    /// character offset of `to` in the returned text).
    pub fn correct_text(&self, text: &str) -> (String, Vec<Correction>) {
        let mut chars: Vec<char> = text.chars().collect();
        let mut done: Vec<Correction> = Vec::new();
        if self.era {
            let edits = self.era_edits(&chars, &done);
            apply(&mut chars, &mut done, edits);
        }
        if self.confusion {
            let edits = self.confusion_edits(&chars, &done);
            apply(&mut chars, &mut done, edits);
        }
        if self.glossary {
            let edits = self.glossary_edits(&chars, &done);
            apply(&mut chars, &mut done, edits);
        }
        done.sort_by_key(|c| c.at);
        (chars.into_iter().collect(), done)
    }

    fn era_edits(&self, chars: &[char], done: &[Correction]) -> Vec<Edit> {
        let mut edits: Vec<Edit> = Vec::new();
        for &(misreading, era) in ERA_MISREADINGS {
            let m: Vec<char> = misreading.chars().collect();
            for start in occurrences(chars, &m) {
                let end = start + m.len();
                if start > 0 && !can_precede_era(chars[start - 1]) {
                    continue;
                }
                let Some(year) = era_year_after(&chars[end..]) else {
                    continue;
                };
                if !era.plausible(year, self.meeting_year)
                    || overlaps_done(done, start, end)
                    || edits.iter().any(|e| e.start < end && start < e.end)
                {
                    continue;
                }
                edits.push(Edit {
                    start,
                    end,
                    to: era.name().chars().collect(),
                    rule: CorrectionRule::Era,
                });
            }
        }
        edits
    }

    fn confusion_edits(&self, chars: &[char], done: &[Correction]) -> Vec<Edit> {
        let protected = self.exact_pieces(chars);
        let mut edits: Vec<Edit> = Vec::new();
        for confusion in &self.confusions {
            let wrong: Vec<char> = confusion.wrong.chars().collect();
            for start in occurrences(chars, &wrong) {
                let end = start + wrong.len();
                // Inside a term the meeting uses as written: leave it.
                if protected.iter().any(|&(s, e, _)| s <= start && end <= e) {
                    continue;
                }
                if overlaps_done(done, start, end)
                    || edits.iter().any(|e| e.start < end && start < e.end)
                {
                    continue;
                }
                edits.push(Edit {
                    start,
                    end,
                    to: confusion.right.chars().collect(),
                    rule: CorrectionRule::Confusion,
                });
            }
        }
        edits
    }

    fn glossary_edits(&self, chars: &[char], done: &[Correction]) -> Vec<Edit> {
        let protected = self.exact_pieces(chars);
        // (distance per character, -length, start, end, piece index)
        let mut candidates: Vec<(f64, isize, usize, usize, usize)> = Vec::new();
        for (index, piece) in self.pieces.iter().enumerate() {
            let n = piece.len();
            let limit = fuzzy_limit(n);
            if limit == 0 {
                continue;
            }
            for end in ends_within(chars, piece, limit) {
                for len in n.saturating_sub(limit).max(1)..=n + limit {
                    let Some(start) = end.checked_sub(len) else {
                        break;
                    };
                    let span = &chars[start..end];
                    let Some(distance) = self.glossary_match(span, piece, limit) else {
                        continue;
                    };
                    if overlaps_done(done, start, end)
                        || protected.iter().any(|&(s, e, p)| {
                            s < end && start < e && !contains(piece, &self.pieces[p])
                        })
                    {
                        continue;
                    }
                    candidates.push((distance as f64 / n as f64, -(n as isize), start, end, index));
                }
            }
        }
        candidates.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then(a.2.cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        let mut edits: Vec<Edit> = Vec::new();
        for (_, _, start, end, index) in candidates {
            if edits.iter().any(|e| e.start < end && start < e.end) {
                continue;
            }
            edits.push(Edit {
                start,
                end,
                to: self.pieces[index].clone(),
                rule: CorrectionRule::Glossary,
            });
        }
        edits
    }

    /// The edit distance if `span` may be corrected to `piece`.
    fn glossary_match(&self, span: &[char], piece: &[char], limit: usize) -> Option<usize> {
        if span == piece || span.iter().any(|&c| is_separator(c)) {
            return None;
        }
        let distance = edit_distance(span, piece);
        if distance == 0 || distance > limit {
            return None;
        }
        let (first, last) = (span.len() - 1, piece.len() - 1);
        // The term's first and last characters must stand where the span's do
        // (changed at most): a span that only adds or drops an end character
        // is another word next to the term (保健福祉部と ≠ 保健福祉部長).
        let head = usize::from(span[0] != piece[0]);
        let tail = usize::from(span[first] != piece[last]);
        if edit_distance(&span[1..], &piece[1..]) + head != distance
            || edit_distance(&span[..first], &piece[..last]) + tail != distance
        {
            return None;
        }
        if head + tail > 0 {
            // A changed end character only for long terms, and never when the
            // rest is a term of its own (デジタル化推進 + 人).
            if piece.len() < 8 {
                return None;
            }
            let core: String = piece[head..piece.len() - tail].iter().collect();
            if self.piece_set.contains(&core) {
                return None;
            }
        }
        // Characters the correction removes must not be particles, okurigana or numbers.
        if span
            .iter()
            .filter(|c| !piece.contains(c))
            .any(|&c| is_hiragana(c) || c.is_numeric())
        {
            return None;
        }
        if self.ambiguous(span, piece) {
            return None;
        }
        // The span must not be a term itself, nor nearer another term.
        let text: String = span.iter().collect();
        if self.terms.iter().any(|t| t.contains(&text)) {
            return None;
        }
        if self
            .pieces
            .iter()
            .any(|other| other.as_slice() != piece && edit_distance(span, other) < distance)
        {
            return None;
        }
        Some(distance)
    }

    /// Whether another term fits around the changed part as well as `piece`
    /// does: 「管理職加速の入れ替え」 could be 管理職携帯の入れ替え or
    /// 管理職パソコンの入れ替え, so it is left alone.
    fn ambiguous(&self, span: &[char], piece: &[char]) -> bool {
        let shortest = span.len().min(piece.len());
        let pre = span
            .iter()
            .zip(piece)
            .take_while(|(a, b)| a == b)
            .count()
            .min(shortest);
        let suf = span
            .iter()
            .rev()
            .zip(piece.iter().rev())
            .take_while(|(a, b)| a == b)
            .count()
            .min(shortest - pre);
        let (prefix, middle, suffix) = (
            &piece[..pre],
            &piece[pre..piece.len() - suf],
            &piece[piece.len() - suf..],
        );
        self.pieces
            .iter()
            .filter(|q| q.as_slice() != piece && !contains(q, piece))
            .any(|q| {
                (0..=q.len()).any(|i| {
                    let Some(after) = q[i..].strip_prefix(prefix) else {
                        return false;
                    };
                    (0..=after.len())
                        .any(|gap| after[gap..].starts_with(suffix) && &after[..gap] != middle)
                })
            })
    }

    /// Where vocabulary pieces of two characters or more occur exactly in
    /// `chars`: (start, end, piece index).
    fn exact_pieces(&self, chars: &[char]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (index, piece) in self.pieces.iter().enumerate() {
            if piece.len() < 2 {
                continue;
            }
            for start in occurrences(chars, piece) {
                out.push((start, start + piece.len(), index));
            }
        }
        out
    }
}

/// Attaches the corrections of each turn's segments to the draft turns made
/// from them (`at` becomes the offset in the turn's `verbatim`), so that
/// draft.json shows the clerk what was corrected where. A correction whose
/// replacement is not in the turn's text (the other half of a split turn) is
/// not attached.
pub fn attach_to_turns(turns: &mut [DraftTurn], segments: &[Segment]) {
    for turn in turns {
        let text: Vec<char> = turn.verbatim.chars().collect();
        let mut from = 0;
        let mut attached = Vec::new();
        for correction in turn
            .segments
            .iter()
            .filter_map(|i| segments.get(i.0))
            .flat_map(|s| &s.corrections)
        {
            let to: Vec<char> = correction.to.chars().collect();
            let found = occurrences(&text[from.min(text.len())..], &to)
                .first()
                .map(|&i| i + from);
            if let Some(at) = found {
                attached.push(Correction {
                    at,
                    ..correction.clone()
                });
                from = at + to.len();
            }
        }
        turn.corrections = attached;
    }
}

/// Every term of the meeting, whole: name, secretariat, attendees' titles and
/// roles, agenda titles and kinds, materials, glossary.
fn vocabulary(meeting: &Meeting) -> Vec<String> {
    let mut terms = meeting.vocabulary();
    terms.extend(
        meeting
            .attendees
            .iter()
            .map(|a| a.role.as_str().to_string()),
    );
    terms.extend(meeting.agenda.iter().map(|a| a.kind.as_str().to_string()));
    terms.extend(meeting.materials.iter().map(|m| m.title.clone()));
    let mut seen = HashSet::new();
    terms.retain(|t| !t.is_empty() && seen.insert(t.clone()));
    terms
}

/// Edits allowed when matching a term of `n` characters loosely.
fn fuzzy_limit(n: usize) -> usize {
    match n {
        0..MIN_FUZZY_CHARS => 0,
        MIN_FUZZY_CHARS..=7 => 1,
        8..=11 => 2,
        _ => 3,
    }
}

/// Applies non-overlapping `edits` to `chars`, moving the offsets of the
/// corrections already made and adding the new ones.
fn apply(chars: &mut Vec<char>, done: &mut Vec<Correction>, mut edits: Vec<Edit>) {
    if edits.is_empty() {
        return;
    }
    edits.sort_by_key(|e| e.start);
    let mut out = Vec::with_capacity(chars.len() + 8);
    let mut next = 0;
    let mut added = Vec::new();
    // (position in the old text, shift from there on)
    let mut shifts: Vec<(usize, isize)> = Vec::new();
    let mut shift: isize = 0;
    for edit in edits {
        out.extend_from_slice(&chars[next..edit.start]);
        added.push(Correction {
            from: chars[edit.start..edit.end].iter().collect(),
            to: edit.to.iter().collect(),
            rule: edit.rule,
            at: out.len(),
        });
        out.extend_from_slice(&edit.to);
        shift += edit.to.len() as isize - (edit.end - edit.start) as isize;
        shifts.push((edit.end, shift));
        next = edit.end;
    }
    out.extend_from_slice(&chars[next..]);
    for correction in done.iter_mut() {
        let moved = shifts
            .iter()
            .rev()
            .find(|&&(end, _)| end <= correction.at)
            .map_or(0, |&(_, s)| s);
        correction.at = (correction.at as isize + moved).max(0) as usize;
    }
    done.extend(added);
    *chars = out;
}

fn overlaps_done(done: &[Correction], start: usize, end: usize) -> bool {
    done.iter().any(|c| {
        let len = c.to.chars().count();
        c.at < end && start < c.at + len
    })
}
