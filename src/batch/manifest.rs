//! The manifest: one JSON line per recording of an archive, written by
//! `batch plan` and read by `batch run` and `batch status` (on any node of a
//! cluster: paths under the manifest's folder are kept relative to it).

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::BatchError;
use crate::audio;
use crate::meeting::Meeting;
use crate::model::file_sha256;

/// File names taken for recordings when a folder is searched (a file named
/// on the command line is taken whatever its name).
const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "mp3", "m4a", "mp4", "aac", "flac", "ogg", "oga", "opus", "aif", "aiff", "caf", "mka",
    "webm",
];

/// One recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// SHA-256 of the file's content: the recording's identity.
    pub id: String,
    pub path: PathBuf,
    pub size: u64,
    /// Seconds, as the file's header declares (`None`: it does not say).
    pub duration: Option<f64>,
    pub format: Option<String>,
    /// `NAME.toml` beside `NAME.wav`, else a `meeting.toml` in its folder or
    /// a folder above it (up to the folder given to `plan`).
    pub meeting: Option<PathBuf>,
    /// The recording's own output folder.
    pub output: PathBuf,
    /// Why the recording cannot be processed as it is, found when planning.
    pub error: Option<String>,
    /// An earlier line with the same content: processed once, there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<PathBuf>,
}

/// Which lines a run takes: those whose index `k` (from 0) has
/// `k % count == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Every line.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn new(index: u32, count: u32) -> Result<Shard, BatchError> {
        if count == 0 || index >= count {
            return Err(BatchError::BadShard {
                given: format!("{index}/{count}"),
            });
        }
        Ok(Shard { index, count })
    }

    /// Whether line `k` is this shard's.
    pub fn takes(&self, k: usize) -> bool {
        k % self.count as usize == self.index as usize
    }
}

impl std::str::FromStr for Shard {
    type Err = BatchError;

    /// `I/N`, e.g. `0/3`.
    fn from_str(s: &str) -> Result<Shard, BatchError> {
        let bad = || BatchError::BadShard { given: s.into() };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        Shard::new(
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        )
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A planned batch: its file and its lines, paths made absolute.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

/// Where planning is.
#[derive(Debug, Clone)]
pub enum PlanProgress<'a> {
    /// Recordings found, before any is read.
    Found { files: usize },
    /// `done` of the found files read (hashed and probed); `path` is next.
    Reading { done: usize, path: &'a Path },
}

impl Manifest {
    /// Finds the recordings under `inputs` (folders, searched recursively
    /// without following links, or files), hashes and probes each, and
    /// gives each an output folder under `out_root` (`STEM-ID12`). Files
    /// that cannot be read are kept with their `error`. Longest first.
    pub fn plan(
        inputs: &[PathBuf],
        manifest: &Path,
        out_root: &Path,
        mut on_progress: impl FnMut(PlanProgress),
    ) -> Result<Manifest, BatchError> {
        let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
        for input in inputs {
            let meta = std::fs::metadata(input).map_err(|source| BatchError::Io {
                path: input.clone(),
                source,
            })?;
            match meta.is_dir() {
                true => search(input, input, out_root, &mut found)?,
                false => found.push((input.clone(), parent(input).to_path_buf())),
            }
        }
        found.sort();
        found.dedup_by(|a, b| a.0 == b.0);
        on_progress(PlanProgress::Found { files: found.len() });
        let mut entries = Vec::with_capacity(found.len());
        for (done, (path, root)) in found.iter().enumerate() {
            on_progress(PlanProgress::Reading { done, path });
            entries.push(read_entry(path, root, out_root));
        }
        let mut first: HashMap<String, PathBuf> = HashMap::new();
        for entry in &mut entries {
            if entry.id.is_empty() {
                continue;
            }
            match first.get(&entry.id) {
                Some(path) => entry.same_as = Some(path.clone()),
                None => {
                    first.insert(entry.id.clone(), entry.path.clone());
                }
            }
        }
        // Longest first (a cluster's last task is then a short one); the
        // unreadable at the end.
        entries.sort_by(|a, b| {
            (a.error.is_some(), b.duration.unwrap_or(0.0), &a.path)
                .partial_cmp(&(b.error.is_some(), a.duration.unwrap_or(0.0), &b.path))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(Manifest {
            path: manifest.to_path_buf(),
            entries,
        })
    }

    /// Writes the manifest atomically, paths under its folder relative to it.
    pub fn write(&self) -> Result<(), BatchError> {
        let base = absolute(parent(&self.path));
        crate::atomic::write_file(&self.path, |w| {
            for entry in &self.entries {
                let mut line = entry.clone();
                line.path = relative(&base, &line.path);
                line.output = relative(&base, &line.output);
                line.meeting = line.meeting.map(|m| relative(&base, &m));
                line.same_as = line.same_as.map(|m| relative(&base, &m));
                serde_json::to_writer(&mut *w, &line)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        })
        .map_err(|source| BatchError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Reads a manifest; a line that does not parse is an error naming it.
    pub fn load(path: &Path) -> Result<Manifest, BatchError> {
        let io = |source| BatchError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let base = absolute(parent(path));
        let mut entries = Vec::new();
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(io)?;
            if line.trim().is_empty() {
                continue;
            }
            let mut entry: Entry =
                serde_json::from_str(&line).map_err(|e| BatchError::BadManifest {
                    path: path.to_path_buf(),
                    line: n + 1,
                    reason: e.to_string(),
                })?;
            entry.path = base.join(&entry.path);
            entry.output = base.join(&entry.output);
            entry.meeting = entry.meeting.map(|m| base.join(m));
            entry.same_as = entry.same_as.map(|m| base.join(m));
            entries.push(entry);
        }
        Ok(Manifest {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The lines `shard` takes, with their index in the manifest.
    pub fn shard(&self, shard: Shard) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(move |(k, _)| shard.takes(*k))
    }
}

/// Audio files under `dir` (by name), each with the folder it was found
/// from; hidden entries, links and `skip` (the output root) are left out.
fn search(
    dir: &Path,
    root: &Path,
    skip: &Path,
    found: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), BatchError> {
    let io = |source| BatchError::Io {
        path: dir.to_path_buf(),
        source,
    };
    if absolute(dir) == absolute(skip) {
        return Ok(());
    }
    for item in std::fs::read_dir(dir).map_err(io)? {
        let item = item.map_err(io)?;
        let path = item.path();
        let name = item.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = item.file_type().map_err(io)?;
        if kind.is_dir() {
            search(&path, root, skip, found)?;
        } else if kind.is_file() && is_audio_name(&path) {
            found.push((path, root.to_path_buf()));
        }
    }
    Ok(())
}

fn is_audio_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Hashes and probes one file; what goes wrong is kept in `error`.
fn read_entry(path: &Path, root: &Path, out_root: &Path) -> Entry {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut entry = Entry {
        id: String::new(),
        path: absolute(path),
        size: std::fs::metadata(path).map_or(0, |m| m.len()),
        duration: None,
        format: None,
        meeting: None,
        output: absolute(&out_root.join(&stem)),
        error: None,
        same_as: None,
    };
    match file_sha256(path) {
        Ok(id) => {
            entry.output = absolute(&out_root.join(format!("{stem}-{}", &id[..12])));
            entry.id = id;
        }
        Err(e) => {
            entry.error = Some(format!("{}: {e}", path.display()));
            return entry;
        }
    }
    match audio::probe(path) {
        Ok(probe) => {
            entry.duration = probe.duration;
            entry.format = Some(probe.format);
        }
        Err(e) => entry.error = Some(e.to_string()),
    }
    entry.meeting = meeting_for(path, root);
    if let (None, Some(meeting)) = (&entry.error, &entry.meeting) {
        if let Err(e) = Meeting::load(meeting) {
            entry.error = Some(format!("its meeting file: {e}"));
        }
    }
    entry.meeting = entry.meeting.map(|m| absolute(&m));
    entry
}

/// The meeting file that applies to `path`: see [`Entry::meeting`].
pub fn meeting_for(path: &Path, root: &Path) -> Option<PathBuf> {
    let beside = path.with_extension("toml");
    if beside.is_file() {
        return Some(beside);
    }
    let root = absolute(root);
    let mut dir = absolute(parent(path));
    loop {
        let file = dir.join("meeting.toml");
        if file.is_file() {
            return Some(file);
        }
        if dir == root || !dir.pop() || !dir.starts_with(&root) {
            return None;
        }
    }
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `path` made absolute without touching the disk (no link resolution:
/// a cluster's shared folder has the same name on every node).
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut clean = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// `path` relative to `base` when it lies under it, else as it is.
fn relative(base: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}
