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
    let piece = audio.samples[start..start + (seconds * f64::from(RATE)) as usize].to_vec();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in &piece {
        w.write_sample((s * 32767.0).clamp(-32768.0, 32767.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    piece
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
pub fn locate(piece: &[f32], signal: &[f32]) -> (usize, f64) {
    (0..signal.len().saturating_sub(piece.len()))
        .map(|lag| (lag, correlation(piece, &signal[lag..lag + piece.len()])))
        .fold((0, f64::MIN), |best, x| if x.1 > best.1 { x } else { best })
}
