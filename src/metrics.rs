//! Accuracy measures used by tests and benchmarks: character error rate on
//! Japanese text, after a normalisation that ignores punctuation, spacing
//! and full-width/half-width differences.

/// Text reduced to what CER compares: NFKC-like width folding for ASCII,
/// no punctuation or white space.
pub fn normalize(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .filter(|c| {
            !(c.is_whitespace()
                || c.is_ascii_punctuation()
                || "、。，．・「」『』（）〔〕【】！？〜―…：；".contains(*c))
        })
        .collect()
}

/// Levenshtein distance between two character sequences.
pub fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Character error rate of `hypothesis` against `reference` (0 = perfect).
pub fn cer(reference: &str, hypothesis: &str) -> f64 {
    let (r, h) = (normalize(reference), normalize(hypothesis));
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&r, &h) as f64 / r.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_text_scores_zero_whatever_the_punctuation() {
        assert_eq!(cer("説明は以上です。", "説明は以上です"), 0.0);
        assert_eq!(cer("４０００万円", "4000万円"), 0.0);
    }

    #[test]
    fn counts_substitutions_insertions_and_deletions() {
        assert_eq!(edit_distance(&normalize("令和"), &normalize("連は")), 2);
        assert!((cer("基幹系業務", "機関系業務") - 0.4).abs() < 1e-9);
        assert!((cer("あいう", "あいうえ") - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(cer("abc", ""), 1.0);
    }

    #[test]
    fn keeps_the_long_vowel_mark() {
        assert_eq!(normalize("サーバー"), vec!['サ', 'ー', 'バ', 'ー']);
    }
}
