//! The cover table of the 会議録 (別記第１号様式) as rows of text, shared by
//! the Markdown, text and Word renders: name, 事務局, 開催日時 in Japanese
//! era form, place, 議題, 公開の可否 and 出席者.

use chrono::{Datelike, NaiveDate};

use crate::draft::{Draft, Header};
use crate::meeting::{AgendaKind, Attendee, Openness, Role};

/// One row of the cover table: a label, an optional sub-label (会議 /
/// 会議録, 部員 / 事務局), and the content as lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: &'static str,
    pub sub: Option<&'static str>,
    pub lines: Vec<String>,
}

pub const TITLE: &str = "会議録";

pub fn rows(draft: &Draft) -> Vec<Row> {
    let h = &draft.meeting;
    let row = |label, lines| Row {
        label,
        sub: None,
        lines,
    };
    let mut rows = vec![
        row("附属機関又は会議体の名称", vec![h.name.clone()]),
        row("事務局（担当課）", vec![h.secretariat.clone()]),
        row("開催日時", vec![when(h)]),
        row("開催場所", vec![h.place.clone().unwrap_or_default()]),
        row("議題", agenda(draft)),
    ];
    let reason = h.disclosure.reason.clone().unwrap_or_default();
    for (sub, openness) in [
        ("会議", h.disclosure.meeting),
        ("会議録", h.disclosure.minutes),
    ] {
        let mut lines = vec![checkboxes(openness)];
        if openness != Openness::Public {
            lines.push(format!("非公開・一部非公開の場合は、その理由　{reason}"));
        }
        rows.push(Row {
            label: "公開の可否",
            sub: Some(sub),
            lines,
        });
    }
    let (members, secretariat): (Vec<&Attendee>, Vec<&Attendee>) = h
        .attendees
        .iter()
        .partition(|a| matches!(a.role, Role::Chair | Role::ViceChair | Role::Member));
    for (sub, list) in [("部員", members), ("事務局", secretariat)] {
        rows.push(Row {
            label: "出席者",
            sub: Some(sub),
            lines: vec![list
                .iter()
                .map(|a| attendee(a))
                .collect::<Vec<_>>()
                .join("、")],
        });
    }
    rows
}

/// 「議案」「(1) …」「(2) …」「報告事項」「(1) …」: one line each.
fn agenda(draft: &Draft) -> Vec<String> {
    let mut lines = Vec::new();
    let mut kind: Option<AgendaKind> = None;
    for item in &draft.items {
        if kind != Some(item.kind) {
            lines.push(item.kind.as_str().to_string());
            kind = Some(item.kind);
        }
        lines.push(format!("({}) {}", item.number, item.title));
    }
    lines
}

/// 「□公開 ■非公開 □一部非公開」.
fn checkboxes(selected: Openness) -> String {
    [
        (Openness::Public, "公開"),
        (Openness::Closed, "非公開"),
        (Openness::PartlyClosed, "一部非公開"),
    ]
    .iter()
    .map(|&(o, name)| format!("{}{name}", if o == selected { '■' } else { '□' }))
    .collect::<Vec<_>>()
    .join(" ")
}

/// 「副区長（本部長）」「教育部長（代理）」.
fn attendee(a: &Attendee) -> String {
    let mut out = a.title.clone();
    match a.role {
        Role::Chair | Role::ViceChair => out.push_str(&format!("（{}）", a.role)),
        _ => {}
    }
    if let Some(note) = a.note.as_deref().filter(|n| !n.is_empty()) {
        out.push_str(&format!("（{note}）"));
    }
    out
}

/// 「令和4年1月26日(水) 11:10～11:59」.
pub fn when(h: &Header) -> String {
    let mut out = era_date(h.date);
    match (h.start, h.end) {
        (Some(s), Some(e)) => out.push_str(&format!(" {s}～{e}")),
        (Some(s), None) => out.push_str(&format!(" {s}～")),
        (None, Some(e)) => out.push_str(&format!(" ～{e}")),
        (None, None) => {}
    }
    out
}

/// A date in the Japanese era calendar with its weekday: 「令和4年1月26日(水)」.
pub fn era_date(date: NaiveDate) -> String {
    let eras = [
        (NaiveDate::from_ymd_opt(2019, 5, 1), "令和"),
        (NaiveDate::from_ymd_opt(1989, 1, 8), "平成"),
        (NaiveDate::from_ymd_opt(1926, 12, 25), "昭和"),
    ];
    let weekday =
        ["月", "火", "水", "木", "金", "土", "日"][date.weekday().num_days_from_monday() as usize];
    let day = format!("{}月{}日({weekday})", date.month(), date.day());
    for (start, name) in eras {
        if let Some(start) = start.filter(|s| date >= *s) {
            let year = date.year() - start.year() + 1;
            let year = if year == 1 {
                "元".to_string()
            } else {
                year.to_string()
            };
            return format!("{name}{year}年{day}");
        }
    }
    format!("{}年{day}", date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn era_dates() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(era_date(d(2022, 1, 26)), "令和4年1月26日(水)");
        assert_eq!(era_date(d(2019, 5, 1)), "令和元年5月1日(水)");
        assert_eq!(era_date(d(2019, 4, 30)), "平成31年4月30日(火)");
        assert_eq!(era_date(d(1989, 1, 8)), "平成元年1月8日(日)");
    }
}
