//! The crash-safe WAV writer: 16-bit PCM written as `NAME.partial.wav`,
//! its RIFF and data sizes rewritten with the current length and made
//! durable at every [`WavWriter::sync`]; finalized and renamed to `NAME.wav`
//! at [`WavWriter::finish`]; rolled over to `NAME-partN.wav` before the WAV
//! size limit. [`recover`] repairs a `*.partial.wav` left by a crash from
//! its actual length.
//!
//! A sync writes the data, syncs it, then writes the sizes and syncs again,
//! so the header never claims more than the durable data: a file killed at
//! any moment is a valid WAV up to its last sync, and more (up to its last
//! whole frame) once recovered. No header ever carries an unknown length.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::RecordError;

/// The canonical header this writer writes: RIFF, fmt (16 bytes), data.
pub const HEADER: u64 = 44;
/// The most data bytes one file holds by default: the sizes are u32 and the
/// RIFF size counts the header too; kept a little under 4 GiB.
pub const DEFAULT_LIMIT: u64 = 4_000_000_000;
/// The suffix of a file still being written.
pub const PARTIAL: &str = ".partial.wav";

/// What is written: 16-bit PCM, `channels` interleaved, at `sample_rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavSpec {
    pub channels: u16,
    pub sample_rate: u32,
}

impl WavSpec {
    /// Bytes a frame (one sample of every channel).
    pub fn frame_bytes(&self) -> u64 {
        2 * u64::from(self.channels)
    }

    /// Bytes a second.
    pub fn bytes_per_second(&self) -> u64 {
        self.frame_bytes() * u64::from(self.sample_rate)
    }

    fn header(&self, data_bytes: u64) -> [u8; HEADER as usize] {
        let mut h = [0u8; HEADER as usize];
        let data = u32::try_from(data_bytes).unwrap_or(u32::MAX - 36);
        h[0..4].copy_from_slice(b"RIFF");
        h[4..8].copy_from_slice(&(data + 36).to_le_bytes());
        h[8..12].copy_from_slice(b"WAVE");
        h[12..16].copy_from_slice(b"fmt ");
        h[16..20].copy_from_slice(&16u32.to_le_bytes());
        h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
        h[22..24].copy_from_slice(&self.channels.to_le_bytes());
        h[24..28].copy_from_slice(&self.sample_rate.to_le_bytes());
        h[28..32].copy_from_slice(&(self.bytes_per_second() as u32).to_le_bytes());
        h[32..34].copy_from_slice(&(self.frame_bytes() as u16).to_le_bytes());
        h[34..36].copy_from_slice(&16u16.to_le_bytes());
        h[36..40].copy_from_slice(b"data");
        h[40..44].copy_from_slice(&data.to_le_bytes());
        h
    }
}

/// One file being written.
struct Part {
    file: BufWriter<File>,
    partial: PathBuf,
    done: PathBuf,
    data_bytes: u64,
}

/// Writes a recording as one or more crash-safe WAV files.
pub struct WavWriter {
    dir: PathBuf,
    stem: String,
    spec: WavSpec,
    /// Most data bytes a file, a whole number of frames.
    limit: u64,
    part: u32,
    current: Part,
    finished: Vec<PathBuf>,
    /// Samples of a frame not yet complete.
    pending: Vec<i16>,
    frames: u64,
    synced_frames: u64,
}

impl WavWriter {
    /// Starts `DIR/STEM.partial.wav` (created with its header, synced).
    /// `limit` is the most data bytes a file holds before the recording
    /// rolls over to `STEM-part2.partial.wav` ([`DEFAULT_LIMIT`]).
    pub fn create(dir: &Path, stem: &str, spec: WavSpec, limit: u64) -> Result<Self, RecordError> {
        if spec.channels == 0 || spec.sample_rate == 0 {
            return Err(RecordError::Format {
                reason: format!(
                    "{} channels at {} Hz cannot be written",
                    spec.channels, spec.sample_rate
                ),
            });
        }
        let limit = (limit.min(DEFAULT_LIMIT) / spec.frame_bytes()).max(1) * spec.frame_bytes();
        let current = open_part(dir, stem, 1, spec)?;
        Ok(WavWriter {
            dir: dir.to_path_buf(),
            stem: stem.to_string(),
            spec,
            limit,
            part: 1,
            current,
            finished: Vec::new(),
            pending: Vec::new(),
            frames: 0,
            synced_frames: 0,
        })
    }

    pub fn spec(&self) -> WavSpec {
        self.spec
    }

    /// Frames written (not all of them synced yet).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames made durable by the last [`WavWriter::sync`].
    pub fn synced_frames(&self) -> u64 {
        self.synced_frames
    }

    /// Frames written to the files before the current one.
    pub fn frames_before_current(&self) -> u64 {
        self.frames - self.current.data_bytes / self.spec.frame_bytes()
    }

    /// The file being written now.
    pub fn current_path(&self) -> &Path {
        &self.current.partial
    }

    /// Appends interleaved samples (any count: a frame cut between two calls
    /// is completed by the next one).
    pub fn write(&mut self, samples: &[i16]) -> Result<(), RecordError> {
        let channels = usize::from(self.spec.channels);
        let mut rest = samples;
        if !self.pending.is_empty() {
            let need = (channels - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..need]);
            rest = &rest[need..];
            if self.pending.len() < channels {
                return Ok(());
            }
            let frame = std::mem::take(&mut self.pending);
            self.write_frames(&frame)?;
        }
        let whole = rest.len() / channels * channels;
        self.write_frames(&rest[..whole])?;
        self.pending.extend_from_slice(&rest[whole..]);
        Ok(())
    }

    fn write_frames(&mut self, mut samples: &[i16]) -> Result<(), RecordError> {
        let frame_bytes = self.spec.frame_bytes();
        while !samples.is_empty() {
            if self.current.data_bytes >= self.limit {
                self.roll_over()?;
            }
            let room = ((self.limit - self.current.data_bytes) / 2) as usize;
            let n = samples.len().min(room);
            let mut bytes = Vec::with_capacity(2 * n);
            for s in &samples[..n] {
                bytes.extend_from_slice(&s.to_le_bytes());
            }
            let part = &mut self.current;
            part.file
                .write_all(&bytes)
                .map_err(|e| RecordError::write(&part.partial, e))?;
            part.data_bytes += bytes.len() as u64;
            self.frames += bytes.len() as u64 / frame_bytes;
            samples = &samples[n..];
        }
        Ok(())
    }

    fn roll_over(&mut self) -> Result<(), RecordError> {
        self.part += 1;
        let next = open_part(&self.dir, &self.stem, self.part, self.spec)?;
        let full = std::mem::replace(&mut self.current, next);
        let done = close_part(full, self.spec)?;
        self.finished.push(done);
        Ok(())
    }

    /// Makes everything written so far durable: data synced, then the
    /// header's sizes set to it and synced.
    pub fn sync(&mut self) -> Result<(), RecordError> {
        sync_part(&mut self.current, self.spec)?;
        self.synced_frames = self.frames;
        Ok(())
    }

    /// Gives up after an error: the current file is closed as it is (for
    /// [`recover`]); returns the parts already finished and the current one.
    pub fn abandon(self) -> (Vec<PathBuf>, PathBuf) {
        let path = self.current.partial.clone();
        // A failed flush here changes nothing: recover goes by the length.
        drop(self.current.file.into_parts());
        (self.finished, path)
    }

    /// Finalizes the current file (exact sizes, synced) and renames it and
    /// every other part to `*.wav`; returns the files, in order. A frame
    /// left incomplete is dropped.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, RecordError> {
        let done = close_part(self.current, self.spec)?;
        self.finished.push(done);
        Ok(self.finished)
    }
}

fn part_stem(stem: &str, part: u32) -> String {
    match part {
        1 => stem.to_string(),
        n => format!("{stem}-part{n}"),
    }
}

fn open_part(dir: &Path, stem: &str, part: u32, spec: WavSpec) -> Result<Part, RecordError> {
    let name = part_stem(stem, part);
    let partial = dir.join(format!("{name}{PARTIAL}"));
    let done = dir.join(format!("{name}.wav"));
    if done.exists() {
        return Err(RecordError::Exists { path: done });
    }
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| RecordError::write(&partial, e))?;
    // Held while the file is written: `recover` (another `record` starting
    // in the same directory) leaves a locked file alone.
    file.try_lock()
        .map_err(|e| RecordError::write(&partial, std::io::Error::other(e.to_string())))?;
    let mut file = BufWriter::with_capacity(1 << 18, file);
    file.write_all(&spec.header(0))
        .and_then(|()| file.flush())
        .and_then(|()| file.get_ref().sync_all())
        .map_err(|e| RecordError::write(&partial, e))?;
    sync_dir(dir).map_err(|e| RecordError::write(dir, e))?;
    Ok(Part {
        file,
        partial,
        done,
        data_bytes: 0,
    })
}

fn sync_part(part: &mut Part, spec: WavSpec) -> Result<(), RecordError> {
    let at = |e| RecordError::write(&part.partial, e);
    part.file.flush().map_err(at)?;
    let file = part.file.get_mut();
    file.sync_data().map_err(at)?;
    write_header(file, spec, part.data_bytes).map_err(at)?;
    file.sync_data().map_err(at)?;
    Ok(())
}

fn write_header(file: &mut File, spec: WavSpec, data_bytes: u64) -> std::io::Result<()> {
    let end = file.stream_position()?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&spec.header(data_bytes))?;
    file.seek(SeekFrom::Start(end))?;
    Ok(())
}

/// Syncs, renames `.partial.wav` to `.wav` and syncs the directory.
fn close_part(mut part: Part, spec: WavSpec) -> Result<PathBuf, RecordError> {
    sync_part(&mut part, spec)?;
    drop(part.file);
    rename_done(&part.partial, &part.done)?;
    Ok(part.done)
}

fn rename_done(partial: &Path, done: &Path) -> Result<(), RecordError> {
    std::fs::rename(partial, done).map_err(|e| RecordError::write(partial, e))?;
    let dir = done.parent().filter(|d| !d.as_os_str().is_empty());
    sync_dir(dir.unwrap_or(Path::new("."))).map_err(|e| RecordError::write(done, e))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// What [`recover`] made of a left-over file.
#[derive(Debug, Clone, PartialEq)]
pub enum Recovered {
    /// Repaired and renamed: `path` holds `seconds` of audio; `cut` bytes of
    /// a torn last frame were dropped.
    Repaired {
        path: PathBuf,
        seconds: f64,
        cut: u64,
    },
    /// Nothing past the header had been written: the file was removed.
    Empty { path: PathBuf },
    /// Another recorder is writing it now: left alone.
    InUse { path: PathBuf },
}

/// Repairs `path` (a `*.partial.wav` this writer left): the sizes are set
/// from the file's actual length, a torn last frame is cut, the file is
/// synced and renamed to `*.wav`.
pub fn recover(path: &Path) -> Result<Recovered, RecordError> {
    let at = |e| RecordError::write(path, e);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(at)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Ok(Recovered::InUse {
                path: path.to_path_buf(),
            })
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(at(e)),
    }
    let len = file.metadata().map_err(at)?.len();
    let done = done_name(path);
    let mut head = [0u8; HEADER as usize];
    let read = crate::audio::read_up_to(&mut file, &mut head).map_err(at)?;
    if len <= HEADER {
        if read >= 4 && &head[..4] != b"RIFF" {
            return Err(not_ours(path, "it does not start with RIFF"));
        }
        drop(file);
        std::fs::remove_file(path).map_err(at)?;
        return Ok(Recovered::Empty {
            path: path.to_path_buf(),
        });
    }
    if &head[0..4] != b"RIFF"
        || &head[8..12] != b"WAVE"
        || &head[12..16] != b"fmt "
        || &head[36..40] != b"data"
    {
        return Err(not_ours(path, "its header is not this recorder's"));
    }
    let u16_at = |i: usize| u16::from_le_bytes([head[i], head[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
    let spec = WavSpec {
        channels: u16_at(22),
        sample_rate: u32_at(24),
    };
    if u16_at(20) != 1 || u16_at(34) != 16 || spec.channels == 0 || spec.sample_rate == 0 {
        return Err(not_ours(path, "it is not 16-bit PCM"));
    }
    let data = (len - HEADER).min(DEFAULT_LIMIT);
    let whole = data / spec.frame_bytes() * spec.frame_bytes();
    file.set_len(HEADER + whole).map_err(at)?;
    file.seek(SeekFrom::Start(HEADER + whole)).map_err(at)?;
    write_header(&mut file, spec, whole).map_err(at)?;
    file.sync_all().map_err(at)?;
    drop(file);
    if done.exists() {
        return Err(RecordError::Exists { path: done });
    }
    rename_done(path, &done)?;
    Ok(Recovered::Repaired {
        path: done,
        seconds: (whole / spec.frame_bytes()) as f64 / f64::from(spec.sample_rate),
        cut: len - HEADER - whole,
    })
}

/// Recovers every `*.partial.wav` in `dir`, in name order.
pub fn recover_dir(dir: &Path) -> Result<Vec<Recovered>, RecordError> {
    let mut found: Vec<PathBuf> = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RecordError::write(dir, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| RecordError::write(dir, e))?.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(PARTIAL) && !n.starts_with('.'))
        {
            found.push(path);
        }
    }
    found.sort();
    found.iter().map(|p| recover(p)).collect()
}

fn done_name(partial: &Path) -> PathBuf {
    let name = partial
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(PARTIAL))
        .map(|stem| format!("{stem}.wav"));
    match name {
        Some(name) => partial.with_file_name(name),
        None => partial.with_extension("recovered.wav"),
    }
}

fn not_ours(path: &Path, reason: &str) -> RecordError {
    RecordError::NotRecording {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}
