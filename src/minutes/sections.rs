//! Splitting the turns into the opening, one section per agenda item, and
//! the closing. With an agenda, each item is aligned to the chair's
//! announcement of it (kind + number, fuzzy title overlap, the cue
//! 「説明をお願いします」) keeping meeting order; items whose announcement
//! was not recognised take the remaining announcements in order. Without an
//! agenda, items are detected from the announcements alone.

use crate::draft::{DraftTurn, Found};
use crate::meeting::{AgendaItem, AgendaKind, Role};

use super::phrases;
use crate::ja::{agenda_refs, containment, normalize, sentences};

/// Least score for a turn to count as an item's announcement.
const THRESHOLD: f64 = 1.5;

/// An agenda item, from the meeting file or detected from speech.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSpec {
    pub kind: AgendaKind,
    pub number: u32,
    pub title: String,
    pub presenter: Option<Role>,
}

impl From<&AgendaItem> for ItemSpec {
    fn from(a: &AgendaItem) -> Self {
        ItemSpec {
            kind: a.kind,
            number: a.number,
            title: a.title.clone(),
            presenter: a.presenter.clone(),
        }
    }
}

/// The turns of each part of the meeting (indices into the turns).
#[derive(Debug, Clone, PartialEq)]
pub struct Sections {
    pub opening: Vec<usize>,
    pub items: Vec<(ItemSpec, Found, Vec<usize>)>,
    pub closing: Vec<usize>,
}

/// `roles[i]` is the role of `turns[i]`.
pub fn split(turns: &[DraftTurn], roles: &[Role], agenda: &[AgendaItem]) -> Sections {
    let texts: Vec<String> = turns.iter().map(|t| normalize(&t.text)).collect();
    let any_chair = roles.iter().any(is_chair);
    let chairlike = |i: usize| !any_chair || roles.get(i).is_some_and(is_chair);

    let (specs, starts): (Vec<ItemSpec>, Vec<(Found, Option<usize>)>) = if agenda.is_empty() {
        detect(&texts, &chairlike)
            .into_iter()
            .map(|(spec, at)| (spec, (Found::Speech, Some(at))))
            .unzip()
    } else {
        let specs: Vec<ItemSpec> = agenda.iter().map(ItemSpec::from).collect();
        let starts = align(&texts, &specs, &chairlike);
        (specs, starts)
    };

    let first = starts.iter().find_map(|(_, s)| *s).unwrap_or(turns.len());
    let last = starts.iter().rev().find_map(|(_, s)| *s);
    let closing_at = last
        .and_then(|l| {
            (l + 2..turns.len()).find(|&i| {
                chairlike(i)
                    && sentences(&texts[i])
                        .iter()
                        .any(|s| phrases::is_closing_cue(s.text))
            })
        })
        .unwrap_or(turns.len());
    let closing_at = closing_at.max(first);

    let mut items = Vec::new();
    for (k, (spec, (found, start))) in specs.into_iter().zip(starts.iter().copied()).enumerate() {
        let range = match start {
            Some(s) => {
                let end = starts[k + 1..]
                    .iter()
                    .find_map(|(_, s)| *s)
                    .unwrap_or(closing_at)
                    .min(closing_at)
                    .max(s);
                (s..end).collect()
            }
            None => Vec::new(),
        };
        items.push((spec, found, range));
    }
    Sections {
        opening: (0..first.min(closing_at)).collect(),
        items,
        closing: (closing_at..turns.len()).collect(),
    }
}

pub fn is_chair(role: &Role) -> bool {
    matches!(role, Role::Chair | Role::ViceChair)
}

/// How well turn text `text` announces `item`. Decision sentences
/// (「議案（1）は案のとおり承認といたします」) name items too, but never start one.
fn score(text: &str, item: &ItemSpec, chairlike: bool) -> f64 {
    let sents = sentences(text);
    let text: String = sents
        .iter()
        .filter(|s| phrases::decision(s.text).is_none())
        .map(|s| s.text)
        .collect();
    if text.is_empty() {
        return 0.0;
    }
    let mut score = 0.0;
    let refs = agenda_refs(&text);
    if let Some(r) = refs.iter().find(|r| r.kind == item.kind) {
        score += 0.75;
        if refs
            .iter()
            .any(|r| r.kind == item.kind && r.number == Some(item.number))
        {
            score += 1.25;
        } else if r.number.is_some() {
            score -= 0.5;
        }
    }
    score += 2.5 * containment(&item.title, &text);
    if sents.iter().any(|s| phrases::is_announcement(s.text)) {
        score += 0.75;
    }
    score += if chairlike { 0.25 } else { -1.0 };
    score
}

/// For each item, the turn that starts its section: a monotonic alignment
/// maximising the total score, then leftover announcements in order.
fn align(
    texts: &[String],
    specs: &[ItemSpec],
    chairlike: &dyn Fn(usize) -> bool,
) -> Vec<(Found, Option<usize>)> {
    let (n, m) = (specs.len(), texts.len());
    let s: Vec<Vec<f64>> = specs
        .iter()
        .map(|spec| {
            (0..m)
                .map(|t| score(&texts[t], spec, chairlike(t)))
                .collect()
        })
        .collect();
    // dp[i][j]: best total using the first i items and the first j turns.
    let mut dp = vec![vec![0.0f64; m + 1]; n + 1];
    for i in 1..=n {
        for j in 1..=m {
            let mut best = dp[i - 1][j].max(dp[i][j - 1]);
            if s[i - 1][j - 1] >= THRESHOLD {
                best = best.max(dp[i - 1][j - 1] + s[i - 1][j - 1]);
            }
            dp[i][j] = best;
        }
    }
    let mut starts = vec![(Found::Missing, None); n];
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        if dp[i][j] == dp[i - 1][j] {
            i -= 1;
        } else if dp[i][j] == dp[i][j - 1] {
            j -= 1;
        } else {
            starts[i - 1] = (Found::Announcement, Some(j - 1));
            i -= 1;
            j -= 1;
        }
    }
    fill_by_order(texts, chairlike, &mut starts);
    starts
}

/// Items left without a start take, in order, the unclaimed announcements
/// (「…について、説明をお願いします」) between their neighbours.
fn fill_by_order(
    texts: &[String],
    chairlike: &dyn Fn(usize) -> bool,
    starts: &mut [(Found, Option<usize>)],
) {
    let mut k = 0;
    while k < starts.len() {
        if starts[k].1.is_some() {
            k += 1;
            continue;
        }
        let gap_end = (k..starts.len())
            .find(|&g| starts[g].1.is_some())
            .unwrap_or(starts.len());
        let lo = starts[..k]
            .iter()
            .rev()
            .find_map(|(_, s)| *s)
            .map_or(0, |s| s + 1);
        let hi = starts
            .get(gap_end)
            .and_then(|(_, s)| *s)
            .unwrap_or(texts.len());
        let free: Vec<usize> = (lo..hi)
            .filter(|&t| {
                chairlike(t)
                    && sentences(&texts[t])
                        .iter()
                        .any(|s| phrases::is_announcement(s.text))
            })
            .collect();
        for (slot, t) in (k..gap_end).zip(free) {
            starts[slot] = (Found::Order, Some(t));
        }
        k = gap_end;
    }
}

/// Items detected from speech alone: announcements naming a kind and
/// number, or 「…について、説明をお願いします」 without one.
fn detect(texts: &[String], chairlike: &dyn Fn(usize) -> bool) -> Vec<(ItemSpec, usize)> {
    let mut found: Vec<(ItemSpec, usize)> = Vec::new();
    for (t, text) in texts.iter().enumerate() {
        if !chairlike(t) {
            continue;
        }
        for sentence in sentences(text) {
            let s = sentence.text;
            if !phrases::is_announcement(s) || phrases::decision(s).is_some() {
                continue;
            }
            let reference = agenda_refs(s).into_iter().next();
            let kind = reference.map_or(AgendaKind::Report, |r| r.kind);
            let title_from = reference.map_or_else(|| strip_connective(s), |r| r.end);
            let Some(title) = title_until_about(&s[title_from..]) else {
                continue;
            };
            let number = reference
                .and_then(|r| r.number)
                .unwrap_or_else(|| found.iter().filter(|(f, _)| f.kind == kind).count() as u32 + 1);
            if found
                .iter()
                .any(|(f, _)| f.kind == kind && f.number == number)
            {
                continue;
            }
            found.push((
                ItemSpec {
                    kind,
                    number,
                    title,
                    presenter: None,
                },
                t,
            ));
            break;
        }
    }
    found
}

/// Offset after a leading 「それでは、」「次に、」 ….
fn strip_connective(s: &str) -> usize {
    let mut at = 0;
    for word in [
        "それでは",
        "では",
        "続きまして",
        "続いて",
        "次に",
        "最後に",
        "まず",
    ] {
        if let Some(rest) = s[at..].strip_prefix(word) {
            at = s.len() - rest.trim_start_matches(['、', ' ']).len();
        }
    }
    at
}

/// The title up to and including 「について」.
fn title_until_about(s: &str) -> Option<String> {
    let s = s.trim_start_matches(['、', ' ', 'は']);
    let end = s.find("について")? + "について".len();
    let title = s[..end].trim();
    (title.chars().count() > "について".chars().count())
        .then(|| title.replace('(', "（").replace(')', "）"))
}
