//! Who spoke when, by role: transcript [`Segment`]s in, [`Diarization`]
//! (anonymous [`Speaker`]s with roles, and [`Turn`]s) out.
//!
//! 1. [`units`]: every segment is cut at its inner pauses (≥ 0.5 s), so a
//!    segment Whisper made across a speaker change can be split there.
//! 2. Each unit gets a speaker embedding: [`EmbeddingMethod::Campplus`]
//!    (3D-Speaker's CAM++ network on a Kaldi filter bank, [`campp`],
//!    [`fbank`]) when `campplus_cn_en_common.pt` is in the model store, else
//!    [`EmbeddingMethod::Classical`] (pure Rust, no model): MFCC mean and
//!    spread plus log-F0 statistics from [`features`].
//! 3. [`cluster`]: embeddings are normalised against the recording (its mean
//!    embedding subtracted; classical features also standardised),
//!    clustered agglomeratively (never more clusters than the meeting has
//!    attendees) and refined.
//! 4. Units of one segment in one cluster join; a segment whose units fall
//!    in different clusters is split, its text cut at the punctuation nearest
//!    the time split. Consecutive pieces of one cluster form a [`Turn`].
//! 5. [`roles`]: clusters get roles from what the meeting says (the chair
//!    opens and calls on people, presenters answer the chair's request …).
//!
//! Roles live on [`Speaker`]; every turn copies its speaker's role and
//! references the speaker by [`SpeakerId`], so [`Diarization::set_role`]
//! changes one speaker everywhere.
//!
//! # turns.json (version 1)
//!
//! [`Diarization`] serialised with serde_json:
//!
//! ```json
//! { "version": 1,
//!   "method": "classical",
//!   "speakers": [ { "id": "S1", "role": "本部長", "title": "副区長", "confidence": 0.98, "confirmed": false } ],
//!   "turns": [ { "start": 0.5, "end": 10.2, "speaker": "S1", "role": "本部長", "role_confidence": 0.98,
//!                "text": "ただいまより…", "segments": [0, 1] } ] }
//! ```
//!
//! - `method`: the embedding that ran: `"classical"` (MFCC + F0 statistics)
//!   or `"campplus"` (3D-Speaker CAM++).
//! - `speakers[].id`: `S1`, `S2`, … in order of first speech; never a name.
//!   `role`: 本部長, 副本部長, 部員, 事務局 or a title from meeting.toml;
//!   `title` (optional): the attendee's title when only one attendee has
//!   the role; `confidence`: 0–1; `confirmed`: a clerk has set the role.
//! - `turns[]`: in time order; `start`/`end` in seconds from the start of
//!   the recording; `speaker` one of `speakers[].id`; `role` and
//!   `role_confidence` copied from that speaker; `text` the recognised text;
//!   `segments` the indices into transcript.json's `segments` the turn was
//!   made from (a segment split at a speaker change appears in two turns).

pub mod campp;
mod campp_cpu;
pub mod cluster;
pub mod fbank;
pub mod features;
pub mod roles;
pub mod score;
pub mod units;

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::meeting::{Meeting, Role};
use crate::model::ModelStore;
use crate::types::{Audio, Segment, Speaker, SpeakerId, Turn};

#[derive(Debug, thiserror::Error)]
pub enum SpeakersError {
    #[error("speaker {0} is not in this diarization")]
    UnknownSpeaker(SpeakerId),
    #[error("segment {index} ends before it starts ({start} > {end})")]
    BadSegment { index: usize, start: f64, end: f64 },
    #[error(transparent)]
    Campplus(#[from] campp::CampplusError),
    #[error("GPU {gpu} for CAM++: {reason} (GPUs need a build with `--features cuda`)")]
    Gpu { gpu: u32, reason: String },
}

/// Which speaker embedding ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingMethod {
    /// MFCC mean and spread and log-F0 statistics per unit (no model).
    Classical,
    /// 3D-Speaker CAM++ (192-d), when its model is installed.
    Campplus,
}

/// Stages reported through the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Frame analysis of the audio (`done`/`total` in frames).
    Features,
    /// Embedding units (`done`/`total` in units).
    Embeddings,
    /// Clustering and role assignment (0/1, then 1/1).
    Roles,
}

#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

/// What `turns.json` holds: see the module documentation for the schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diarization {
    pub version: u32,
    pub method: EmbeddingMethod,
    pub speakers: Vec<Speaker>,
    pub turns: Vec<Turn>,
}

impl Diarization {
    pub const VERSION: u32 = 1;

    /// A clerk's decision: `speaker` is `role` (with `title`); every one of
    /// the speaker's turns follows, and the speaker is marked confirmed.
    pub fn set_role(
        &mut self,
        speaker: SpeakerId,
        role: Role,
        title: Option<String>,
    ) -> Result<(), SpeakersError> {
        let s = self
            .speakers
            .iter_mut()
            .find(|s| s.id == speaker)
            .ok_or(SpeakersError::UnknownSpeaker(speaker))?;
        s.role = role.clone();
        s.title = title;
        s.confidence = 1.0;
        s.confirmed = true;
        for t in self.turns.iter_mut().filter(|t| t.speaker == speaker) {
            t.role = role.clone();
            t.role_confidence = 1.0;
        }
        Ok(())
    }
}

/// Where the CAM++ model comes from.
#[derive(Debug, Clone)]
enum ModelChoice {
    File(PathBuf),
    /// The classical embedding.
    Classical,
}

/// Builds a [`Diarizer`].
#[derive(Debug, Clone)]
pub struct DiarizerBuilder {
    min_pause: f64,
    min_unit: f64,
    threshold: Option<f32>,
    pitch_weight: f32,
    model: ModelChoice,
    gpu: Option<u32>,
    threads: usize,
}

impl DiarizerBuilder {
    /// Embeds units on this many threads (default: all cores).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Runs CAM++ on GPU `gpu` (`None`: the CPU, the default); needs a
    /// build with the `cuda` feature.
    pub fn gpu(mut self, gpu: Option<u32>) -> Self {
        self.gpu = gpu;
        self
    }

    /// Embeds with the CAM++ state dict at `path` (by default, the
    /// classical embedding).
    pub fn campplus_model(mut self, path: impl Into<PathBuf>) -> Self {
        self.model = ModelChoice::File(path.into());
        self
    }

    /// Embeds with `store`'s CAM++ model when it is installed, else the
    /// classical embedding.
    pub fn models(self, store: &ModelStore) -> Self {
        let path = store.campplus_path();
        match path.is_file() {
            true => self.campplus_model(path),
            false => self.classical(),
        }
    }

    /// Uses the classical embedding.
    pub fn classical(mut self) -> Self {
        self.model = ModelChoice::Classical;
        self
    }

    /// Weight of the median log-F0 in the classical embedding, relative to
    /// one standardised MFCC dimension (default 10).
    pub fn pitch_weight(mut self, weight: f32) -> Self {
        self.pitch_weight = weight.max(0.0);
        self
    }

    /// Shortest silence inside a segment where a speaker may change
    /// (default 0.5 s).
    pub fn min_pause(mut self, seconds: f64) -> Self {
        self.min_pause = seconds.max(0.05);
        self
    }

    /// Pieces shorter than this join their neighbour (default 2 s).
    pub fn min_unit(mut self, seconds: f64) -> Self {
        self.min_unit = seconds.max(0.1);
        self
    }

    /// Cosine distance at which clustering stops merging (default: the
    /// method's own, tuned on the sample meetings).
    pub fn threshold(mut self, distance: f32) -> Self {
        self.threshold = Some(distance);
        self
    }

    /// Loads the CAM++ model when one is chosen or installed.
    pub fn build(self) -> Result<Diarizer, SpeakersError> {
        let path = match &self.model {
            ModelChoice::File(path) => Some(path.clone()),
            ModelChoice::Classical => None,
        };
        let device = match self.gpu {
            None => candle_core::Device::Cpu,
            Some(gpu) => {
                candle_core::Device::new_cuda(gpu as usize).map_err(|e| SpeakersError::Gpu {
                    gpu,
                    reason: e.to_string(),
                })?
            }
        };
        let campplus = match path {
            Some(path) => Some(Arc::new(campp::Campplus::load(&path, &device)?)),
            None => None,
        };
        Ok(Diarizer {
            settings: self,
            campplus,
        })
    }
}

/// Finds speakers and their roles in a transcribed recording.
#[derive(Clone)]
pub struct Diarizer {
    settings: DiarizerBuilder,
    campplus: Option<Arc<campp::Campplus>>,
}

impl std::fmt::Debug for Diarizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Diarizer")
            .field("settings", &self.settings)
            .field("method", &self.method())
            .finish()
    }
}

/// Default clustering threshold of the classical embedding.
const CLASSICAL_THRESHOLD: f32 = 1.2;
/// Default clustering threshold (cosine distance) of CAM++.
const CAMPPLUS_THRESHOLD: f32 = 0.4;

/// Units at least this long form the clusters; shorter ones join the nearest.
const RELIABLE_SECONDS: f64 = 3.0;
/// A pause shorter than this (seconds) between two units is no pause: one
/// speaker going on.
const CONTINUOUS_GAP: f64 = 0.3;
/// A turn never spans a longer pause: after it, the same speaker starts a
/// new turn, so a turn's times are its speech and playing it plays speech.
const MAX_TURN_PAUSE: f64 = 2.0;

impl Diarizer {
    pub fn builder() -> DiarizerBuilder {
        DiarizerBuilder {
            min_pause: 0.5,
            min_unit: 2.0,
            threshold: None,
            pitch_weight: 10.0,
            model: ModelChoice::Classical,
            gpu: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    pub fn method(&self) -> EmbeddingMethod {
        if self.campplus.is_some() {
            EmbeddingMethod::Campplus
        } else {
            EmbeddingMethod::Classical
        }
    }

    /// Speaker turns with roles for `segments` of `audio`, using the
    /// attendees and agenda of `meeting`.
    pub fn diarize(
        &self,
        audio: &Audio,
        segments: &[Segment],
        meeting: &Meeting,
        mut on_progress: impl FnMut(Progress),
    ) -> Result<Diarization, SpeakersError> {
        for (index, s) in segments.iter().enumerate() {
            if s.end.partial_cmp(&s.start).is_none_or(|o| o.is_lt()) {
                return Err(SpeakersError::BadSegment {
                    index,
                    start: s.start,
                    end: s.end,
                });
            }
        }
        let frames = match self.campplus {
            Some(_) => features::Frames::energy_only(&audio.samples),
            None => features::Frames::analyse(&audio.samples, |done, total| {
                on_progress(Progress {
                    stage: Stage::Features,
                    done,
                    total,
                })
            }),
        };
        let units = units::cut(
            segments,
            &frames,
            self.settings.min_pause,
            self.settings.min_unit,
        );
        let mut embeddings = match &self.campplus {
            Some(model) => embed_units(model, audio, &units, self.settings.threads, |done| {
                on_progress(Progress {
                    stage: Stage::Embeddings,
                    done,
                    total: units.len(),
                })
            })?,
            None => units
                .iter()
                .map(|unit| units::classical_embedding(&frames, unit))
                .collect(),
        };
        on_progress(Progress {
            stage: Stage::Roles,
            done: 0,
            total: 1,
        });
        let weights: Vec<f64> = units.iter().map(|u| u.duration()).collect();
        let (metric, default_threshold) = match self.method() {
            EmbeddingMethod::Campplus => {
                cluster::normalise(&mut embeddings, &weights, false, &[]);
                (cluster::Metric::Cosine, CAMPPLUS_THRESHOLD)
            }
            EmbeddingMethod::Classical => {
                cluster::normalise(
                    &mut embeddings,
                    &weights,
                    true,
                    &units::classical_gains(self.settings.pitch_weight),
                );
                (cluster::Metric::Euclidean, CLASSICAL_THRESHOLD)
            }
        };
        let max_clusters = if meeting.attendees.is_empty() {
            usize::MAX
        } else {
            meeting.attendees.len()
        };
        let threshold = self.settings.threshold.unwrap_or(default_threshold);
        let labels = cluster::agglomerate_reliable(
            &embeddings,
            &weights,
            metric,
            threshold,
            max_clusters,
            RELIABLE_SECONDS,
        );
        let labels = follow_reliable_neighbours(&units, labels);
        let labels = follow_fragments(segments, &units, labels);
        let diarization = assemble(segments, &units, &labels, meeting, self.method());
        on_progress(Progress {
            stage: Stage::Roles,
            done: 1,
            total: 1,
        });
        Ok(diarization)
    }
}

/// CAM++ embeddings of `units`, on `threads` threads (the caller's one of
/// them), each taking the next unit not yet taken; `on_progress(done)` is
/// called on the caller's thread.
fn embed_units(
    model: &campp::Campplus,
    audio: &Audio,
    units: &[units::Unit],
    threads: usize,
    mut on_progress: impl FnMut(usize),
) -> Result<Vec<Vec<f32>>, SpeakersError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let work = |report: &mut dyn FnMut(usize)| {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(unit) = units.get(i) else {
                return out;
            };
            out.push((i, model.embed(&unit_samples(audio, unit))));
            report(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
    };
    let mut results = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.max(1))
            .map(|_| scope.spawn(|| work(&mut |_| {})))
            .collect();
        let mut results = work(&mut on_progress);
        for helper in helpers {
            match helper.join() {
                Ok(theirs) => results.extend(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    });
    results.sort_by_key(|(i, _)| *i);
    results
        .into_iter()
        .map(|(_, embedding)| Ok(embedding?))
        .collect()
}

/// The samples of `unit` as f32, clamped to the recording.
fn unit_samples(audio: &Audio, unit: &units::Unit) -> Vec<f32> {
    let start = audio.index_at(unit.start);
    let end = audio.index_at(unit.end).max(start);
    audio.mono_f32(start..end)
}

/// A short unit's statistics are too noisy to split a segment on: it takes
/// the label of the nearest reliable unit of its own segment, if any. A
/// short unit alone in its segment (a sentence like 「はい。」 or 「そのため、」)
/// takes the label of a reliable unit it runs into with no pause between
/// them (under [`CONTINUOUS_GAP`]): speakers rarely change without one.
fn follow_reliable_neighbours(units: &[units::Unit], mut labels: Vec<usize>) -> Vec<usize> {
    let original = labels.clone();
    let reliable = |u: &units::Unit| u.duration() >= RELIABLE_SECONDS;
    for (i, unit) in units.iter().enumerate() {
        if reliable(unit) {
            continue;
        }
        let nearest = units
            .iter()
            .enumerate()
            .filter(|(j, u)| u.segment == unit.segment && *j != i && reliable(u))
            .min_by_key(|(j, _)| j.abs_diff(i))
            .map(|(j, _)| original[j]);
        let touching = || {
            let before = i.checked_sub(1).map(|j| (j, unit.start - units[j].end));
            let after = units.get(i + 1).map(|u| (i + 1, u.start - unit.end));
            [before, after]
                .into_iter()
                .flatten()
                .filter(|&(j, gap)| reliable(&units[j]) && gap < CONTINUOUS_GAP)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(j, _)| original[j])
        };
        if let Some(label) = nearest.or_else(touching) {
            labels[i] = label;
        }
    }
    labels
}

/// A piece of one segment spoken by one cluster.
struct Piece {
    segment: usize,
    start: f64,
    end: f64,
    cluster: usize,
    text: String,
}

/// Pieces → turns → roles.
fn assemble(
    segments: &[Segment],
    units: &[units::Unit],
    labels: &[usize],
    meeting: &Meeting,
    method: EmbeddingMethod,
) -> Diarization {
    // Join units of one segment and cluster; split segments between clusters.
    let mut pieces: Vec<Piece> = Vec::new();
    let mut k = 0;
    while k < units.len() {
        let segment = units[k].segment;
        let mut runs: Vec<(f64, f64, usize)> = Vec::new();
        while k < units.len() && units[k].segment == segment {
            match runs.last_mut() {
                Some(run) if run.2 == labels[k] => run.1 = units[k].end,
                _ => runs.push((units[k].start, units[k].end, labels[k])),
            }
            k += 1;
        }
        let s = &segments[segment];
        let cuts: Vec<f64> = runs
            .iter()
            .skip(1)
            .map(|r| (r.0 - s.start) / (s.end - s.start).max(1e-6))
            .collect();
        for ((start, end, cluster), text) in runs.into_iter().zip(split_text(&s.text, &cuts)) {
            pieces.push(Piece {
                segment,
                start,
                end,
                cluster,
                text,
            });
        }
    }
    // Consecutive pieces of one cluster are one turn.
    let mut drafts: Vec<Piece> = Vec::new();
    let mut turn_segments: Vec<Vec<usize>> = Vec::new();
    for p in pieces {
        match (drafts.last_mut(), turn_segments.last_mut()) {
            (Some(last), Some(segs))
                if last.cluster == p.cluster && p.start - last.end <= MAX_TURN_PAUSE =>
            {
                last.end = p.end;
                join_sentence(&mut last.text, &p.text);
                if segs.last() != Some(&p.segment) {
                    segs.push(p.segment);
                }
            }
            _ => {
                turn_segments.push(vec![p.segment]);
                drafts.push(p);
            }
        }
    }
    // Clusters numbered by first speech, then roles (which may split turns
    // off into clusters of their own), then speakers numbered again.
    let mut order: Vec<usize> = Vec::new();
    for d in &drafts {
        if !order.contains(&d.cluster) {
            order.push(d.cluster);
        }
    }
    let id_of = |cluster: usize| order.iter().position(|&c| c == cluster).unwrap_or(0);
    let spoken: Vec<roles::Spoken> = drafts
        .iter()
        .map(|d| roles::Spoken {
            cluster: id_of(d.cluster),
            start: d.start,
            end: d.end,
            text: &d.text,
        })
        .collect();
    let roles = roles::assign(&spoken, order.len(), meeting);
    let mut numbered: Vec<usize> = Vec::new();
    for &c in &roles.turn_cluster {
        if !numbered.contains(&c) {
            numbered.push(c);
        }
    }
    let speakers: Vec<Speaker> = numbered
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let a = &roles.clusters[c];
            Speaker {
                id: SpeakerId(k as u32 + 1),
                role: a.role.clone(),
                title: a.title.clone(),
                confidence: a.confidence,
                confirmed: false,
                evidence: a.evidence.clone(),
            }
        })
        .collect();
    let turns = drafts
        .into_iter()
        .zip(turn_segments)
        .zip(&roles.turn_cluster)
        .map(|((d, segments), c)| {
            let speaker = &speakers[numbered.iter().position(|n| n == c).unwrap_or(0)];
            Turn {
                start: d.start,
                end: d.end,
                speaker: speaker.id,
                role: speaker.role.clone(),
                role_confidence: speaker.confidence,
                text: d.text,
                segments,
            }
        })
        .collect();
    Diarization {
        version: Diarization::VERSION,
        method,
        speakers,
        turns,
    }
}

/// A segment with fewer content characters than this (「。」「します」) is a
/// fragment Whisper cut off its sentence: too short to be told by voice.
const FRAGMENT_CHARS: usize = 3;
/// A fragment this close to its sentence belongs to it.
const FRAGMENT_GAP: f64 = 0.8;

/// A fragment segment's units take the label of the sentence it belongs
/// to: the one before it when that one has no sentence mark at its end (「…を
/// 終了」+「します」), else the nearer neighbour, within [`FRAGMENT_GAP`].
fn follow_fragments(
    segments: &[Segment],
    units: &[units::Unit],
    mut labels: Vec<usize>,
) -> Vec<usize> {
    let content = |i: usize| {
        segments[units[i].segment]
            .text
            .chars()
            .filter(|c| !c.is_whitespace() && !crate::ja::is_sentence_mark(*c) && *c != '、')
            .count()
    };
    for i in 0..units.len() {
        if content(i) >= FRAGMENT_CHARS {
            continue;
        }
        let before = i
            .checked_sub(1)
            .filter(|&j| units[j].segment != units[i].segment)
            .map(|j| (j, units[i].start - units[j].end))
            .filter(|&(_, gap)| gap < FRAGMENT_GAP);
        let after = units
            .get(i + 1)
            .map(|u| (i + 1, u.start - units[i].end))
            .filter(|&(_, gap)| gap < FRAGMENT_GAP);
        let open_before = before.is_some_and(|(j, _)| {
            !segments[units[j].segment]
                .text
                .trim_end()
                .ends_with(crate::ja::is_sentence_mark)
        });
        let pick = match (before, after) {
            (Some((j, _)), _) if open_before => Some(j),
            (Some((j, g)), Some((k, h))) => Some(if g <= h { j } else { k }),
            (b, a) => b.or(a).map(|(j, _)| j),
        };
        if let Some(j) = pick {
            labels[i] = labels[j];
        }
    }
    labels
}

/// Appends `next` to a turn's text; where the text so far has no sentence
/// mark at its end (Whisper left it out), a space keeps the boundary, as
/// Whisper itself writes it ([`crate::ja::sentences`] splits there).
fn join_sentence(text: &mut String, next: &str) {
    let open = text
        .chars()
        .last()
        .is_some_and(|c| !crate::ja::is_sentence_mark(c) && c != '、' && !c.is_whitespace());
    if open && !next.starts_with(char::is_whitespace) {
        text.push(' ');
    }
    text.push_str(next);
}

/// Cuts `text` into `cuts.len() + 1` pieces at the given fractions of its
/// length, each cut moved to the nearest punctuation mark (「。、？！」) when
/// there is one nearby.
fn split_text(text: &str, cuts: &[f64]) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut positions: Vec<usize> = Vec::new();
    for &f in cuts {
        let target = (f.clamp(0.0, 1.0) * n as f64).round() as usize;
        let after_punct = (1..n)
            .filter(|&i| "。、？！?!".contains(chars[i - 1]))
            .min_by_key(|&i| i.abs_diff(target))
            .filter(|&i| i.abs_diff(target) <= n / 4 + 2);
        let at = after_punct.unwrap_or(target);
        let floor = positions.last().copied().unwrap_or(0);
        positions.push(at.clamp(floor, n));
    }
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for p in positions.into_iter().chain(std::iter::once(n)) {
        out.push(chars[from..p].iter().collect());
        from = p;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_at_the_nearest_sentence_end() {
        let parts = split_text("説明は以上です。ありがとうございます。", &[0.4]);
        assert_eq!(parts, vec!["説明は以上です。", "ありがとうございます。"]);
        assert_eq!(split_text("あいう", &[]), vec!["あいう"]);
    }
}
