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

/// The built-in confusion list, `assets/corrections.txt`.
const DEFAULT_CONFUSIONS: &str = include_str!("../assets/corrections.txt");

/// Vocabulary terms shorter than this (in characters) are never fuzzy-matched:
/// a near-match of a short term is too often another real word.
pub const MIN_FUZZY_CHARS: usize = 6;

/// Misreadings of era names Whisper produces before a year: (misreading, era).
const ERA_MISREADINGS: &[(&str, Era)] = &[
    ("例は", Era::Reiwa),
    ("連は", Era::Reiwa),
    ("冷は", Era::Reiwa),
    ("零は", Era::Reiwa),
    ("礼は", Era::Reiwa),
    ("令は", Era::Reiwa),
    ("例話", Era::Reiwa),
    ("冷話", Era::Reiwa),
    ("例和", Era::Reiwa),
    ("冷和", Era::Reiwa),
    ("霊和", Era::Reiwa),
    ("例わ", Era::Reiwa),
    ("0は", Era::Reiwa),
    ("０は", Era::Reiwa),
    ("れいわ", Era::Reiwa),
    ("レイワ", Era::Reiwa),
    ("平静", Era::Heisei),
    ("へいせい", Era::Heisei),
    ("ヘイセイ", Era::Heisei),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Era {
    Reiwa,
    Heisei,
}

impl Era {
    fn name(self) -> &'static str {
        match self {
            Era::Reiwa => "令和",
            Era::Heisei => "平成",
        }
    }

    /// Whether year `n` of this era is one a meeting held in `meeting_year`
    /// could talk about (plans reach about ten years ahead).
    fn plausible(self, n: u32, meeting_year: i32) -> bool {
        match self {
            Era::Reiwa => n >= 1 && 2018 + n as i32 <= meeting_year + 10,
            Era::Heisei => (1..=31).contains(&n) && meeting_year >= 1989,
        }
    }
}

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
            .filter_map(|&i| segments.get(i))
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

/// Start positions of `needle` in `hay`, not overlapping, left to right.
fn occurrences(hay: &[char], needle: &[char]) -> Vec<usize> {
    let mut out = Vec::new();
    if needle.is_empty() || needle.len() > hay.len() {
        return out;
    }
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()] == *needle {
            out.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

fn contains(hay: &[char], needle: &[char]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

/// End positions (exclusive) in `text` of substrings within `limit` edits of
/// `pattern` (Sellers' approximate substring search).
fn ends_within(text: &[char], pattern: &[char], limit: usize) -> Vec<usize> {
    let mut column: Vec<usize> = (0..=pattern.len()).collect();
    let mut out = Vec::new();
    for (j, &c) in text.iter().enumerate() {
        let mut diagonal = column[0];
        column[0] = 0;
        for (i, &p) in pattern.iter().enumerate() {
            let substitution = diagonal + usize::from(p != c);
            diagonal = column[i + 1];
            column[i + 1] = substitution.min(column[i] + 1).min(column[i + 1] + 1);
        }
        if column[pattern.len()] <= limit {
            out.push(j + 1);
        }
    }
    out
}

/// The year of 「N年度」 or 「N年M月」 at the start of `rest` (after an
/// optional space), if that is what follows.
fn era_year_after(rest: &[char]) -> Option<u32> {
    let rest = match rest.first() {
        Some(c) if c.is_whitespace() => &rest[1..],
        _ => rest,
    };
    let digits = rest
        .iter()
        .take_while(|&&c| year_digit(c).is_some())
        .count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let year = number(&rest[..digits])?;
    let after = &rest[digits..];
    if after.first() != Some(&'年') {
        return None;
    }
    match after.get(1) {
        Some('度') => Some(year),
        Some(&c) if year_digit(c).is_some() => {
            let month = after[1..]
                .iter()
                .take_while(|&&c| year_digit(c).is_some())
                .count();
            (after.get(1 + month) == Some(&'月')).then_some(year)
        }
        _ => None,
    }
}

/// A digit (ASCII, full-width or kanji) as its value; 元 (the first year) is 1.
fn year_digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        '〇' => Some(0),
        '一' => Some(1),
        '二' => Some(2),
        '三' => Some(3),
        '四' => Some(4),
        '五' => Some(5),
        '六' => Some(6),
        '七' => Some(7),
        '八' => Some(8),
        '九' => Some(9),
        '十' => Some(10),
        '元' => Some(1),
        _ => None,
    }
}

/// The value of a year written in digits or kanji (「4」「１２」「十二」「元」).
fn number(digits: &[char]) -> Option<u32> {
    if digits.contains(&'十') {
        let (tens, ones) = match digits {
            ['十'] => (1, 0),
            ['十', o] => (1, year_digit(*o)?),
            [t, '十'] => (year_digit(*t)?, 0),
            [t, '十', o] => (year_digit(*t)?, year_digit(*o)?),
            _ => return None,
        };
        return Some(tens * 10 + ones);
    }
    digits
        .iter()
        .try_fold(0u32, |acc, &c| Some(acc * 10 + year_digit(c)?))
}

/// Whether a misheard era may follow `c`: a pause, or a kana ending a word.
/// Not a kanji or letter it could form a word with (条例は, 事例は), a digit
/// (10は), nor の (この例は, その例は).
fn can_precede_era(c: char) -> bool {
    is_separator(c) || (is_hiragana(c) && c != 'の') || matches!(c, '」' | '』' | '）')
}

fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}

/// White space or punctuation: where a term cannot continue.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || "、。，．,.・！？!?「」『』：；".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEETING: &str = r#"
name = "令和3年度 第2回豊島区行政情報化推進本部"
secretariat = "政策経営部情報管理課"
date = 2022-01-26
glossary = ["行政情報化推進本部", "基幹系", "基幹系業務システム", "パブリックコメント",
            "豊島区DX推進計画", "管理職用端末", "候補機種A", "候補機種B", "デジタル化推進員",
            "標準化全体会", "政策経営部"]
[[attendees]]
title = "情報管理課長"
role = "事務局"
[[attendees]]
title = "保健福祉部長"
role = "部員"
[[attendees]]
title = "情報担当係長（デジタル化推進）"
role = "事務局"
[[agenda]]
kind = "議案"
number = 1
title = "情報システム契約案件（4000万円以上）の本部承認について"
"#;

    fn meeting() -> Meeting {
        Meeting::parse(Path::new("meeting.toml"), MEETING).unwrap()
    }

    fn corrector() -> Corrector {
        Corrector::builder(&meeting()).build().unwrap()
    }

    fn fix(text: &str) -> (String, Vec<(String, String, CorrectionRule)>) {
        let (out, corrections) = corrector().correct_text(text);
        let list = corrections
            .into_iter()
            .map(|c| (c.from, c.to, c.rule))
            .collect();
        (out, list)
    }

    fn unchanged(text: &str) {
        let (out, list) = fix(text);
        assert_eq!(out, text, "{list:?}");
        assert!(list.is_empty());
    }

    #[test]
    fn era_before_a_year() {
        let (out, list) = fix("そのため、例は4年度に機器の更改を");
        assert_eq!(out, "そのため、令和4年度に機器の更改を");
        assert_eq!(list, [("例は".into(), "令和".into(), CorrectionRule::Era)]);
        assert_eq!(fix("そこで連は3年度から").0, "そこで令和3年度から");
        assert_eq!(
            fix("実施の上、0は4年4月末をめどに").0,
            "実施の上、令和4年4月末をめどに"
        );
        assert_eq!(fix("例話 5年度以降").0, "令和 5年度以降");
        assert_eq!(fix("平静二十八年度から").0, "平成二十八年度から");
        assert_eq!(fix("例は元年度").0, "令和元年度");
    }

    #[test]
    fn era_left_alone_without_a_year() {
        unchanged("例は以下の通りです。");
        unchanged("例は4つあります。");
        unchanged("例は3年前のものです。"); // 年前: a duration, not an era year
        unchanged("条例は4年度に改正"); // 条例 is a word
        unchanged("この例は4年度の事業です。");
        unchanged("10は4年度"); // a number, not 0は
        unchanged("例は40年度"); // 令和40年 is not a year this meeting talks about
        unchanged("令和4年度");
    }

    #[test]
    fn glossary_near_matches_of_long_terms() {
        let (out, list) = fix("ただ今より第2回、動成情報化推進本部を開催します");
        assert_eq!(out, "ただ今より第2回、行政情報化推進本部を開催します");
        assert_eq!(
            list,
            [(
                "動成情報化推進本部".into(),
                "行政情報化推進本部".into(),
                CorrectionRule::Glossary
            )]
        );
        assert_eq!(
            fix("その上で、同性情報化推進本部の許可").0,
            "その上で、行政情報化推進本部の許可"
        );
        assert_eq!(
            fix("タブリックコメントを実施").0,
            "パブリックコメントを実施"
        );
        assert_eq!(
            fix("管理職業端末を進めていく").0,
            "管理職用端末を進めていく"
        );
        assert_eq!(fix("情報管理会長からご説明").0, "情報管理課長からご説明");
        assert_eq!(fix("都島区DX推進計画として").0, "豊島区DX推進計画として");
    }

    #[test]
    fn glossary_leaves_other_words_alone() {
        // The term and a word next to it, not a misheard term.
        unchanged("保健福祉部とも連携して");
        unchanged("情報管理課は");
        unchanged("デジタル化推進の意義");
        unchanged("デジタル化推進法");
        // Another term of the meeting, spelt right.
        unchanged("候補機種Bが軽くて");
        unchanged("候補機種Cが軽くて"); // short terms are never matched loosely
                                        // Too far from any term, or across punctuation.
        unchanged("合成情、報告推進、本部を終了します");
        unchanged("政策系絵部長を本部長とする");
        // Two terms fit: 管理職携帯の入れ替え and 管理職パソコンの入れ替え.
        let m = Meeting::parse(
            Path::new("m.toml"),
            &format!(
                "{MEETING}\n[[agenda]]\nkind = \"報告事項\"\nnumber = 2\ntitle = \"管理職パソコンの入れ替えについて\"\n\
                 [[agenda]]\nkind = \"報告事項\"\nnumber = 3\ntitle = \"管理職携帯の入れ替え（スマホ化）について\"\n"
            ),
        )
        .unwrap();
        let c = Corrector::builder(&m).build().unwrap();
        let text = "管理職加速の入れ替えについて";
        assert_eq!(c.correct_text(text).0, text);
        assert_eq!(
            c.correct_text("管理職携帯の入れ換えについて").0,
            "管理職携帯の入れ替えについて"
        );
        // Changes that would remove a particle.
        unchanged("標準化全体で");
    }

    #[test]
    fn confusions_only_towards_this_meetings_vocabulary() {
        let (out, list) = fix("機関系の仮想デスクトップ、本部勝人のお願い、ギアン1");
        assert_eq!(out, "基幹系の仮想デスクトップ、本部承認のお願い、議案1");
        assert!(
            list.iter().all(|c| c.2 == CorrectionRule::Confusion),
            "{list:?}"
        );
        // 標準仕様書 and 事務局 are in this meeting file? 事務局 is (a role); 標準仕様書 is not.
        assert_eq!(fix("じむ曲から").0, "事務局から");
        unchanged("標準使用所に準拠");
        let c = corrector();
        assert!(c
            .unused_confusions()
            .iter()
            .any(|c| c.right == "標準仕様書"));
        assert!(c.confusions().iter().any(|c| c.right == "基幹系"));
    }

    #[test]
    fn a_clerks_list_and_its_errors() {
        let m = meeting();
        let c = Corrector::builder(&m)
            .confusions_text("mine.txt", "# mine\nきかんけい → 基幹系\n")
            .build()
            .unwrap();
        assert_eq!(c.correct_text("きかんけいの").0, "基幹系の");
        // The built-in list is replaced, not extended.
        assert_eq!(c.correct_text("機関系の").0, "機関系の");
        let err = Corrector::builder(&m)
            .confusions_text("mine.txt", "a → b\n\n基幹系 基幹系\n")
            .build()
            .unwrap_err()
            .to_string();
        assert_eq!(err, "mine.txt:3: `基幹系 基幹系` is not `wrong → right`");
        let err = Corrector::builder(&m)
            .confusions_file("/nonexistent/corrections.txt")
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/nonexistent/corrections.txt: "), "{err}");
        for bad in ["→ 基幹系", "機関系 →", "基幹系 → 基幹系", "a → b → c"] {
            assert!(parse_confusions(Path::new("x"), bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_built_in_list_parses() {
        let list =
            parse_confusions(Path::new("assets/corrections.txt"), DEFAULT_CONFUSIONS).unwrap();
        assert!(list.len() > 10);
    }

    #[test]
    fn segments_keep_whisper_text_and_offsets_follow_the_text() {
        let segment = |text: &str| Segment {
            start: 0.0,
            end: 5.0,
            text: text.into(),
            confidence: 0.9,
            flags: vec![],
            verbatim: None,
            corrections: vec![],
        };
        let out = corrector().correct(vec![
            segment("例は4年度、機関系の動成情報化推進本部で"),
            segment("説明は以上です。"),
        ]);
        assert_eq!(out[0].text, "令和4年度、基幹系の行政情報化推進本部で");
        assert_eq!(
            out[0].verbatim.as_deref(),
            Some("例は4年度、機関系の動成情報化推進本部で")
        );
        let text: Vec<char> = out[0].text.chars().collect();
        let rules: Vec<CorrectionRule> = out[0].corrections.iter().map(|c| c.rule).collect();
        assert_eq!(
            rules,
            [
                CorrectionRule::Era,
                CorrectionRule::Confusion,
                CorrectionRule::Glossary
            ]
        );
        for c in &out[0].corrections {
            let at: String = text[c.at..c.at + c.to.chars().count()].iter().collect();
            assert_eq!(at, c.to);
        }
        assert_eq!(out[1], segment("説明は以上です。"));
        // Correcting again changes nothing and keeps Whisper's text.
        let again = corrector().correct(out.clone());
        assert_eq!(again, out);
    }

    #[test]
    fn draft_turns_carry_their_segments_corrections() {
        let segments = corrector().correct(vec![Segment {
            start: 0.0,
            end: 5.0,
            text: "そこで例は4年度から".into(),
            confidence: 0.9,
            flags: vec![],
            verbatim: None,
            corrections: vec![],
        }]);
        let mut turns = vec![DraftTurn {
            start: 0.0,
            end: 5.0,
            speaker: crate::types::SpeakerId(1),
            role: crate::meeting::Role::Secretariat,
            role_confidence: 1.0,
            verbatim: "はい。そこで令和4年度から".into(),
            text: String::new(),
            segments: vec![0],
            corrections: vec![],
        }];
        attach_to_turns(&mut turns, &segments);
        assert_eq!(turns[0].corrections.len(), 1);
        assert_eq!(turns[0].corrections[0].at, 6);
        assert_eq!(turns[0].corrections[0].from, "例は");
    }
}
