//! Speaker clusters → roles (本部長, 副本部長, 事務局, 部員, titles), inferred
//! over the whole meeting from what `meeting.toml` says and what is heard.
//!
//! Clues are gathered turn by turn, each a recorded [`Evidence`]:
//! - the chair opens, announces items, asks for questions, moves on, declares
//!   decisions and closes ([`crate::ja::phrases`], with their mishearings);
//!   the chair is one person: the one cluster that says most of it;
//! - the item being discussed is followed from the chair's announcements
//!   (「議案（2）」…); its `presenter` in meeting.toml (事務局 by default, 部員
//!   or a title honoured) is the role of whoever answers the chair's request
//!   for a presentation at length, of the presenter's own phrases
//!   (「説明は以上です」), and of the answers to questions on that item;
//! - the chair calling someone by title (「総務部長からお願いします」,
//!   「区民部長、いかがでしょうか」): the next speaker holds that title, hence
//!   that attendee's role;
//! - members speak when the chair asks for questions or opinions, and talk
//!   about their own 部.
//!
//! Each cluster takes the role with the most evidence (the chair's role only
//! for the chair's cluster; a title role for no more clusters than attendees
//! hold it). A turn with strong evidence for another role than its cluster's
//! (a member merged into a presenter's voice cluster, called by title) is
//! split off into a speaker of its own: a split is cheaper to fix than a
//! merge across roles. With no evidence a cluster is a member.

use crate::ja::phrases::{contains, Kind};
use crate::ja::{agenda_refs, normalize, sentences};
use crate::meeting::{Meeting, Role};
use crate::types::Evidence;

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
    /// The clues for `role`, strongest first.
    pub evidence: Vec<Evidence>,
}

/// Roles for a meeting's turns: each turn's cluster (turns split off get new
/// clusters numbered after the given ones) and each cluster's role.
#[derive(Debug, Clone)]
pub struct Roles {
    pub turn_cluster: Vec<usize>,
    pub clusters: Vec<Assignment>,
}

/// Evidence this strong on one turn, for another role than its cluster's,
/// splits the turn off.
const SPLIT_WEIGHT: f32 = 5.0;
/// A turn this long answering a request for a presentation is one.
const PRESENTATION_SECONDS: f64 = 10.0;
/// A short turn saying this much of what a chair says is the chair's.
const CHAIR_TURN_SCORE: f32 = 3.0;
/// A 質疑 turn this long (seconds) gives its clue its plain weight.
const QA_SECONDS: f64 = 8.0;
/// Evidence kept per speaker.
const EVIDENCE_KEPT: usize = 5;

/// (phrase kind, weight) of what a chair says.
const CHAIR_PHRASES: &[(Kind, f32)] = &[
    (Kind::Opening, 3.0),
    (Kind::Closing, 3.0),
    (Kind::Request, 3.0),
    (Kind::NoQuestions, 3.0),
    (Kind::Proceed, 2.0),
];
/// Other phrases of a chair, matched as written.
const CHAIR_WORDS: &[(&str, f32)] = &[
    ("ご質問はございますか", 3.0),
    ("ご意見はございますか", 3.0),
    ("ご質問はありますか", 3.0),
    ("ご意見はありますか", 3.0),
    ("ご意見のある方", 3.0),
    ("ご意見を伺います", 3.0),
    ("ご意見をいただきます", 3.0),
    ("ご意見をお伺いします", 3.0),
    ("何かございますか", 2.0),
    ("といたします", 1.0),
    ("のとおり", 1.0),
    ("の通り", 1.0),
    ("続きまして", 1.5),
    ("続いて、", 1.0),
    ("継続審議", 3.0),
    ("次に、", 1.0),
    ("最後に、", 1.0),
];
/// Invitations of the chair for questions and opinions.
const INVITATIONS: &[&str] = &["ご質問", "ご意見", "何かございますか", "いかが"];
/// A member speaking of their own department.
const MEMBER_CUES: &[&str] = &[
    "部では",
    "部のほうでは",
    "部のほうで",
    "部としては",
    "部として",
];
/// How the chair calls on someone right after naming them.
const CALLS: &[&str] = &[
    "から",
    "さん",
    "、いかが",
    "いかが",
    "、お願い",
    "お願い",
    "どうぞ",
];

fn is_question(text: &str) -> bool {
    let t = text.trim_end_matches(['。', '？', '?', ' ', '　']);
    t.ends_with('か') || text.ends_with('？') || text.ends_with('?')
}

fn last_sentence(text: &str) -> &str {
    sentences(text).last().map_or(text, |s| s.text)
}

/// The chair's role at this meeting: 副本部長 when no 本部長 attends and a
/// 副本部長 does, or when the chair says a 副本部長 is chairing.
fn chair_role(meeting: &Meeting, chair_text: &str) -> Role {
    let attends = |role: &Role| {
        meeting
            .attendees
            .iter()
            .any(|a| &a.role == role && !a.note.as_deref().is_some_and(|n| n.contains("欠席")))
    };
    let vice_says = chair_text.contains("副本部長")
        && ["進行", "代わり", "代理", "務め"]
            .iter()
            .any(|w| chair_text.contains(w));
    if attends(&Role::ViceChair) && (!attends(&Role::Chair) || vice_says) {
        Role::ViceChair
    } else {
        Role::Chair
    }
}

/// The role (and title) a presenter given in meeting.toml speaks under.
fn resolve(meeting: &Meeting, spec: &Role) -> (Role, Option<String>) {
    let title = match spec {
        Role::Title(t) => Some(t.clone()),
        _ => None,
    };
    (meeting.speaking_role(spec), title)
}

/// The attendee the chair calls on in `text`, if any: a title named and
/// followed by a call (「総務部長からお願いします」「推進員さんにも」), in a
/// sentence that is not about something already done (「…課長からご説明
/// いただきましたとおり」); the last call of the turn, the longest title first.
fn called<'m>(meeting: &'m Meeting, text: &str) -> Option<&'m crate::meeting::Attendee> {
    let mut attendees: Vec<_> = meeting.attendees.iter().collect();
    attendees.sort_by_key(|a| std::cmp::Reverse(a.title.chars().count()));
    sentences(text)
        .iter()
        .rev()
        .filter(|s| !s.text.contains("いただきました") && !s.text.contains("いただいた"))
        .find_map(|s| {
            attendees.iter().copied().find(|a| {
                let base = a.title.split(['（', '(']).next().unwrap_or(&a.title);
                mentions(s.text, base)
            })
        })
}

/// Whether `text` names `name` followed by a call: exactly, or, for names
/// of six characters or more, with one character misrecognised
/// (デジタル化推進人さん for デジタル化推進員).
fn mentions(text: &str, name: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let n = name.len();
    if n < 2 {
        return false;
    }
    let text: Vec<char> = text.chars().collect();
    (0..(text.len() + 1).saturating_sub(n)).any(|i| {
        let wrong = text[i..i + n]
            .iter()
            .zip(&name)
            .filter(|(a, b)| a != b)
            .count();
        let rest: String = text[i + n..].iter().take(4).collect();
        (wrong == 0 || (wrong == 1 && n >= 6)) && CALLS.iter().any(|c| rest.starts_with(c))
    })
}

/// Clues gathered turn by turn: (turn, role, weight, reason).
struct Clue {
    turn: usize,
    role: Role,
    title: Option<String>,
    weight: f32,
    reason: String,
}

/// Assigns roles to the clusters of `turns` (clusters `0..clusters`).
pub fn assign(turns: &[Spoken], clusters: usize, meeting: &Meeting) -> Roles {
    // The chair: the cluster that says most of what a chair says.
    let mut chair_score = vec![0f32; clusters];
    for t in turns {
        if let Some(score) = chair_score.get_mut(t.cluster) {
            *score += chair_words(t.text, meeting);
        }
    }
    let chair = chair_score
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .filter(|(_, &v)| v > 0.0)
        .map(|(c, _)| c);
    let chair_text: String = turns
        .iter()
        .filter(|t| Some(t.cluster) == chair)
        .take(3)
        .map(|t| t.text)
        .collect();
    let chair_role = chair_role(meeting, &chair_text);

    // The chair is one person. A short turn of another cluster that says
    // what only a chair says (「ないようですので、次に進みます」「…案のとおり
    // 承認といたします」) is the chair's voice clustered elsewhere; and so
    // is a cluster that says more of what a chair says than anything else
    // (the chair's voice split in two).
    let mut turn_cluster: Vec<usize> = turns.iter().map(|t| t.cluster).collect();
    if let Some(chair) = chair {
        for (i, t) in turns.iter().enumerate() {
            if t.cluster != chair
                && t.end - t.start < PRESENTATION_SECONDS
                && chair_words(t.text, meeting) >= CHAIR_TURN_SCORE
            {
                turn_cluster[i] = chair;
            }
        }
    }
    let mut clues = gather(turns, &turn_cluster, chair, meeting);
    if let Some(chair) = chair {
        let mut merged = false;
        for c in (0..clusters).filter(|&c| c != chair) {
            let other: f32 = clues
                .iter()
                .filter(|k| turn_cluster[k.turn] == c)
                .map(|k| k.weight)
                .sum();
            if chair_score[c] >= CHAIR_TURN_SCORE && chair_score[c] > other {
                for cluster in turn_cluster.iter_mut().take(turns.len()) {
                    if *cluster == c {
                        *cluster = chair;
                        merged = true;
                    }
                }
            }
        }
        if merged {
            clues = gather(turns, &turn_cluster, Some(chair), meeting);
        }
    }

    // Each cluster's role: the chair's for the chair, else the most evidence.
    let mut out: Vec<Assignment> = (0..clusters)
        .map(|c| {
            if Some(c) == chair {
                let evidence = vec![Evidence {
                    role: chair_role.clone(),
                    weight: chair_score[c],
                    at: turns
                        .iter()
                        .find(|t| t.cluster == c)
                        .map_or(0.0, |t| t.start),
                    reason: "開会・議事の進行・質疑の呼びかけ・決定・閉会を最も多く述べた".into(),
                }];
                let total: f32 = chair_score.iter().sum();
                return Assignment {
                    role: chair_role.clone(),
                    title: None,
                    confidence: (chair_score[c] / total.max(1e-6)).clamp(0.5, 1.0),
                    evidence,
                };
            }
            decide(clues.iter().filter(|k| turn_cluster[k.turn] == c), turns)
        })
        .collect();
    limit_titles(meeting, &mut out, &clues, turns, &turn_cluster);

    // Split off turns whose own evidence says another role.
    for clue in clues.iter().filter(|k| k.weight >= SPLIT_WEIGHT) {
        let c = turn_cluster[clue.turn];
        if out[c].role == clue.role {
            continue;
        }
        let own: Vec<&Clue> = clues.iter().filter(|k| k.turn == clue.turn).collect();
        let mut assignment = decide(own.into_iter(), turns);
        if assignment.role != clue.role {
            continue;
        }
        assignment.title = clue.title.clone();
        turn_cluster[clue.turn] = out.len();
        out.push(assignment);
    }
    for a in &mut out {
        if a.title.is_none() {
            a.title = unique_title(meeting, &a.role);
        }
    }
    Roles {
        turn_cluster,
        clusters: out,
    }
}

fn chair_words(text: &str, meeting: &Meeting) -> f32 {
    let phrases: f32 = CHAIR_PHRASES
        .iter()
        .filter(|(k, _)| contains(*k, text))
        .map(|(_, w)| w)
        .sum();
    let words: f32 = CHAIR_WORDS
        .iter()
        .filter(|(w, _)| text.contains(w))
        .map(|(_, w)| w)
        .sum();
    let item_call = if crate::ja::phrases::is_item_call(text.trim()) {
        3.0
    } else {
        0.0
    };
    // Calling on someone by title, and naming an agenda item.
    let asks = ["お願いします", "いかが", "どうぞ"]
        .iter()
        .any(|w| text.contains(w));
    let calls = if asks && called(meeting, text).is_some() {
        3.0
    } else {
        0.0
    };
    let names_item = if agenda_refs(&normalize(text))
        .iter()
        .any(|r| r.number.is_some())
    {
        1.0
    } else {
        0.0
    };
    phrases + words + item_call + calls + names_item
}

/// The clues of every turn but the chair's.
fn gather(
    turns: &[Spoken],
    turn_cluster: &[usize],
    chair: Option<usize>,
    meeting: &Meeting,
) -> Vec<Clue> {
    let default_presenter = Role::Secretariat;
    let mut presenter = resolve(meeting, &default_presenter);
    // The agenda item being discussed (an index into the agenda).
    let mut item: Option<usize> = None;
    // Whether the current item's presentation was already asked for.
    let mut item_requested = false;
    // Inside a 質疑: from the chair's call for questions to the next request.
    let mut questions_open = false;
    let mut clues = Vec::new();
    for (i, turn) in turns.iter().enumerate() {
        let text = turn.text;
        let is_chair = Some(turn_cluster[i]) == chair;
        if is_chair {
            // The item announced: its presenter presents and answers.
            let norm = normalize(text);
            // The last item named: 「…議案（1）は承認といたします。議案（2）…」;
            // a request for a presentation naming no item (recognition lost
            // it) is for the next item on the agenda.
            let named = agenda_refs(&norm).iter().rev().find_map(|r| {
                meeting
                    .agenda
                    .iter()
                    .position(|a| a.kind == r.kind && Some(a.number) == r.number)
            });
            let asks = contains(Kind::Request, text);
            let next = || match item {
                Some(k) if !item_requested => k,
                Some(k) => k + 1,
                None => 0,
            };
            let requested = asks.then(next);
            if let Some(k) = named.or(requested).filter(|&k| k < meeting.agenda.len()) {
                item_requested = asks || (Some(k) == item && item_requested);
                item = Some(k);
                let spec = meeting.agenda[k]
                    .presenter
                    .clone()
                    .unwrap_or(default_presenter.clone());
                presenter = resolve(meeting, &spec);
            }
            if contains(Kind::Request, text) {
                questions_open = false;
                // The request names who presents: 「事務局から説明を…」,
                // 「防災課長から説明を…」 (「所管課から」 leaves the item's).
                let request = sentences(text)
                    .iter()
                    .rev()
                    .find(|s| contains(Kind::Request, s.text))
                    .map_or(text, |s| s.text);
                if request.contains("事務局") {
                    presenter = (Role::Secretariat, None);
                } else if let Some(a) = called(meeting, request) {
                    presenter = resolve(meeting, &Role::Title(a.title.clone()));
                }
            }
            if INVITATIONS.iter().any(|r| text.contains(r)) {
                questions_open = true;
            }
        }
        let previous = i.checked_sub(1).map(|p| &turns[p]);
        let same = i > 0 && turn_cluster[i - 1] == turn_cluster[i];
        let duration = turn.end - turn.start;
        // The chair's own turns count only where a presentation or a called
        // speaker's voice was clustered with the chair's.
        if is_chair && !(same && duration > PRESENTATION_SECONDS) {
            continue;
        }
        let mut clue = |role: Role, title: Option<String>, weight: f32, reason: String| {
            clues.push(Clue {
                turn: i,
                role,
                title,
                weight,
                reason,
            })
        };
        if contains(Kind::EndOfPresentation, text) || text.contains("ご覧ください") {
            clue(
                presenter.0.clone(),
                presenter.1.clone(),
                3.0,
                "説明を締めくくる言葉（「説明は以上です」など）を述べた".into(),
            );
        }
        if MEMBER_CUES.iter().any(|c| text.contains(c)) {
            clue(
                Role::Member,
                None,
                2.0,
                "自分の部について述べた（「部では」など）".into(),
            );
        }
        let Some(previous) = previous else {
            continue;
        };
        if same && duration < PRESENTATION_SECONDS {
            continue;
        }
        let prev = last_sentence(previous.text);
        let from_chair = Some(turn_cluster[i - 1]) == chair;
        if from_chair {
            if let Some(a) = called(meeting, previous.text) {
                let (role, title) = resolve(meeting, &Role::Title(a.title.clone()));
                clue(
                    role,
                    title,
                    SPLIT_WEIGHT,
                    format!("議長に「{}」と呼ばれた直後に話した", a.title),
                );
                continue;
            }
        }
        if contains(Kind::Request, prev) {
            let long = duration > PRESENTATION_SECONDS;
            // After the chair's own request, the chair's cluster speaking at
            // length is the presenter's voice clustered with the chair's.
            let weight = match (long, same) {
                (true, true) => SPLIT_WEIGHT,
                (true, false) => 3.0,
                _ => 1.0,
            };
            let reason = format!(
                "説明の依頼の直後に{}話した（説明者: {}）",
                if long { "長く" } else { "" },
                presenter.1.as_deref().unwrap_or(presenter.0.as_str())
            );
            clue(presenter.0.clone(), presenter.1.clone(), weight, reason);
            continue;
        }
        let invited = INVITATIONS.iter().any(|r| prev.contains(r));
        let answers = is_question(prev) && !is_question(text) && !same && !invited;
        // The 質疑's weak clues count by how long the turn is: a two-second
        // 「はい、説明済みです」 in a member's cluster (voices clustered
        // together) must not outweigh the member's own twenty seconds.
        let length = (duration / QA_SECONDS).clamp(0.5, 2.0) as f32;
        if from_chair && invited {
            clue(
                Role::Member,
                None,
                length,
                "質問・意見の呼びかけの直後に話した".into(),
            );
        } else if questions_open && !answers && !same {
            clue(
                Role::Member,
                None,
                length,
                "質疑で質問・意見を述べた".into(),
            );
        } else if answers {
            clue(
                presenter.0.clone(),
                presenter.1.clone(),
                1.5 * length,
                format!(
                    "質問に答えた（この議題の説明者: {}）",
                    presenter.1.as_deref().unwrap_or(presenter.0.as_str())
                ),
            );
        }
    }
    clues
}

/// The role with the most evidence among `clues` (a member when none).
fn decide<'a>(clues: impl Iterator<Item = &'a Clue>, turns: &[Spoken]) -> Assignment {
    let mut sums: Vec<(Role, Option<String>, f32, Vec<&Clue>)> = Vec::new();
    for k in clues {
        match sums.iter_mut().find(|s| s.0 == k.role) {
            Some(s) => {
                s.2 += k.weight;
                s.3.push(k);
                if s.1.is_none() {
                    s.1 = k.title.clone();
                }
            }
            None => sums.push((k.role.clone(), k.title.clone(), k.weight, vec![k])),
        }
    }
    let total: f32 = sums.iter().map(|s| s.2.min(30.0).exp()).sum::<f32>()
        + if sums.iter().any(|s| s.0 == Role::Member) {
            0.0
        } else {
            1.0
        };
    let best = sums.iter().max_by(|a, b| a.2.total_cmp(&b.2));
    match best {
        Some((role, title, weight, ks)) => {
            let mut evidence: Vec<Evidence> = ks
                .iter()
                .map(|k| Evidence {
                    role: k.role.clone(),
                    weight: k.weight,
                    at: turns[k.turn].start,
                    reason: k.reason.clone(),
                })
                .collect();
            evidence.sort_by(|a, b| b.weight.total_cmp(&a.weight));
            evidence.truncate(EVIDENCE_KEPT);
            Assignment {
                role: role.clone(),
                title: title.clone(),
                confidence: weight.min(30.0).exp() / total,
                evidence,
            }
        }
        None => Assignment {
            role: Role::Member,
            title: None,
            confidence: 0.5,
            evidence: vec![Evidence {
                role: Role::Member,
                weight: 0.0,
                at: 0.0,
                reason: "手がかりなし（部員とした）".into(),
            }],
        },
    }
}

/// A title role goes to no more clusters than attendees hold that title:
/// the others take their next best role.
fn limit_titles(
    meeting: &Meeting,
    out: &mut [Assignment],
    clues: &[Clue],
    turns: &[Spoken],
    turn_cluster: &[usize],
) {
    for a in &meeting.attendees {
        let Role::Title(title) = &a.role else {
            continue;
        };
        let holders = meeting
            .attendees
            .iter()
            .filter(|b| b.role == a.role)
            .count();
        let mut with: Vec<usize> = (0..out.len()).filter(|&c| out[c].role == a.role).collect();
        if with.len() <= holders {
            continue;
        }
        with.sort_by(|&x, &y| out[y].confidence.total_cmp(&out[x].confidence));
        for &c in &with[holders..] {
            out[c] = decide(
                clues
                    .iter()
                    .filter(|k| turn_cluster[k.turn] == c && k.role != Role::Title(title.clone())),
                turns,
            );
        }
    }
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
    use super::*;

    fn meeting() -> Meeting {
        toml::from_str(
            r#"
name = "テスト本部"
secretariat = "情報政策課"
date = 2024-05-01
[[attendees]]
title = "副区長"
role = "本部長"
[[attendees]]
title = "総務部長"
role = "部員"
[[attendees]]
title = "区民部長"
role = "部員"
[[attendees]]
title = "情報政策課長"
role = "事務局"
[[agenda]]
kind = "議案"
number = 1
title = "窓口のオンライン化について"
presenter = "区民部長"
"#,
        )
        .unwrap()
    }

    fn spoken(cluster: usize, start: f64, end: f64, text: &str) -> Spoken<'_> {
        Spoken {
            cluster,
            start,
            end,
            text,
        }
    }

    #[test]
    fn a_member_presenter_is_a_member_with_the_title() {
        let m = meeting();
        let turns = [
            spoken(
                0,
                0.0,
                5.0,
                "ただいまより本部を開催します。議案1について、区民部長から説明をお願いします。",
            ),
            spoken(
                1,
                6.0,
                40.0,
                "窓口のオンライン化について説明します。説明は以上です。",
            ),
            spoken(
                0,
                56.0,
                60.0,
                "それでは、議案1は案のとおり承認といたします。",
            ),
        ];
        let roles = assign(&turns, 2, &m);
        assert_eq!(roles.clusters[0].role, Role::Chair);
        assert_eq!(roles.clusters[1].role, Role::Member);
        assert_eq!(roles.clusters[1].title.as_deref(), Some("区民部長"));
        assert!(!roles.clusters[1].evidence.is_empty());
    }

    #[test]
    fn a_member_called_by_title_is_split_from_the_secretariat() {
        let m = meeting();
        let turns = [
            spoken(
                0,
                0.0,
                5.0,
                "報告事項1について、事務局から説明をお願いします。",
            ),
            spoken(
                1,
                6.0,
                40.0,
                "システムの更新について説明します。説明は以上です。",
            ),
            spoken(
                0,
                41.0,
                45.0,
                "ご意見を伺います。総務部長からお願いします。",
            ),
            // The 総務部長's voice fell into the presenter's cluster.
            spoken(1, 46.0, 55.0, "特に問題ないと考えます。"),
            spoken(0, 56.0, 60.0, "ありがとうございました。以上で終了します。"),
        ];
        let roles = assign(&turns, 2, &m);
        let role_of = |t: usize| &roles.clusters[roles.turn_cluster[t]].role;
        assert_eq!(role_of(1), &Role::Secretariat);
        assert_eq!(role_of(3), &Role::Member);
        assert_ne!(roles.turn_cluster[3], roles.turn_cluster[1]);
        assert_eq!(
            roles.clusters[roles.turn_cluster[3]].title.as_deref(),
            Some("総務部長")
        );
    }

    #[test]
    fn a_vice_chair_chairs_when_the_chair_is_absent() {
        let mut m = meeting();
        m.attendees[0].note = Some("欠席".into());
        m.attendees.push(crate::meeting::Attendee {
            title: "政策経営部長".into(),
            role: Role::ViceChair,
            note: None,
        });
        let turns = [spoken(0, 0.0, 5.0, "ただいまより本部を開催します。")];
        assert_eq!(assign(&turns, 1, &m).clusters[0].role, Role::ViceChair);
    }

    #[test]
    fn calls_by_title_are_told_from_mentions() {
        let m = meeting();
        assert_eq!(
            called(&m, "次に、総務部長、いかがでしょうか。").map(|a| a.title.as_str()),
            Some("総務部長")
        );
        assert!(called(&m, "総務部長からご説明いただきましたとおりです。").is_none());
        assert!(called(&m, "総務部長の件は以上です。").is_none());
        assert!(mentions(
            "デジタル化推進人さんにもご確認",
            "デジタル化推進員"
        ));
        assert!(!mentions("デジタル化推進本部", "デジタル化推進員"));
    }
}
