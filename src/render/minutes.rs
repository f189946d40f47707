//! The 会議録 as text: the body as a list of blocks (shared with the Word
//! render), and the Markdown (`minutes.md`) and plain-text (`minutes.txt`)
//! renders in the form of the published minutes. Pure formatting.

use crate::draft::{Draft, Found, Statement};

use super::header::{self, Row, TITLE};

/// One paragraph of the body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// An agenda item's heading: 「議案（1）…について」.
    Heading(String),
    /// Any other paragraph.
    Text(String),
}

/// Label of the footer.
pub const MATERIALS: &str = "提出された資料等";

/// The body of the minutes, from the opening to 〔HH:MM 終了〕.
pub fn body(draft: &Draft) -> Vec<Block> {
    let mut out = Vec::new();
    for s in &draft.opening.statements {
        out.push(Block::Text(format!("{}　{}", role(draft, s), s.text)));
    }
    for item in &draft.items {
        let heading = item.heading();
        out.push(Block::Heading(heading.clone()));
        if item.found == Found::Missing {
            out.push(Block::Text(
                "（要確認：この議題の発言が録音中に見つかりません）".into(),
            ));
        }
        if let Some(presenter) = &item.presenter {
            out.push(Block::Text(format!("〔{presenter}：「{heading}」を説明〕")));
        }
        if !item.summary.is_empty() {
            out.push(Block::Text("【要旨】".into()));
            out.push(Block::Text(
                item.summary.iter().map(|s| s.text.as_str()).collect(),
            ));
        }
        if item.found != Found::Missing {
            if item.questions.is_empty() {
                out.push(Block::Text("（質疑なし）".into()));
            } else {
                out.push(Block::Text("（質疑）".into()));
                out.extend(item.questions.iter().map(|s| said(draft, s)));
            }
        }
        if let Some(outcome) = &item.outcome {
            out.push(Block::Text(format!("—{}—", outcome.text)));
        }
    }
    out.extend(draft.closing.statements.iter().map(|s| said(draft, s)));
    let end = draft.closing.end_time.map_or_else(
        || "〔　：　 終了〕".to_string(),
        |t| format!("〔{t} 終了〕"),
    );
    out.push(Block::Text(end));
    out
}

/// 「本部長：…」.
fn said(draft: &Draft, s: &Statement) -> Block {
    Block::Text(format!("{}：{}", role(draft, s), s.text))
}

/// Written in place of a role when a statement's turn or speaker is
/// missing (a draft made in code; a loaded one is validated).
pub const UNKNOWN_ROLE: &str = "（話者不明）";

/// The role a statement is written under: its turn's speaker's, looked up
/// now, so that a clerk's change of a speaker's role shows everywhere.
fn role(draft: &Draft, s: &Statement) -> String {
    draft
        .role_of(s.turn)
        .map_or_else(|| UNKNOWN_ROLE.to_string(), |r| r.to_string())
}

/// 「資料1　…」, one per material.
pub fn materials(draft: &Draft) -> Vec<String> {
    draft
        .meeting
        .materials
        .iter()
        .map(|m| format!("{}　{}", m.label, m.title))
        .collect()
}

/// `minutes.md`: the cover as a table, the body as paragraphs with the
/// items as second-level headings, the materials as a list.
pub fn markdown(draft: &Draft) -> String {
    let mut out = format!("# {TITLE}\n\n| 項目 | | 内容 |\n| --- | --- | --- |\n");
    for Row { label, sub, lines } in header::rows(draft) {
        let cells: Vec<String> = lines.iter().map(|l| escape_cell(l)).collect();
        out.push_str(&format!(
            "| {label} | {} | {} |\n",
            sub.unwrap_or(""),
            cells.join("<br>")
        ));
    }
    out.push('\n');
    for block in body(draft) {
        match block {
            Block::Heading(h) => out.push_str(&format!("## {h}\n\n")),
            Block::Text(t) => out.push_str(&format!("{}\n\n", escape_line(&t))),
        }
    }
    out.push_str(&format!("## {MATERIALS}\n\n"));
    for m in materials(draft) {
        out.push_str(&format!("- {}\n", escape_line(&m)));
    }
    out
}

/// `minutes.txt`: as the published minutes read as text, the cover as
/// tab-separated lines.
pub fn text(draft: &Draft) -> String {
    let mut out = format!("{TITLE}\n\n");
    let mut last_label = "";
    for Row { label, sub, lines } in header::rows(draft) {
        let shown = if label == last_label { "" } else { label };
        last_label = label;
        match sub {
            None => out.push_str(&format!("{shown}\t{}\n", lines.join(" "))),
            Some(sub) => {
                for (k, line) in lines.iter().enumerate() {
                    let (l, s) = if k == 0 { (shown, sub) } else { ("", "") };
                    out.push_str(&format!("{l}\t{s}\t{line}\n"));
                }
            }
        }
    }
    out.push('\n');
    for block in body(draft) {
        match block {
            Block::Heading(t) | Block::Text(t) => out.push_str(&format!("{t}\n\n")),
        }
    }
    for (k, m) in materials(draft).iter().enumerate() {
        let label = if k == 0 { MATERIALS } else { "" };
        out.push_str(&format!("{label}\t{m}\n"));
    }
    out
}

fn escape_cell(text: &str) -> String {
    escape_line(text).replace('|', "\\|")
}

/// Keeps a line from being read as Markdown syntax.
fn escape_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
