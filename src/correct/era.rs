//! Era names (令和, 平成) Whisper mishears before a year, and reading the
//! year that follows.

use super::chars::is_separator;

/// Misreadings of era names Whisper produces before a year: (misreading, era).
pub(super) const ERA_MISREADINGS: &[(&str, Era)] = &[
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
pub(super) enum Era {
    Reiwa,
    Heisei,
}

impl Era {
    pub(super) fn name(self) -> &'static str {
        match self {
            Era::Reiwa => "令和",
            Era::Heisei => "平成",
        }
    }

    /// Whether year `n` of this era is one a meeting held in `meeting_year`
    /// could talk about (plans reach about ten years ahead).
    pub(super) fn plausible(self, n: u32, meeting_year: i32) -> bool {
        match self {
            Era::Reiwa => n >= 1 && 2018 + n as i32 <= meeting_year + 10,
            Era::Heisei => (1..=31).contains(&n) && meeting_year >= 1989,
        }
    }
}

/// The year of 「N年度」 or 「N年M月」 at the start of `rest` (after an
/// optional space), if that is what follows.
pub(super) fn era_year_after(rest: &[char]) -> Option<u32> {
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
pub(super) fn year_digit(c: char) -> Option<u32> {
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
pub(super) fn number(digits: &[char]) -> Option<u32> {
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
pub(super) fn can_precede_era(c: char) -> bool {
    is_separator(c) || (is_hiragana(c) && c != 'の') || matches!(c, '」' | '』' | '）')
}

pub(super) fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}
