//! Shared by the recording tests (`tests/fast/record_capture.rs`, and
//! `tests/model/record_live.rs`, which includes this file): a private
//! PulseAudio server with a null sink whose monitor `kaigiroku record`
//! records through ALSA's `pulse` device, `paplay` into it, and the
//! `kaigiroku record` process with its stderr.
#![allow(dead_code)]
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const RATE: u32 = 16_000;
pub const SINK: &str = "kaigiroku_test";

pub fn need(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`{tool}` is not installed: run scripts/setup.sh (pulseaudio, pulseaudio-utils, libasound2-plugins, sox)"
    );
}

/// A private PulseAudio server with a null sink, in its own runtime directory.
pub struct Pulse {
    pub dir: tempfile::TempDir,
    pub server: Child,
}

impl Pulse {
    pub fn start() -> Pulse {
        for tool in ["pulseaudio", "pactl", "paplay", "sox"] {
            need(tool);
        }
        assert!(
            Path::new("/usr/share/alsa/alsa.conf.d/pulse.conf").exists()
                || Path::new("/etc/alsa/conf.d/99-pulse.conf").exists(),
            "ALSA's pulse device is missing: install libasound2-plugins (scripts/setup.sh)"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let mut command = Command::new("pulseaudio");
        command
            .args([
                "--daemonize=no",
                "-n",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "--disable-shm",
                "--load=module-native-protocol-unix",
                &format!("--load=module-null-sink sink_name={SINK} rate=48000 channels=2"),
                "--log-target=stderr",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut pulse = Pulse {
            server: Pulse::env_of(dir.path(), &mut command).spawn().unwrap(),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ok = pulse
                .command("pactl")
                .arg("info")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                break;
            }
            if let Ok(Some(status)) = pulse.server.try_wait() {
                panic!("pulseaudio exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "pulseaudio did not answer in 15 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        pulse
    }

    pub fn env_of<'a>(dir: &Path, command: &'a mut Command) -> &'a mut Command {
        command
            .env("XDG_RUNTIME_DIR", dir)
            .env("HOME", dir)
            .env("PULSE_RUNTIME_PATH", dir.join("pulse"))
            .env_remove("PULSE_SERVER")
    }

    /// `program` talking to this server; `kaigiroku record` records the sink's monitor.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        Pulse::env_of(self.dir.path(), &mut command).env("PULSE_SOURCE", format!("{SINK}.monitor"));
        command
    }

    /// Plays `wav` into the sink; returns when it has been played. With a
    /// low latency asked for: otherwise the null sink renders in blocks of
    /// 2 s, which a microphone never does (its audio would reach the
    /// recorder up to 2 s late, and that much would lie in PulseAudio when
    /// the recorder is killed).
    pub fn play(&self, wav: &Path) -> Duration {
        let started = Instant::now();
        let status = self
            .command("paplay")
            .args(["-d", SINK, "--latency-msec=20"])
            .arg(wav)
            .status()
            .unwrap();
        assert!(status.success(), "paplay: {status}");
        started.elapsed()
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// `seconds` of the sample meeting from `from`, 16 kHz mono, written to `path`.
pub fn cut(path: &Path, from: f64, seconds: f64) -> Vec<f32> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/kaigi-2022-01/meeting.wav");
    let audio = kaigiroku::audio::load(&sample).unwrap();
    let start = (from * f64::from(RATE)) as usize;
    let piece = &audio.samples[start..start + (seconds * f64::from(RATE)) as usize];
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in piece {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
    kaigiroku::types::samples_f32(piece)
}

/// A running `kaigiroku record`, its stderr collected.
pub struct Recording {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    pub stderr: Vec<String>,
}

impl Recording {
    pub fn start(pulse: &Pulse, dir: &Path) -> Recording {
        Recording::start_with(pulse, dir, &[])
    }

    /// `kaigiroku record` with `extra` arguments.
    pub fn start_with(pulse: &Pulse, dir: &Path, extra: &[&str]) -> Recording {
        let mut child = pulse
            .command(env!("CARGO_BIN_EXE_kaigiroku"))
            .args(["record", "--device", "pulse", "--max-hours", "0.05", "-o"])
            .arg(dir)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (send, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let mut recording = Recording {
            child,
            lines,
            stderr: Vec::new(),
        };
        recording.wait_for("recording from", Duration::from_secs(20));
        recording
    }

    /// Presses `q` and Enter, waits for `said` on stderr and a clean exit.
    pub fn quit(&mut self, said: &str) {
        let mut stdin = self.child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, b"q\n").unwrap();
        drop(stdin);
        self.wait_for(said, Duration::from_secs(20));
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}: {}", self.stderr.join("\n"));
    }

    pub fn wait_for(&mut self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let found = line.contains(text);
                    self.stderr.push(line);
                    if found {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!(
            "`kaigiroku record` did not say {text:?}; it said:\n{}",
            self.stderr.join("\n")
        );
    }
}

/// Files in `dir` whose name ends with `suffix`.
pub fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
}

/// Normalized correlation of `a` with `b` (same length).
pub fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        ab += f64::from(x) * f64::from(y);
        aa += f64::from(x) * f64::from(x);
        bb += f64::from(y) * f64::from(y);
    }
    ab / (aa * bb).sqrt().max(1e-12)
}

/// Where `piece` best matches in `signal`: (offset, normalized correlation).
/// By FFT (realfft is built optimized; a plain loop here is not).
pub fn locate(piece: &[f32], signal: &[f32]) -> (usize, f64) {
    let lags = signal.len().saturating_sub(piece.len());
    if lags == 0 {
        return (0, correlation(piece, signal));
    }
    let n = (signal.len() + piece.len()).next_power_of_two();
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(n);
    let inverse = planner.plan_fft_inverse(n);
    let spectrum = |x: &[f32]| {
        let mut input = forward.make_input_vec();
        for (slot, &v) in input.iter_mut().zip(x) {
            *slot = f64::from(v);
        }
        let mut out = forward.make_output_vec();
        forward.process(&mut input, &mut out).unwrap();
        out
    };
    let (s, p) = (spectrum(signal), spectrum(piece));
    let mut product: Vec<_> = s.iter().zip(&p).map(|(a, b)| a * b.conj()).collect();
    let mut cross = inverse.make_output_vec();
    inverse.process(&mut product, &mut cross).unwrap();
    let piece_energy: f64 = piece.iter().map(|&v| f64::from(v).powi(2)).sum();
    let mut prefix = vec![0f64; signal.len() + 1];
    for (i, &v) in signal.iter().enumerate() {
        prefix[i + 1] = prefix[i] + f64::from(v).powi(2);
    }
    (0..lags)
        .map(|lag| {
            // A near-silent window would divide rounding noise by ~0.
            let window = (prefix[lag + piece.len()] - prefix[lag]).max(1e-3 * piece_energy);
            let value = cross[lag] / n as f64 / (piece_energy * window).sqrt().max(1e-12);
            (lag, value)
        })
        .fold((0, f64::MIN), |best, x| if x.1 > best.1 { x } else { best })
}

/// One piece of the played audio as found in the recording.
pub struct Piece {
    /// Where the piece starts in the played audio (samples).
    pub played_at: usize,
    /// How far later than `start + played_at` it lies in the recording.
    pub shift: i64,
    pub correlation: f64,
}

/// The played audio cut into pieces of `len` samples, each searched for in
/// `recorded` within `reach` samples of where the piece before it says it
/// should be; `start` is where the played audio begins in the recording.
/// Pieces too quiet to match (pauses between words) are left out.
pub fn align_pieces(
    played: &[f32],
    recorded: &[f32],
    start: usize,
    len: usize,
    reach: usize,
) -> Vec<Piece> {
    let loudness = rms(played);
    let mut shift = 0i64;
    let mut pieces = Vec::new();
    for played_at in (0..played.len().saturating_sub(len)).step_by(len) {
        let piece = &played[played_at..played_at + len];
        if rms(piece) < 0.3 * loudness {
            continue;
        }
        let expected = start as i64 + played_at as i64 + shift;
        let from = (expected - reach as i64).max(0) as usize;
        let to = ((expected + reach as i64) as usize + len).min(recorded.len());
        if to <= from + len {
            break;
        }
        let (found, correlation) = locate(piece, &recorded[from..to]);
        shift = (from + found) as i64 - start as i64 - played_at as i64;
        pieces.push(Piece {
            played_at,
            shift,
            correlation,
        });
    }
    pieces
}

/// Root mean square of `x`.
pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// How well `recorded[from..to]` is explained as `played` (which begins at
/// `start`) shifted by `before`, then silence, then `played` shifted by
/// `after` (> `before`), at the best place for the silence: (RMS of what
/// stands where the silence would be, residual energy elsewhere relative to
/// the stretch's energy).
pub fn silence_inserted(
    played: &[f32],
    recorded: &[f32],
    start: usize,
    (from, to): (usize, usize),
    (before, after): (i64, i64),
) -> (f64, f64) {
    let gap = (after - before) as usize;
    let squared = |x: f32| f64::from(x) * f64::from(x);
    let error = |i: usize, shift: i64| {
        let at = i as i64 - start as i64 - shift;
        let p = usize::try_from(at)
            .ok()
            .and_then(|at| played.get(at))
            .copied();
        squared(recorded[i] - p.unwrap_or(0.0))
    };
    let prefix = |f: &dyn Fn(usize) -> f64| {
        let mut sums = vec![0f64; to - from + 1];
        for i in from..to {
            sums[i - from + 1] = sums[i - from] + f(i);
        }
        sums
    };
    let early = prefix(&|i| error(i, before));
    let late = prefix(&|i| error(i, after));
    let energy = prefix(&|i| squared(recorded[i]));
    let n = to - from;
    let (mut best, mut inside, mut outside) = (f64::MAX, 0.0, 0.0);
    for x in 0..=n.saturating_sub(gap) {
        let here = energy[x + gap] - energy[x];
        let rest = early[x] + late[n] - late[x + gap];
        if here + rest < best {
            (best, inside, outside) = (here + rest, here, rest);
        }
    }
    (
        (inside / gap.max(1) as f64).sqrt(),
        outside / energy[n].max(1e-12),
    )
}

/// Piece by piece: every half second of speech in `played` is in
/// `recorded` (where it begins at `start`), in order, none lost (a piece
/// found earlier than the one before it says means the recorder dropped
/// samples). A piece found later means something was inserted before it; a
/// player stalling under load (an underrun) makes the null sink render
/// silence there, so the inserted stretch must be silent: audio repeated by
/// the recorder would not be. A piece with the insertion inside it matches
/// less well; such a piece passes only where its neighbours show the
/// insertion. Returns a line per insertion, or what is wrong.
pub fn check_pieces(played: &[f32], recorded: &[f32], start: usize) -> Result<Vec<String>, String> {
    let second = RATE as usize;
    let len = second / 2;
    let pieces = align_pieces(played, recorded, start, len, second / 10);
    if pieces.len() < 8 {
        return Err(format!("only {} pieces of speech", pieces.len()));
    }
    let speech = rms(played);
    let at = |piece: &Piece| piece.played_at as f64 / f64::from(RATE);
    let (sure, unsure): (Vec<&Piece>, Vec<&Piece>) =
        pieces.iter().partition(|p| p.correlation > 0.8);
    let mut inserted = Vec::new();
    for pair in sure.windows(2) {
        let (last, piece) = (pair[0], pair[1]);
        let grown = piece.shift - last.shift;
        let between = format!(
            "between {:.2} s and {:.2} s of the cut",
            at(last),
            at(piece)
        );
        if grown < -2 {
            return Err(format!("{} samples lost {between}", -grown));
        }
        if grown > 2 {
            let from = (start as i64 + last.played_at as i64 + last.shift) as usize;
            let to = (start as i64 + piece.played_at as i64 + piece.shift) as usize + len;
            let (inside, outside) = silence_inserted(
                played,
                recorded,
                start,
                (from, to),
                (last.shift, piece.shift),
            );
            let said = format!(
                "{:.1} ms inserted {between}: its RMS {inside:.4} (speech {speech:.4}), the rest differs by {:.2} %",
                1000.0 * grown as f64 / f64::from(RATE),
                100.0 * outside
            );
            if inside >= 0.05 * speech || outside >= 0.05 {
                return Err(format!("not silence: {said}"));
            }
            inserted.push(said);
        }
    }
    if unsure.len() > 3 {
        return Err(format!("{} pieces of speech not found", unsure.len()));
    }
    for piece in unsure {
        let last = sure.iter().rev().find(|p| p.played_at < piece.played_at);
        let next = sure.iter().find(|p| p.played_at > piece.played_at);
        let straddles = matches!((last, next), (Some(l), Some(n)) if n.shift - l.shift > 2);
        if !straddles {
            return Err(format!(
                "the speech at {:.2} s of the cut is not in the recording (best {:.3})",
                at(piece),
                piece.correlation
            ));
        }
    }
    Ok(inserted)
}
