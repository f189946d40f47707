//! Speaker clusters → roles from `meeting.toml` (本部長, 事務局, 部員, titles),
//! using what the meeting itself says. Evidence is gathered turn by turn and
//! summed per cluster:
//!
//! - the chair opens, announces items, calls on people, asks for questions,
//!   declares decisions and closes (「開催します」「説明をお願いします」
//!   「ご質問はございますか」「承認といたします」「終了します」…);
//! - the presenter of an agenda item answers the chair's request at length
//!   (「資料1をご覧ください」…「説明は以上です」); the agenda item's
//!   `presenter` (事務局 by default) gets the evidence;
//! - an attendee with a title role (e.g. デジタル化推進員) speaks right after
//!   the chair names that title;
//! - the secretariat answers questions; members speak when the chair asks
//!   for questions or opinions, and talk about their own 部.
//!
//! Each cluster takes the role with the most evidence; its confidence is
//! that role's softmax share. With no evidence a cluster is a member.

use crate::meeting::{AgendaKind, Meeting, Role};

/// What one turn said, for role assignment.
#[derive(Debug, Clone, Copy)]
pub struct Spoken<'a> {
    pub cluster: usize,
    pub start: f64,
    pub end: f64,
    pub text: &'a str,
}

/// The role given to one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub role: Role,
    pub title: Option<String>,
    pub confidence: f32,
}

/// (phrase, weight) the chair says.
const CHAIR_CUES: &[(&str, f32)] = &[
    ("開催します", 3.0),
    ("開催いたします", 3.0),
    ("開会", 2.0),
    ("説明をお願い", 3.0),
    ("報告をお願い", 3.0),
    ("ご質問はございますか", 3.0),
    ("ご意見はございますか", 3.0),
    ("ご質問はありますか", 3.0),
    ("何かございますか", 2.0),
    ("承認といたします", 3.0),
    ("承認とします", 3.0),
    ("了承といたします", 3.0),
    ("終了します", 3.0),
    ("終了いたします", 3.0),
    ("閉会", 2.0),
    ("続きまして", 1.5),
    ("次に、", 1.0),
    ("最後に、", 1.0),
    ("議題は以上", 3.0),
    ("議案", 1.0),
    ("報告事項", 1.0),
];
/// Phrases of a presentation.
const PRESENTER_CUES: &[(&str, f32)] = &[
    ("ご覧ください", 2.0),
    ("説明は以上", 3.0),
    ("報告は以上", 3.0),
    ("資料", 0.5),
];
/// Requests of the chair that the next speaker presents.
const REQUESTS: &[&str] = &["説明をお願い", "報告をお願い", "ご説明を", "ご報告を"];
/// Invitations of the chair for questions and opinions.
const INVITATIONS: &[&str] = &["ご質問", "ご意見", "何かございますか"];
/// A member speaking of their own department.
const MEMBER_CUES: &[&str] = &[
    "部では",
    "部のほうでは",
    "部のほうで",
    "部としては",
    "部として",
];

fn cue_score(text: &str, cues: &[(&str, f32)]) -> f32 {
    cues.iter()
        .filter(|(cue, _)| text.contains(cue))
        .map(|(_, w)| w)
        .sum()
}

fn is_question(text: &str) -> bool {
    let t = text.trim_end_matches(['。', '？', '?', ' ', '　']);
    t.ends_with('か') || text.ends_with('？') || text.ends_with('?')
}

/// The roles present at the meeting, in a fixed order.
fn candidates(meeting: &Meeting) -> Vec<Role> {
    let mut roles: Vec<Role> = Vec::new();
    for a in &meeting.attendees {
        if !roles.contains(&a.role) {
            roles.push(a.role.clone());
        }
    }
    for role in [Role::Chair, Role::Secretariat, Role::Member] {
        if !roles.contains(&role) && (meeting.attendees.is_empty() || role == Role::Chair) {
            roles.push(role);
        }
    }
    roles
}

/// The presenter of the agenda item a chair's turn announces, if it names one.
fn announced_presenter(meeting: &Meeting, text: &str) -> Option<Role> {
    // The item number written right after the word: 議案（2）, 議案2, 報告事項(1).
    let number = |s: &str| -> Option<u32> {
        let n: String = s
            .chars()
            .take(4)
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                c => c,
            })
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        n.parse().ok()
    };
    for (word, kind) in [
        ("議案", AgendaKind::Proposal),
        ("報告事項", AgendaKind::Report),
    ] {
        if let Some(at) = text.find(word) {
            let number = number(&text[at + word.len()..]);
            let item = meeting
                .agenda
                .iter()
                .find(|a| a.kind == kind && Some(a.number) == number);
            if let Some(role) = item.and_then(|a| a.presenter.clone()) {
                return Some(role);
            }
        }
    }
    None
}

/// The role presenters have unless an item says otherwise.
fn default_presenter(meeting: &Meeting) -> Role {
    meeting
        .agenda
        .iter()
        .find_map(|a| a.presenter.clone())
        .unwrap_or(Role::Secretariat)
}

/// Assigns a role to each of `clusters` clusters from the turns they spoke.
pub fn assign(turns: &[Spoken], clusters: usize, meeting: &Meeting) -> Vec<Assignment> {
    let roles = candidates(meeting);
    let index = |role: &Role| roles.iter().position(|r| r == role);
    let mut evidence = vec![vec![0f32; roles.len()]; clusters];
    let mut add = |cluster: usize, role: &Role, w: f32| {
        if let (Some(k), Some(row)) = (index(role), evidence.get_mut(cluster)) {
            row[k] += w;
        }
    };
    let titles: Vec<(String, Vec<String>)> = meeting
        .attendees
        .iter()
        .filter_map(|a| match &a.role {
            Role::Title(t) => Some(t.clone()),
            _ => None,
        })
        .map(|t| {
            let chars: Vec<char> = t.chars().collect();
            let short: String = chars[chars.len().saturating_sub(3)..].iter().collect();
            (t.clone(), vec![t.clone(), short])
        })
        .collect();
    let mut presenter = default_presenter(meeting);
    for (i, turn) in turns.iter().enumerate() {
        let text = turn.text;
        let duration = (turn.end - turn.start).max(0.0) as f32;
        add(turn.cluster, &Role::Chair, cue_score(text, CHAIR_CUES));
        if let Some(role) = announced_presenter(meeting, text) {
            presenter = role;
        }
        add(turn.cluster, &presenter, cue_score(text, PRESENTER_CUES));
        let Some(previous) = i.checked_sub(1).map(|p| &turns[p]) else {
            continue;
        };
        if previous.cluster == turn.cluster {
            continue;
        }
        let prev = previous.text;
        if REQUESTS.iter().any(|r| prev.contains(r)) {
            let w = if duration > 10.0 { 3.0 } else { 1.0 };
            add(turn.cluster, &presenter, w);
        }
        for (title, names) in &titles {
            if names.iter().any(|n| mentions(prev, n)) {
                add(turn.cluster, &Role::Title(title.clone()), 5.0);
            }
        }
        let invited = INVITATIONS.iter().any(|r| prev.contains(r));
        if invited && !is_question(text) {
            add(turn.cluster, &Role::Member, 1.0);
        }
        // An answer to a question (not to the chair's call for questions).
        if is_question(prev) && !invited && !is_question(text) {
            add(turn.cluster, &Role::Secretariat, 1.5);
        }
        if MEMBER_CUES.iter().any(|c| text.contains(c)) {
            add(turn.cluster, &Role::Member, 2.0);
        }
    }
    let fallback = if roles.contains(&Role::Member) {
        Role::Member
    } else {
        roles.last().cloned().unwrap_or(Role::Member)
    };
    let mut out: Vec<Assignment> = evidence
        .iter()
        .map(|row| {
            let best = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .filter(|(_, &v)| v > 0.0);
            let total: f32 = row.iter().map(|v| v.min(30.0).exp()).sum();
            match best {
                Some((k, &v)) => Assignment {
                    role: roles[k].clone(),
                    title: None,
                    confidence: v.min(30.0).exp() / total,
                },
                None => Assignment {
                    role: fallback.clone(),
                    title: None,
                    confidence: 1.0 / roles.len().max(1) as f32,
                },
            }
        })
        .collect();
    // There is always a chair: the cluster that says most of what a chair says.
    if !out.iter().any(|a| a.role == Role::Chair) {
        if let Some(k) = index(&Role::Chair) {
            if let Some((c, _)) = evidence
                .iter()
                .enumerate()
                .max_by(|a, b| a.1[k].total_cmp(&b.1[k]))
            {
                out[c].role = Role::Chair;
                out[c].confidence = 0.5;
            }
        }
    }
    for a in &mut out {
        a.title = unique_title(meeting, &a.role);
    }
    out
}

/// Whether `text` names `name`: exactly, or, for names of six characters or
/// more, with one character misrecognised and followed by the way a chair
/// calls on someone (デジタル化推進人さん for デジタル化推進員).
fn mentions(text: &str, name: &str) -> bool {
    if text.contains(name) {
        return true;
    }
    let name: Vec<char> = name.chars().collect();
    if name.len() < 6 {
        return false;
    }
    let text: Vec<char> = text.chars().collect();
    let n = name.len();
    (0..text.len().saturating_sub(n - 1)).any(|i| {
        let w = &text[i..i + n];
        let rest: String = text[i + n..].iter().take(2).collect();
        w.iter().zip(&name).filter(|(a, b)| a != b).count() <= 1
            && ["さん", "から", "より"].contains(&rest.as_str())
    })
}

/// The attendee's title when only one attendee has this role.
fn unique_title(meeting: &Meeting, role: &Role) -> Option<String> {
    let mut with_role = meeting.attendees.iter().filter(|a| &a.role == role);
    match (with_role.next(), with_role.next()) {
        (Some(a), None) => Some(a.title.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn a_title_is_named_despite_one_misrecognised_character() {
        assert!(mentions("デジタル化推進員さんにも", "デジタル化推進員"));
        assert!(mentions("デジタル化推進人さんにも", "デジタル化推進員"));
        assert!(!mentions("デジタル化推進本部", "デジタル化推進員"));
        assert!(!mentions("デジタル化推進計画について", "デジタル化推進員"));
        assert!(!mentions("推進人さん", "推進員"));
    }
}
