//! What a recording's output folder says about it: `done.json` (written
//! last, after every output), `error.json` (why it failed), `attempt.json`
//! (a run is at it, or died at it), and the `.lock` a run holds meanwhile.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::BatchError;

pub const DONE: &str = "done.json";
pub const ERROR: &str = "error.json";
pub const ATTEMPT: &str = "attempt.json";
pub const LOCK: &str = ".lock";

/// A file's name and content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub path: PathBuf,
    pub sha256: String,
}

/// Everything a recording's outputs depend on. A recording is done when its
/// `done.json` holds the inputs of the run now; otherwise it is redone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// The recording's content hash (its manifest `id`).
    pub audio: String,
    pub meeting: Option<Digest>,
    /// `CARGO_PKG_VERSION` of the kaigiroku that made the outputs.
    pub kaigiroku: String,
    pub whisper: Digest,
    pub vad: Option<Digest>,
    pub speakers: Option<Digest>,
    pub corrections: Option<Digest>,
    pub fillers: Option<Digest>,
    pub beam: u32,
    pub correct: bool,
}

/// `done.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Done {
    pub inputs: Inputs,
    /// Output files, relative to the folder.
    pub outputs: Vec<PathBuf>,
    /// Seconds of audio and seconds it took.
    pub audio_seconds: f64,
    pub took_seconds: f64,
    pub finished: String,
    pub attempt: u32,
}

/// `error.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    pub inputs: Option<Inputs>,
    pub reason: String,
    pub at: String,
    pub attempt: u32,
}

/// `attempt.json`: written before work starts, removed when it ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub attempt: u32,
    pub started: String,
    pub host: String,
    pub pid: u32,
}

/// Reads `dir/name` as `T`; `None` when missing or unreadable (a file a
/// crash left half-written is never there: all are written atomically).
pub fn read<T: for<'de> Deserialize<'de>>(dir: &Path, name: &str) -> Option<T> {
    let text = std::fs::read_to_string(dir.join(name)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes `dir/name` atomically.
pub fn write<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<(), BatchError> {
    let path = dir.join(name);
    crate::atomic::write_file(&path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        std::io::Write::write_all(w, b"\n")
    })
    .map_err(|source| BatchError::Io { path, source })
}

/// Removes `dir/name` if it is there.
pub fn remove(dir: &Path, name: &str) -> Result<(), BatchError> {
    let path = dir.join(name);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(BatchError::Io { path, source: e })
        }
        _ => Ok(()),
    }
}

/// The recording's lock, held while a run works on it (released when the
/// holder ends, however it ends: it is an OS file lock).
pub struct Lock {
    _file: File,
}

impl Lock {
    /// `None` when another run holds it.
    pub fn try_take(dir: &Path) -> Result<Option<Lock>, BatchError> {
        let path = dir.join(LOCK);
        let io = |source| BatchError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

/// Where a recording stands, as its folder says.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Done for this content (with whatever models and options it was run).
    Done {
        took_seconds: f64,
    },
    Failed {
        reason: String,
    },
    /// A run holds its lock now.
    Running {
        attempt: u32,
        host: String,
    },
    /// A run started it and died (killed, out of memory, a crash).
    Interrupted {
        attempts: u32,
    },
    Pending,
    /// The same content as another line, processed there.
    Duplicate,
    /// The manifest says it cannot be read.
    Unreadable {
        reason: String,
    },
}

/// What `dir` says of the recording `audio` (its content hash).
pub fn state_of(dir: &Path, audio: &str) -> State {
    if let Some(done) = read::<Done>(dir, DONE) {
        if done.inputs.audio == audio {
            return State::Done {
                took_seconds: done.took_seconds,
            };
        }
    }
    if let Some(failure) = read::<Failure>(dir, ERROR) {
        if failure.inputs.as_ref().is_none_or(|i| i.audio == audio) {
            return State::Failed {
                reason: failure.reason,
            };
        }
    }
    if let Some(attempt) = read::<Attempt>(dir, ATTEMPT) {
        return match Lock::try_take(dir) {
            Ok(Some(_)) => State::Interrupted {
                attempts: attempt.attempt,
            },
            _ => State::Running {
                attempt: attempt.attempt,
                host: attempt.host,
            },
        };
    }
    State::Pending
}

/// Now, as RFC 3339 (UTC).
pub fn now() -> String {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// This machine's name, for `attempt.json` (a cluster's node).
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}
