//! Archives: many recordings, resumable, sharded over the machines of a
//! cluster (a Slurm job array, a Kubernetes Indexed Job) or run here.
//!
//! ```text
//! batch plan  INPUT… ──Manifest::plan──▶ manifest.jsonl (one line a recording: id = SHA-256,
//!                                          path, size, duration, format, meeting, output, error)
//! batch run   manifest ──run(shard, jobs)──▶ OUTPUT/<stem>-<id12>/{transcript.*, turns.json,
//!                                          draft.json, minutes.*, done.json | error.json}
//! batch status manifest ──status──▶ done / failed / running / interrupted / pending
//! ```
//!
//! Invariants: a recording's `done.json` is written after all its outputs
//! and names every input they came from ([`state::Inputs`]), so a rerun skips
//! exactly what is done with the same inputs; a run holds the recording's
//! lock (an OS file lock, released however the run ends) while it works on
//! it, so overlapping runs and retried cluster tasks never process one
//! recording twice at once; `attempt.json` marks work begun, so a run that
//! died is noticed, and a recording that killed its run twice is failed
//! rather than tried forever. The library reads no environment: the binary
//! turns `SLURM_ARRAY_TASK_*` or `JOB_COMPLETION_INDEX` into a [`Shard`].

mod manifest;
mod run;
pub mod state;

use std::path::PathBuf;

pub use manifest::{meeting_for, Entry, Manifest, PlanProgress, Shard};
pub use run::{run, Event, Finish, RunOptions, Summary};
pub use state::State;

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}, line {line}: not a manifest line ({reason}); make the manifest with `kaigiroku batch plan`", path.display())]
    BadManifest {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("shard {given:?}: give it as I/N with 0 ≤ I < N, e.g. 0/3")]
    BadShard { given: String },
}

/// Each line of `manifest` with what its folder says of it.
pub fn status(manifest: &Manifest) -> Vec<(&Entry, State)> {
    manifest
        .entries
        .iter()
        .map(|entry| {
            let state = match (&entry.same_as, &entry.error) {
                (Some(_), _) => State::Duplicate,
                _ => match state::state_of(&entry.output, &entry.id) {
                    State::Pending if entry.error.is_some() => State::Unreadable {
                        reason: entry.error.clone().unwrap_or_default(),
                    },
                    other => other,
                },
            };
            (entry, state)
        })
        .collect()
}

/// Lets the failed recordings of `manifest` be tried again: each
/// `error.json` is kept aside as `error.<time>.json`. Returns how many.
pub fn retry_failed(manifest: &Manifest) -> Result<usize, BatchError> {
    let mut count = 0;
    let stamp = state::now().replace(':', "");
    for (entry, state) in status(manifest) {
        if let State::Failed { .. } = state {
            let from = entry.output.join(state::ERROR);
            let to = entry.output.join(format!("error.{stamp}.json"));
            std::fs::rename(&from, &to).map_err(|source| BatchError::Io { path: from, source })?;
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests;
