//! Character-slice helpers of the correction stage: exact and approximate
//! substring search, separators.

/// Start positions of `needle` in `hay`, not overlapping, left to right.
pub(super) fn occurrences(hay: &[char], needle: &[char]) -> Vec<usize> {
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

pub(super) fn contains(hay: &[char], needle: &[char]) -> bool {
    needle.len() <= hay.len() && hay.windows(needle.len()).any(|w| w == needle)
}

/// End positions (exclusive) in `text` of substrings within `limit` edits of
/// `pattern` (Sellers' approximate substring search).
pub(super) fn ends_within(text: &[char], pattern: &[char], limit: usize) -> Vec<usize> {
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

/// White space or punctuation: where a term cannot continue.
pub(super) fn is_separator(c: char) -> bool {
    c.is_whitespace() || "、。，．,.・！？!?「」『』：；".contains(c)
}
