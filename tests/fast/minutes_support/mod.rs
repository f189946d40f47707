//! Shared by the minutes tests: turns built from a sample's truth.json
//! (the speaker stage's stand-in), optionally with recognised text from a
//! transcript.json, and the meetings of the samples.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kaigiroku::meeting::{Meeting, Role};
use kaigiroku::types::{Speaker, SpeakerId, Transcript, Turn};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Truth {
    pub speakers: Vec<TruthSpeaker>,
    pub utterances: Vec<Utterance>,
}

#[derive(Deserialize)]
pub struct TruthSpeaker {
    pub id: String,
    pub role: String,
    pub title: Option<String>,
}

#[derive(Deserialize, Clone)]
pub struct Utterance {
    pub start: f64,
    pub end: f64,
    pub speaker: String,
    pub role: String,
    pub text: String,
    pub item: String,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The truth 要旨 of a sample, items in order, from its `summary.toml`
/// (for kaigi-2022-01-full, the published minutes' 要旨).
pub fn published_summaries(sample: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct File {
        items: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        summary: String,
    }
    let path = root().join("samples").join(sample).join("summary.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.items.into_iter().map(|i| i.summary).collect()
}

pub fn truth(sample: &str) -> Option<Truth> {
    let path = root().join("samples").join(sample).join("truth.json");
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

impl Truth {
    fn id(&self, speaker: &str) -> SpeakerId {
        SpeakerId(
            self.speakers
                .iter()
                .position(|s| s.id == speaker)
                .unwrap_or(99) as u32
                + 1,
        )
    }

    pub fn speakers(&self) -> Vec<Speaker> {
        self.speakers
            .iter()
            .map(|s| Speaker {
                id: self.id(&s.id),
                role: s.role.parse().unwrap(),
                title: s.title.clone(),
                confidence: 1.0,
                confirmed: false,
                evidence: Vec::new(),
            })
            .collect()
    }

    /// One turn per utterance, with the true text.
    pub fn turns(&self) -> Vec<Turn> {
        self.utterances
            .iter()
            .map(|u| Turn {
                start: u.start,
                end: u.end,
                speaker: self.id(&u.speaker),
                role: u.role.parse::<Role>().unwrap(),
                role_confidence: 1.0,
                text: u.text.clone(),
                segments: vec![],
            })
            .collect()
    }

    /// Recognised segments, each given the speaker of the utterance it
    /// overlaps most; consecutive segments of one speaker make a turn.
    pub fn turns_from(&self, transcript: &Transcript) -> Vec<Turn> {
        let mut turns: Vec<Turn> = Vec::new();
        for (k, seg) in transcript.segments.iter().enumerate() {
            let best = self.utterances.iter().max_by(|a, b| {
                overlap(a, seg.start, seg.end).total_cmp(&overlap(b, seg.start, seg.end))
            });
            let Some(u) = best else { continue };
            let id = self.id(&u.speaker);
            match turns.last_mut() {
                Some(t) if t.speaker == id && seg.start - t.end < 1.5 => {
                    t.end = seg.end;
                    t.text.push_str(&seg.text);
                    t.segments.push(k);
                }
                _ => turns.push(Turn {
                    start: seg.start,
                    end: seg.end,
                    speaker: id,
                    role: u.role.parse::<Role>().unwrap(),
                    role_confidence: 1.0,
                    text: seg.text.clone(),
                    segments: vec![k],
                }),
            }
        }
        turns
    }
}

fn overlap(u: &Utterance, start: f64, end: f64) -> f64 {
    (u.end.min(end) - u.start.max(start)).max(0.0)
}

/// The meeting file of the full sample (6 items), as the clerk would write it.
pub const FULL_MEETING: &str = r#"
name = "令和3年度 第2回豊島区行政情報化推進本部"
secretariat = "政策経営部情報管理課"
date = 2022-01-26
start = "11:10"
end = "11:59"
place = "庁議室（本庁舎5階）"
glossary = ["仮想デスクトップシステム", "DaaS", "現行ベンダー", "標準化全体会", "住記系", "税国系", "福祉系", "BPR",
  "豊島区DX推進計画", "豊島区DX推進方針", "パブリックコメント", "候補機種C", "LGWAN-ASP", "デジタルガバメント検討PT"]
[disclosure]
meeting = "非公開"
minutes = "一部非公開"
reason = "行政機関における政策意思決定過程途上に位置付けられる会議であるため"
[[attendees]]
title = "副区長"
role = "本部長"
[[attendees]]
title = "政策経営部長"
role = "副本部長"
[[attendees]]
title = "区民部長"
role = "部員"
[[attendees]]
title = "教育部長"
role = "部員"
note = "代理"
[[attendees]]
title = "情報管理課長"
role = "事務局"
[[attendees]]
title = "デジタル化推進員"
role = "デジタル化推進員"
[[agenda]]
kind = "議案"
number = 1
title = "情報システム契約案件（4000万円以上）の本部承認について"
presenter = "事務局"
[[agenda]]
kind = "議案"
number = 2
title = "基幹系業務システムの標準化対応の概要と体制について"
presenter = "事務局"
[[agenda]]
kind = "報告事項"
number = 1
title = "豊島区DX推進計画（たたき台）について"
presenter = "事務局"
[[agenda]]
kind = "報告事項"
number = 2
title = "管理職パソコンの入れ替えについて"
presenter = "事務局"
[[agenda]]
kind = "報告事項"
number = 3
title = "管理職携帯の入れ替え（スマホ化）について"
presenter = "事務局"
[[agenda]]
kind = "報告事項"
number = 4
title = "LGWAN-ASPサービスの利用について"
presenter = "事務局"
[[materials]]
label = "資料1"
title = "4,000万円以上の本部案件承認について"
[[materials]]
label = "資料2"
title = "基幹系業務システムの標準化対応の概要について"
"#;

/// The sample's own meeting.toml when it has one, else `fallback`.
pub fn meeting(sample: &str, fallback: &str) -> Meeting {
    let path = root().join("samples").join(sample).join("meeting.toml");
    if path.exists() {
        Meeting::load(&path).unwrap()
    } else {
        Meeting::parse(Path::new("inline.toml"), fallback).unwrap()
    }
}
