//! The corpus evaluation behind tests/model/corpus.rs: one meeting's recording,
//! Whisper fixture and truth → one [`Row`] of scores; [`print_table`] prints
//! the rows with a mean row per group.
//!
//! The pipeline is the one `kaigiroku draft` runs after transcription
//! (src/main.rs): Whisper's segments corrected towards the meeting's
//! vocabulary, speakers and roles from the audio (CAM++ when installed),
//! the draft minutes by `Drafter`. Only Whisper itself is replaced by the
//! committed fixture of its segments.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use kaigiroku::correct::Corrector;
use kaigiroku::draft::{Decision, Draft, Found};
use kaigiroku::ja::written::is_spoken_ending;
use kaigiroku::meeting::{AgendaKind, Meeting, Role};
use kaigiroku::minutes::Drafter;
use kaigiroku::speakers::score::{boundary_f1, role_accuracy, RoleSpan};
use kaigiroku::speakers::{Diarizer, EmbeddingMethod};
use kaigiroku::types::{Audio, Segment};

/// An item's section is timed right when its start and its end are each
/// this close (seconds) to the truth.
pub const ITEM_TOLERANCE: f64 = 15.0;
/// Role-change boundaries match within this many seconds.
pub const BOUNDARY_TOLERANCE: f64 = 1.0;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Which rows a meeting's figures are averaged with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    /// `samples/corpus/s*`: the engineers tune on these.
    Tuning,
    /// `samples/corpus/u*`: reported apart, never tuned on.
    Unseen,
    /// The original samples (`samples/kaigi-2022-01-full`, `-noisy`).
    Samples,
}

impl Group {
    pub fn of(dir: &Path) -> Group {
        let in_corpus = dir
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "corpus");
        match name_of(dir).chars().next() {
            Some('s') if in_corpus => Group::Tuning,
            Some('u') if in_corpus => Group::Unseen,
            _ => Group::Samples,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Tuning => "tuning",
            Group::Unseen => "unseen",
            Group::Samples => "samples",
        }
    }
}

/// One meeting of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub group: Group,
    /// The directory's name (`s1-ondanka-noisy`).
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    /// The meeting has no Whisper fixture yet: listed, not scored.
    NoFixture,
    /// The fixture is there but the meeting could not be evaluated.
    Failed(String),
    Scored(Scores),
}

/// The figures of one meeting.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// Share of truth speech time whose role is right.
    pub role_accuracy: f64,
    /// Role-change boundary F1 (±[`BOUNDARY_TOLERANCE`]).
    pub change_f1: f64,
    /// Clusters in the diarization.
    pub speakers: usize,
    /// Distinct speakers in truth.json.
    pub voices: usize,
    pub embedding: Option<EmbeddingMethod>,
    /// Agenda items, items whose section was found, and found ones whose
    /// start and end are within [`ITEM_TOLERANCE`] of the truth.
    pub items: usize,
    pub items_found: usize,
    pub items_timed: usize,
    /// Decision lines (議案 decisions and （質疑なし）/（質疑） of every
    /// item) that match summary.toml, out of `decisions_total`.
    pub decisions_right: usize,
    pub decisions_total: usize,
    /// Mean over items of the 要旨's bigram F1 against the truth 要旨.
    pub summary_f1: f64,
    /// 要旨 sentences, and how many of them end in a spoken form.
    pub summary_sentences: usize,
    pub spoken_sentences: usize,
    /// What went wrong where, for reading under the table.
    pub notes: Vec<String>,
}

impl Scores {
    pub fn spoken_share(&self) -> Option<f64> {
        (self.summary_sentences > 0)
            .then(|| self.spoken_sentences as f64 / self.summary_sentences as f64)
    }
}

impl Row {
    pub fn scores(&self) -> Option<&Scores> {
        match &self.outcome {
            Outcome::Scored(s) => Some(s),
            _ => None,
        }
    }
}

/// The meetings of the corpus: every directory under `samples/corpus`
/// whose name starts with `s` (tuning) or `u` (unseen), then the samples,
/// each with its Whisper fixture path (which may not exist yet):
/// `tests/fixtures/corpus/NAME.segments.json`, or NAME.segments.json in
/// `$KAIGIROKU_CORPUS_FIXTURES` (segments of another model or transcriber).
pub fn meetings() -> Vec<(PathBuf, PathBuf)> {
    let corpus = root().join("samples/corpus");
    let fixtures = std::env::var_os("KAIGIROKU_CORPUS_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests/fixtures/corpus"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() && Group::of(p) != Group::Samples)
                .collect()
        })
        .unwrap_or_default();
    dirs.sort_by_key(|d| (Group::of(d), name_of(d)));
    let mut out: Vec<(PathBuf, PathBuf)> = dirs
        .into_iter()
        .map(|d| {
            let fixture = fixtures
                .clone()
                .join(format!("{}.segments.json", name_of(&d)));
            (d, fixture)
        })
        .collect();
    for sample in ["kaigi-2022-01-full", "kaigi-2022-01-full-noisy"] {
        out.push((
            root().join("samples").join(sample),
            root()
                .join("tests/fixtures/speakers")
                .join(format!("{sample}.segments.json")),
        ));
    }
    out
}

fn name_of(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Scores the meeting in `dir` (meeting.wav, meeting.toml, truth.json and,
/// in the corpus, summary.toml) from the Whisper segments in `fixture`.
pub fn evaluate(dir: &Path, fixture: &Path) -> Row {
    let outcome = if !fixture.is_file() {
        Outcome::NoFixture
    } else {
        match score(dir, fixture) {
            Ok(scores) => Outcome::Scored(scores),
            Err(e) => Outcome::Failed(e),
        }
    };
    Row {
        group: Group::of(dir),
        name: name_of(dir),
        outcome,
    }
}

fn score(dir: &Path, fixture: &Path) -> Result<Scores, String> {
    let meeting = Meeting::load(&dir.join("meeting.toml")).map_err(|e| e.to_string())?;
    let truth = Truth::load(&dir.join("truth.json"))?;
    let expected = expected_items(dir)?;
    let audio = load_wav(&dir.join("meeting.wav"))?;

    // As `kaigiroku draft` does after Whisper.
    let segments = Corrector::builder(&meeting)
        .build()
        .map_err(|e| e.to_string())?
        .correct(load_segments(fixture)?);
    let diarization = Diarizer::builder()
        .models(&crate::models::installed())
        .build()
        .map_err(|e| e.to_string())?
        .diarize(&audio, &segments, &meeting, |_| {})
        .map_err(|e| e.to_string())?;
    let mut draft = Drafter::builder(&meeting)
        .build()
        .draft(&diarization.turns, &diarization.speakers)
        .map_err(|e| e.to_string())?;
    kaigiroku::correct::attach_to_turns(&mut draft.turns, &segments);

    if let Some(out) = std::env::var_os("KAIGIROKU_CORPUS_DUMP") {
        dump(&Path::new(&out).join(name_of(dir)), &diarization, &draft);
    }
    let spans = truth.role_spans();
    let mut s = Scores {
        role_accuracy: role_accuracy(&spans, &diarization.turns),
        change_f1: boundary_f1(&spans, &diarization.turns, BOUNDARY_TOLERANCE).f1,
        speakers: diarization.speakers.len(),
        voices: truth.voices(),
        embedding: Some(diarization.method),
        ..Scores::default()
    };
    score_items(&draft, &truth, &expected, &mut s);
    Ok(s)
}

/// Items found and timed, decision lines, 要旨 F1 and spoken endings.
fn score_items(draft: &Draft, truth: &Truth, expected: &[ExpectedItem], s: &mut Scores) {
    let mut f1_sum = 0.0;
    let mut f1_items = 0;
    s.items = draft.items.len();
    for item in &draft.items {
        let tag = format!("{}{}", item.kind.as_str(), item.number);
        if item.found != Found::Missing {
            s.items_found += 1;
            match truth.item_span(&tag) {
                Some((start, end))
                    if (item.start - start).abs() <= ITEM_TOLERANCE
                        && (item.end - end).abs() <= ITEM_TOLERANCE =>
                {
                    s.items_timed += 1
                }
                Some((start, end)) => s.notes.push(format!(
                    "{tag}: section {:.0}–{:.0} s, truth {start:.0}–{end:.0} s",
                    item.start, item.end
                )),
                None => s
                    .notes
                    .push(format!("{tag}: no utterance tagged in truth.json")),
            }
        } else {
            s.notes.push(format!("{tag}: not found"));
        }
        for sentence in &item.summary {
            s.summary_sentences += 1;
            if is_spoken_ending(&sentence.text) {
                s.spoken_sentences += 1;
            }
        }
        let Some(want) = expected.iter().find(|e| e.item == tag) else {
            s.notes.push(format!("{tag}: not in summary.toml"));
            continue;
        };
        let summary: String = item.summary.iter().map(|x| x.text.as_str()).collect();
        f1_sum += bigram_f1(&summary, &want.summary);
        f1_items += 1;
        if item.kind == AgendaKind::Proposal {
            s.decisions_total += 1;
            let found = item.outcome.as_ref().and_then(|o| match o.decision {
                Decision::Approved => Some(DecisionClass::Approved),
                Decision::Other => Some(DecisionClass::of(&o.text)),
                Decision::Unclear => None,
            });
            let truth = want.decision.as_deref().map(DecisionClass::of);
            if found.is_some() && found == truth {
                s.decisions_right += 1;
            } else {
                s.notes.push(format!(
                    "{tag}: decision {:?}, truth {:?}",
                    item.outcome.as_ref().map(|o| o.text.as_str()),
                    want.decision
                ));
            }
        }
        if let Some(questions) = want.questions {
            s.decisions_total += 1;
            if questions != item.questions.is_empty() {
                s.decisions_right += 1;
            } else {
                s.notes.push(format!(
                    "{tag}: {} questions written, truth {}",
                    item.questions.len(),
                    if questions {
                        "（質疑）"
                    } else {
                        "（質疑なし）"
                    }
                ));
            }
        }
    }
    s.summary_f1 = if f1_items > 0 {
        f1_sum / f1_items as f64
    } else {
        0.0
    };
}

/// What a decision line decides, so that wordings of one decision compare
/// equal (「案のとおり承認」 ≈ 「承認」 ≈ 「原案どおり可決」).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionClass {
    Approved,
    /// 一部修正のうえ承認, 修正承認 …
    Amended,
    /// 継続審議.
    Continued,
    /// 否決, 不承認.
    Rejected,
    /// Anything else, by its text without spaces and punctuation.
    Other(String),
}

impl DecisionClass {
    pub fn of(text: &str) -> DecisionClass {
        let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
        if has(&["修正"]) {
            DecisionClass::Amended
        } else if has(&["継続"]) {
            DecisionClass::Continued
        } else if has(&["否決", "不承認", "承認しない", "見送"]) {
            DecisionClass::Rejected
        } else if has(&["承認", "可決", "了承", "案のとおり", "案の通り", "案どおり"])
        {
            DecisionClass::Approved
        } else {
            DecisionClass::Other(
                kaigiroku::ja::normalize(text)
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect(),
            )
        }
    }
}

/// Character-bigram F1 (width folded, punctuation and spaces removed: the
/// same bigrams `minutes` matches with).
pub fn bigram_f1(found: &str, truth: &str) -> f64 {
    let (x, y) = (kaigiroku::ja::bigrams(found), kaigiroku::ja::bigrams(truth));
    let common = x.intersection(&y).count() as f64;
    if common == 0.0 {
        return 0.0;
    }
    let (p, r) = (common / x.len() as f64, common / y.len() as f64);
    2.0 * p * r / (p + r)
}

/// truth.json: who spoke when, under which role, in which agenda item.
pub struct Truth {
    utterances: Vec<Utterance>,
}

#[derive(Deserialize)]
struct Utterance {
    start: f64,
    end: f64,
    speaker: String,
    role: String,
    #[serde(default)]
    item: Option<String>,
}

impl Truth {
    pub fn load(path: &Path) -> Result<Truth, String> {
        #[derive(Deserialize)]
        struct File {
            utterances: Vec<Utterance>,
        }
        let file: File = read_json(path)?;
        Ok(Truth {
            utterances: file.utterances,
        })
    }

    pub fn role_spans(&self) -> Vec<RoleSpan> {
        self.utterances
            .iter()
            .map(|u| RoleSpan {
                start: u.start,
                end: u.end,
                role: u.role.parse::<Role>().unwrap_or_else(|e| match e {}),
            })
            .collect()
    }

    /// Distinct speakers heard.
    pub fn voices(&self) -> usize {
        self.utterances
            .iter()
            .map(|u| u.speaker.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    }

    /// First start and last end of the utterances tagged `tag` (「議案1」).
    pub fn item_span(&self, tag: &str) -> Option<(f64, f64)> {
        let tagged = self
            .utterances
            .iter()
            .filter(|u| u.item.as_deref() == Some(tag));
        tagged.fold(None, |span, u| match span {
            None => Some((u.start, u.end)),
            Some((s, e)) => Some((f64::min(s, u.start), f64::max(e, u.end))),
        })
    }
}

/// One `[[items]]` of summary.toml: what the minutes should say.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpectedItem {
    /// 「議案1」, 「報告事項2」 (as truth.json tags utterances).
    pub item: String,
    /// The truth 要旨.
    pub summary: String,
    /// The decision of a 議案 (「案のとおり承認」).
    #[serde(default)]
    pub decision: Option<String>,
    /// Whether the minutes write questions （質疑） or （質疑なし）.
    #[serde(default)]
    pub questions: Option<bool>,
}

/// summary.toml of a meeting; a `-noisy` sample without one reads its
/// clean twin's (kaigi-2022-01-full's holds the published minutes' 要旨).
fn expected_items(dir: &Path) -> Result<Vec<ExpectedItem>, String> {
    let mut path = dir.join("summary.toml");
    let name = name_of(dir);
    if !path.is_file() {
        if let Some(clean) = name.strip_suffix("-noisy") {
            path = dir.with_file_name(clean).join("summary.toml");
        }
    }
    #[derive(Deserialize)]
    struct File {
        items: Vec<ExpectedItem>,
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: File = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file.items)
}

/// meeting.wav (16 kHz, 16-bit PCM), channels mixed to mono.
pub fn load_wav(path: &Path) -> Result<Audio, String> {
    let err = |e: hound::Error| format!("{}: {e}", path.display());
    let mut reader = hound::WavReader::open(path).map_err(err)?;
    let spec = reader.spec();
    if spec.sample_rate != 16000 {
        return Err(format!(
            "{}: {} Hz, not 16 kHz",
            path.display(),
            spec.sample_rate
        ));
    }
    let channels = spec.channels.max(1) as usize;
    let raw = reader
        .samples::<i16>()
        .map(|s| s.map(|s| s as f32 / 32768.0))
        .collect::<Result<Vec<f32>, _>>()
        .map_err(err)?;
    let samples: Vec<f32> = raw
        .chunks(channels)
        .map(|c| c.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok(Audio::from_mono_f32(&samples))
}

/// The `segments` of a Whisper fixture (`{"source": …, "segments": […]}`).
pub fn load_segments(path: &Path) -> Result<Vec<Segment>, String> {
    #[derive(Deserialize)]
    struct File {
        segments: Vec<Segment>,
    }
    Ok(read_json::<File>(path)?.segments)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// The table in Markdown: one row per meeting, a mean row after each group.
pub fn print_table(rows: &[Row]) {
    println!(
        "| group | meeting | role acc. | change F1 | speakers/voices | items found/timed | decision lines | 要旨 F1 | spoken endings |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for group in [Group::Tuning, Group::Unseen, Group::Samples] {
        let members: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
        if members.is_empty() {
            println!("| {} | (no meetings) | | | | | | | |", group.as_str());
            continue;
        }
        for row in &members {
            let cells = match &row.outcome {
                Outcome::NoFixture => "no fixture | | | | | | ".to_string(),
                Outcome::Failed(e) => format!("FAILED: {e} | | | | | | "),
                Outcome::Scored(s) => format!(
                    "{} | {:.3} | {}/{} | {}/{} {}/{} | {}/{} | {:.3} | {}",
                    pct(s.role_accuracy),
                    s.change_f1,
                    s.speakers,
                    s.voices,
                    s.items_found,
                    s.items,
                    s.items_timed,
                    s.items,
                    s.decisions_right,
                    s.decisions_total,
                    s.summary_f1,
                    s.spoken_share().map(pct).unwrap_or("–".into())
                ),
            };
            println!("| {} | {} | {cells} |", group.as_str(), row.name);
        }
        let scored: Vec<&Scores> = members.iter().filter_map(|r| r.scores()).collect();
        if scored.is_empty() {
            continue;
        }
        let n = scored.len() as f64;
        let mean = |f: fn(&Scores) -> f64| scored.iter().map(|s| f(s)).sum::<f64>() / n;
        let sum = |f: fn(&Scores) -> usize| scored.iter().map(|s| f(s)).sum::<usize>();
        let (sentences, spoken) = (sum(|s| s.summary_sentences), sum(|s| s.spoken_sentences));
        println!(
            "| **{}** | **mean of {}** | {} | {:.3} | {:.1}/{:.1} | {}/{} {}/{} | {}/{} | {:.3} | {} |",
            group.as_str(),
            scored.len(),
            pct(mean(|s| s.role_accuracy)),
            mean(|s| s.change_f1),
            mean(|s| s.speakers as f64),
            mean(|s| s.voices as f64),
            sum(|s| s.items_found),
            sum(|s| s.items),
            sum(|s| s.items_timed),
            sum(|s| s.items),
            sum(|s| s.decisions_right),
            sum(|s| s.decisions_total),
            mean(|s| s.summary_f1),
            if sentences > 0 {
                pct(spoken as f64 / sentences as f64)
            } else {
                "–".into()
            }
        );
    }
    if let Some(s) = reference(rows) {
        println!(
            "\nreference-minutes 要旨 F1 (kaigi-2022-01-full against the published minutes): {:.3}",
            s.summary_f1
        );
    }
    println!("\nembedding: {}", {
        let methods: BTreeSet<String> = rows
            .iter()
            .filter_map(|r| r.scores()?.embedding.map(|m| format!("{m:?}")))
            .collect();
        methods.into_iter().collect::<Vec<_>>().join(", ")
    });
    for row in rows {
        if let Some(s) = row.scores().filter(|s| !s.notes.is_empty()) {
            println!("{}: {}", row.name, s.notes.join("; "));
        }
    }
}

/// The kaigi-2022-01-full row: its 要旨 F1 is the reference-minutes figure.
pub fn reference(rows: &[Row]) -> Option<&Scores> {
    rows.iter()
        .find(|r| r.group == Group::Samples && r.name == "kaigi-2022-01-full")
        .and_then(|r| r.scores())
}

/// Tuning aid (`KAIGIROKU_CORPUS_DUMP=DIR`): the minutes and the turns with
/// their speakers' roles and evidence, per meeting.
fn dump(dir: &Path, diarization: &kaigiroku::speakers::Diarization, draft: &Draft) {
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(
        dir.join("minutes.txt"),
        kaigiroku::render::minutes::text(draft),
    );
    let mut lines = String::new();
    for sp in &diarization.speakers {
        lines += &format!(
            "{} {} {:?} {:.2}\n",
            sp.id, sp.role, sp.title, sp.confidence
        );
        for e in &sp.evidence {
            lines += &format!("    {:.1} {} @{:.0} {}\n", e.weight, e.role, e.at, e.reason);
        }
    }
    for t in &diarization.turns {
        lines += &format!(
            "{:7.2} {:7.2} {} {} {}\n",
            t.start, t.end, t.speaker, t.role, t.text
        );
    }
    let _ = std::fs::write(dir.join("turns.txt"), lines);
}
