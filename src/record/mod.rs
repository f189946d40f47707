//! Recording a meeting in the room (feature `live`): an input device
//! (cpal) → a lock-free ring → a writer thread → crash-safe WAV files.
//!
//! ```text
//! device callback ──i16──▶ rtrb ring ──writer thread──▶ DIR/recording-…partial.wav ──stop──▶ …wav
//!                 (dropped samples counted)        (meter; header + fsync every second)
//! ```
//!
//! [`Recorder::start`] repairs any `*.partial.wav` a crash left in the
//! directory, opens the device at its native rate, format and channels,
//! refuses when the disk cannot hold `max_hours`, and starts writing;
//! [`Recorder::status`] is a snapshot for the caller to draw (the library
//! never prints); [`Recorder::stop`] finalizes. A device that disappears is
//! reopened for [`Options::reopen_for`]; what was recorded stays.
//!
//! Invariants: only this module touches cpal (`capture`); the file on disk
//! is a valid WAV up to its last sync (at most [`Options::sync_every`] old)
//! at every moment, and never carries an unknown length.

mod capture;
pub mod live;
pub mod meter;
mod threads;
pub mod wav;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use capture::{list_devices, DeviceInfo};
pub use wav::{recover, recover_dir, Recovered, WavSpec, WavWriter};

use threads::{supervise, write_loop};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("no audio input device: connect a microphone or choose one with --device (see `kaigiroku record --list-devices`)")]
    NoDevice,
    #[error("no input device called {name:?}: see `kaigiroku record --list-devices`")]
    UnknownDevice { name: String },
    #[error("the audio system cannot list devices: {reason}")]
    Host { reason: String },
    #[error("{device}: permission denied: {reason} (on Linux, add yourself to the `audio` group)")]
    DevicePermission { device: String, reason: String },
    #[error("{device}: the device is busy (another program is recording from it?): {reason}")]
    DeviceBusy { device: String, reason: String },
    #[error("{device}: the device is not available (unplugged?): {reason}")]
    DeviceGone { device: String, reason: String },
    #[error("{device}: {reason}")]
    Device { device: String, reason: String },
    #[error("cannot record this format: {reason}")]
    Format { reason: String },
    #[error("{}: the disk is full", path.display())]
    DiskFull { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not enough free space for {hours} h at {rate}: {free_gb:.1} GB free, {need_gb:.1} GB needed; free some space, record elsewhere (-o) or lower --max-hours", path.display())]
    DiskTooSmall {
        path: PathBuf,
        hours: f64,
        rate: String,
        free_gb: f64,
        need_gb: f64,
    },
    #[error("{} already exists; it is never overwritten", path.display())]
    Exists { path: PathBuf },
    #[error("{}: not a recording this program left: {reason}", path.display())]
    NotRecording { path: PathBuf, reason: String },
    #[error("{error}; the {} recorded up to then are kept in {}", clock(*seconds), path.display())]
    Kept {
        error: Box<RecordError>,
        seconds: f64,
        path: PathBuf,
    },
    #[error("cannot start the recorder's threads: {source}")]
    Thread { source: std::io::Error },
    #[error("the recorder's writer thread stopped unexpectedly")]
    WriterPanicked,
    #[error("live transcription: {0}")]
    LiveAudio(#[from] crate::audio::AudioError),
    #[error("live transcription: {0}")]
    Live(#[from] Box<crate::pipeline::PipelineError>),
}

impl RecordError {
    fn write(path: &Path, source: std::io::Error) -> RecordError {
        if source.kind() == std::io::ErrorKind::StorageFull {
            RecordError::DiskFull {
                path: path.to_path_buf(),
            }
        } else {
            RecordError::Write {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    fn device(device: &str, error: &cpal::Error) -> RecordError {
        let device = device.to_string();
        let reason = error.to_string();
        match error.kind() {
            cpal::ErrorKind::PermissionDenied => RecordError::DevicePermission { device, reason },
            cpal::ErrorKind::DeviceBusy => RecordError::DeviceBusy { device, reason },
            cpal::ErrorKind::DeviceNotAvailable => RecordError::DeviceGone { device, reason },
            _ => RecordError::Device { device, reason },
        }
    }
}

/// What to record.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the files go (created if missing).
    pub dir: PathBuf,
    /// The input device (`None`: the host's default).
    pub device: Option<String>,
    /// Refuse to start unless the disk holds this many hours at the device's rate.
    pub max_hours: f64,
    /// How often the file is made durable.
    pub sync_every: Duration,
    /// Most data bytes a file before rolling over ([`wav::DEFAULT_LIMIT`]).
    pub file_limit: u64,
    /// How long a device that went away is tried again before giving up.
    pub reopen_for: Duration,
    /// File name without extension (`None`: `recording-YYYYMMDD-HHMMSS`, UTC).
    pub name: Option<String>,
    /// Receives every block written, as written (interleaved 16-bit frames
    /// at the device's rate): what a live transcription reads ([`live`]).
    /// Unbounded: the writer never waits for it. Closed when the writer ends.
    pub tap: Option<mpsc::Sender<Vec<i16>>>,
}

impl Options {
    pub fn new(dir: impl Into<PathBuf>) -> Options {
        Options {
            dir: dir.into(),
            device: None,
            max_hours: 4.0,
            sync_every: Duration::from_secs(1),
            file_limit: wav::DEFAULT_LIMIT,
            reopen_for: Duration::from_secs(120),
            name: None,
            tap: None,
        }
    }
}

/// Where the capture stands.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Recording,
    /// The device went away at `at` seconds of recording; being reopened.
    Reconnecting {
        at: f64,
        reason: String,
    },
    /// Stopped by an error (the device did not come back, the disk is
    /// full …); what was recorded is on disk. Call [`Recorder::stop`].
    Failed {
        reason: String,
    },
}

/// A snapshot of the recording, for the caller to draw.
#[derive(Debug, Clone)]
pub struct Status {
    pub device: String,
    pub spec: WavSpec,
    /// The device's own sample format (the file is 16-bit PCM).
    pub device_format: String,
    pub state: State,
    /// Frames written to the file.
    pub frames: u64,
    /// Seconds recorded, from the frames written (not the clock).
    pub seconds: f64,
    /// Seconds made durable by the last sync.
    pub synced_seconds: f64,
    /// Levels of the last block, 0–1 of full scale.
    pub peak: f32,
    pub rms: f32,
    /// The highest level since the start.
    pub max_peak: f32,
    /// Samples at full scale.
    pub clipped: u64,
    /// Seconds since the signal was last above silence.
    pub silence_seconds: f64,
    /// Samples dropped because the writer fell behind (ring full).
    pub dropped: u64,
    /// Overruns the device reported (audio lost before it reached us).
    pub xruns: u64,
    /// Free space on the recording's disk, and the hours it holds at this rate.
    pub free_bytes: Option<u64>,
    pub seconds_left: Option<f64>,
    /// The file being written.
    pub file: PathBuf,
    /// Gaps while the device was away: (at seconds of recording, seconds missed).
    pub gaps: Vec<(f64, f64)>,
}

/// A finished recording.
#[derive(Debug)]
pub struct Recording {
    /// The files, in order (more than one after a rollover).
    pub files: Vec<PathBuf>,
    pub seconds: f64,
    pub dropped: u64,
    pub xruns: u64,
    pub clipped: u64,
    pub gaps: Vec<(f64, f64)>,
    /// Why the recording ended early, if it did (the files still hold
    /// everything recorded up to then).
    pub failure: Option<String>,
}

struct Shared {
    status: Mutex<Status>,
    /// Asked to stop (by the caller, or by the capture or writer giving up).
    stop: AtomicBool,
    /// The stream is closed: once the ring is empty, nothing more comes.
    capture_ended: AtomicBool,
}

impl Shared {
    fn update(&self, f: impl FnOnce(&mut Status)) {
        if let Ok(mut status) = self.status.lock() {
            f(&mut status);
        }
    }
}

/// A recording in progress.
pub struct Recorder {
    shared: Arc<Shared>,
    recovered: Vec<Recovered>,
    supervisor: Option<JoinHandle<()>>,
    writer: Option<JoinHandle<Vec<PathBuf>>>,
}

/// A stream that delivers nothing for this long is taken for a lost device.
const STALL: Duration = Duration::from_secs(5);

/// The ring holds this many seconds.
const RING_SECONDS: usize = 10;

impl Recorder {
    /// Repairs left-over partial files in `options.dir`, opens the device,
    /// checks the disk and starts recording.
    pub fn start(mut options: Options) -> Result<Recorder, RecordError> {
        // Only the writer holds the tap, so that it closes with the writer.
        let tap = options.tap.take();
        std::fs::create_dir_all(&options.dir).map_err(|e| RecordError::write(&options.dir, e))?;
        let recovered = recover_dir(&options.dir)?;
        let (device, label) = capture::find_device(options.device.as_deref())?;
        let config = capture::native_config(&device, &label)?;
        let spec = WavSpec {
            channels: config.channels(),
            sample_rate: config.sample_rate(),
        };
        let free = free_bytes(&options.dir);
        let need = options.max_hours * 3600.0 * spec.bytes_per_second() as f64;
        if let Some(free) = free.filter(|&f| (f as f64) < need) {
            return Err(RecordError::DiskTooSmall {
                path: options.dir.clone(),
                hours: options.max_hours,
                rate: format!(
                    "{} Hz × {} channels, 16-bit",
                    spec.sample_rate, spec.channels
                ),
                free_gb: free as f64 / 1e9,
                need_gb: need / 1e9,
            });
        }
        let name = options.name.clone().unwrap_or_else(default_name);
        let writer = WavWriter::create(&options.dir, &name, spec, options.file_limit)?;
        let shared = Arc::new(Shared {
            status: Mutex::new(Status {
                device: label.clone(),
                spec,
                device_format: config.sample_format().to_string(),
                state: State::Recording,
                frames: 0,
                seconds: 0.0,
                synced_seconds: 0.0,
                peak: 0.0,
                rms: 0.0,
                max_peak: 0.0,
                clipped: 0,
                silence_seconds: 0.0,
                dropped: 0,
                xruns: 0,
                free_bytes: free,
                seconds_left: free.map(|f| f as f64 / spec.bytes_per_second() as f64),
                file: writer.current_path().to_path_buf(),
                gaps: Vec::new(),
            }),
            stop: AtomicBool::new(false),
            capture_ended: AtomicBool::new(false),
        });
        let capacity = RING_SECONDS * spec.sample_rate as usize * usize::from(spec.channels);
        let (producer, consumer) = rtrb::RingBuffer::new(capacity);
        let signals = Arc::new(capture::Signals::default());
        let capture = match capture::start(&device, &label, &config, producer, signals.clone()) {
            Ok(capture) => capture,
            Err(e) => {
                // Nothing recorded: the empty file is removed.
                let (_, partial) = writer.abandon();
                let _ = recover(&partial);
                return Err(e);
            }
        };
        let (rings, next_ring) = mpsc::channel();
        let writer = {
            let shared = shared.clone();
            let options = options.clone();
            std::thread::Builder::new()
                .name("record-writer".into())
                .spawn(move || write_loop(writer, consumer, next_ring, tap, &shared, &options))
                .map_err(|e| RecordError::Thread { source: e })?
        };
        let supervisor = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("record-capture".into())
                .spawn(move || {
                    supervise(
                        capture, device, label, config, signals, rings, &shared, &options,
                    )
                })
                .map_err(|e| RecordError::Thread { source: e })?
        };
        Ok(Recorder {
            shared,
            recovered,
            supervisor: Some(supervisor),
            writer: Some(writer),
        })
    }

    /// The left-over partial files repaired at start.
    pub fn recovered(&self) -> &[Recovered] {
        &self.recovered
    }

    /// A snapshot of the recording.
    pub fn status(&self) -> Status {
        match self.shared.status.lock() {
            Ok(status) => status.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Stops the capture, writes what the ring still holds and finalizes
    /// the files.
    pub fn stop(mut self) -> Result<Recording, RecordError> {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(supervisor) = self.supervisor.take() {
            let _ = supervisor.join();
        }
        self.shared.capture_ended.store(true, Ordering::SeqCst);
        let files = match self.writer.take().map(|w| w.join()) {
            Some(Ok(files)) => files,
            _ => return Err(RecordError::WriterPanicked),
        };
        let status = self.status();
        Ok(Recording {
            files,
            seconds: status.seconds,
            dropped: status.dropped,
            xruns: status.xruns,
            clipped: status.clipped,
            gaps: status.gaps,
            failure: match status.state {
                State::Failed { reason } => Some(reason),
                _ => None,
            },
        })
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(supervisor) = self.supervisor.take() {
            let _ = supervisor.join();
        }
        self.shared.capture_ended.store(true, Ordering::SeqCst);
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn default_name() -> String {
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    format!("recording-{}", now.format("%Y%m%d-%H%M%S"))
}

/// Free bytes on the disk holding `dir` (`None` where it cannot be known).
pub fn free_bytes(dir: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let stat = rustix::fs::statvfs(dir).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// `H:MM:SS`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests;
