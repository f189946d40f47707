//! `kaigiroku record` through a real audio stack without a sound card: a
//! private PulseAudio server (started here, with a null sink), ALSA's
//! `pulse` device (libasound2-plugins) recording the sink's monitor, and
//! `paplay` playing a cut of the sample meeting into the sink.
//!
//! - what was played is in the recording, at the right speed (start and end
//!   of the played audio found by cross-correlation, their distance within
//!   1 % of the played length; every half second of speech found in order
//!   with correlation above 0.8, nothing lost, and anything inserted
//!   between pieces silent, as a player's underrun leaves it);
//! - kill -9 mid-recording, then `record --recover`: the file is read by our
//!   loader, hound and `sox --i`, and holds all but the last 2 s.
//!
//! Needs `pulseaudio`, `pulseaudio-utils`, `libasound2-plugins` and `sox`
//! (scripts/setup.sh installs them); without them the tests fail saying so.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::record_support::*;

#[test]
fn what_is_played_is_recorded_at_its_length() {
    let pulse = Pulse::start();
    let work = tempfile::tempdir().unwrap();
    let played = cut(&work.path().join("cut.wav"), 60.0, 10.0);
    let dir = work.path().join("rec");
    let mut recording = Recording::start(&pulse, &dir);
    std::thread::sleep(Duration::from_millis(500));
    let took = pulse.play(&work.path().join("cut.wav"));
    std::thread::sleep(Duration::from_millis(1000));
    recording.quit("recorded");

    let wavs = files(&dir, ".wav");
    assert_eq!(wavs.len(), 1, "{wavs:?}");
    assert!(files(&dir, ".partial.wav").is_empty());
    let reader = hound::WavReader::open(&wavs[0]).unwrap();
    let spec = reader.spec();
    assert_eq!(spec.bits_per_sample, 16);
    let audio = kaigiroku::audio::load(&wavs[0]).unwrap();
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
    let recorded = &kaigiroku::types::samples_f32(&audio.samples);

    // Where the first and the last second of speech are in the recording.
    let second = RATE as usize;
    let head = &played[second / 2..second / 2 + second];
    let tail_at = played.len() - second - second / 2;
    let tail = &played[tail_at..tail_at + second];
    let (head_at, head_corr) = locate(head, recorded);
    let (tail_found, tail_corr) = locate(tail, recorded);
    let start = head_at as i64 - (second / 2) as i64;
    let span = (tail_found as i64 - head_at as i64) as f64 / f64::from(RATE);
    let expected = (tail_at - second / 2) as f64 / f64::from(RATE);
    eprintln!(
        "record: recording {:.3} s, head at {head_at} ({head_corr:.3}), tail at {tail_found} ({tail_corr:.3})",
        audio.duration()
    );
    assert!(start >= 0, "the recording starts after the speech: {start}");
    let start = start as usize;
    assert!(
        start + played.len() <= recorded.len(),
        "the recording ends before the speech"
    );
    let whole = correlation(&played, &recorded[start..start + played.len()]);
    eprintln!(
        "record: {} Hz {} ch; played {:.3} s (paplay took {:.2} s), recording {:.3} s; \
         speech found at {:.3} s; first→last second {span:.4} s (expected {expected:.4} s, {:+.3} %); \
         correlation head {head_corr:.3} tail {tail_corr:.3} whole {whole:.3}",
        spec.sample_rate,
        spec.channels,
        played.len() as f64 / f64::from(RATE),
        took.as_secs_f64(),
        audio.duration(),
        start as f64 / f64::from(RATE),
        100.0 * (span - expected) / expected,
    );
    assert!(
        head_corr > 0.8 && tail_corr > 0.8,
        "{head_corr} {tail_corr}"
    );
    assert!(
        (span - expected).abs() <= 0.01 * expected,
        "{span} vs {expected}"
    );
    eprintln!("record: correlation over the whole cut {whole:.3}");

    for line in check_pieces(&played, recorded, start).unwrap() {
        eprintln!("record: {line}");
    }
}

/// The piece check fails on audio lost or repeated, and passes silence
/// inserted (what a player's underrun leaves), on the sample itself.
#[test]
fn the_piece_check_tells_an_underrun_from_lost_or_repeated_audio() {
    let work = tempfile::tempdir().unwrap();
    let played = cut(&work.path().join("cut.wav"), 60.0, 10.0);
    let lead = vec![0f32; 4000];
    let with = |at: usize, insert: &[f32], remove: usize| {
        let mut recorded = lead.clone();
        recorded.extend_from_slice(&played[..at]);
        recorded.extend_from_slice(insert);
        recorded.extend_from_slice(&played[at + remove..]);
        recorded.extend_from_slice(&lead);
        recorded
    };
    // In the loudest half second, where repeated audio cannot pass for silence.
    let half = RATE as usize / 2;
    let loudest = (2..18)
        .map(|k| k * half)
        .max_by(|&a, &b| rms(&played[a..a + half]).total_cmp(&rms(&played[b..b + half])))
        .unwrap();
    let at = loudest + half / 2;
    let as_played = with(at, &[], 0);
    assert!(check_pieces(&played, &as_played, 4000).unwrap().is_empty());
    let underrun = with(at, &vec![0f32; 400], 0);
    let said = check_pieces(&played, &underrun, 4000).unwrap();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("25.0 ms inserted"), "{said:?}");
    let repeated = with(at, &played[at - 400..at], 0);
    let said = check_pieces(&played, &repeated, 4000).unwrap_err();
    assert!(said.contains("not silence"), "{said}");
    let lost = with(at, &[], 400);
    let said = check_pieces(&played, &lost, 4000).unwrap_err();
    assert!(said.contains("400 samples lost"), "{said}");
}

#[test]
fn a_recording_killed_with_sigkill_is_recovered() {
    let pulse = Pulse::start();
    let work = tempfile::tempdir().unwrap();
    cut(&work.path().join("cut.wav"), 30.0, 10.0);
    let dir = work.path().join("rec");
    let mut recording = Recording::start(&pulse, &dir);
    let started = Instant::now();
    let player = pulse
        .command("paplay")
        .args(["-d", SINK, "--latency-msec=20"])
        .arg(work.path().join("cut.wav"))
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(5000));
    recording.child.kill().unwrap(); // SIGKILL
    let ran = started.elapsed().as_secs_f64();
    recording.child.wait().unwrap();
    let mut player = player;
    let _ = player.kill();
    let _ = player.wait();

    let partial = files(&dir, ".partial.wav");
    assert_eq!(partial.len(), 1, "{:?}", files(&dir, ""));
    // As it lies, the file is already a valid WAV (up to its last sync).
    let as_is = hound::WavReader::open(&partial[0]).unwrap();
    let synced = f64::from(as_is.duration()) / f64::from(as_is.spec().sample_rate);
    drop(as_is);

    let out = Command::new(env!("CARGO_BIN_EXE_kaigiroku"))
        .args(["record", "--recover"])
        .arg(&dir)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("recovered an interrupted recording"),
        "{said}"
    );
    assert!(files(&dir, ".partial.wav").is_empty());
    let wavs = files(&dir, ".wav");
    assert_eq!(wavs.len(), 1);

    let audio = kaigiroku::audio::load(&wavs[0]).unwrap();
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
    let sox = Command::new("sox")
        .args(["--i", "-D"])
        .arg(&wavs[0])
        .output()
        .unwrap();
    assert!(
        sox.status.success(),
        "{}",
        String::from_utf8_lossy(&sox.stderr)
    );
    let sox_seconds: f64 = String::from_utf8_lossy(&sox.stdout).trim().parse().unwrap();
    let hound_reader = hound::WavReader::open(&wavs[0]).unwrap();
    let hound_seconds =
        f64::from(hound_reader.duration()) / f64::from(hound_reader.spec().sample_rate);
    let lost = ran - audio.duration();
    eprintln!(
        "record kill -9: ran {ran:.2} s after it said it was recording; valid before recovery {synced:.2} s; \
         recovered {:.2} s (sox {sox_seconds:.2} s, hound {hound_seconds:.2} s); lost {lost:.2} s",
        audio.duration()
    );
    assert!((sox_seconds - hound_seconds).abs() < 0.01);
    assert!((audio.duration() - hound_seconds).abs() < 0.05);
    assert!(lost <= 2.0, "lost {lost:.2} s at kill -9");
    assert!(
        audio.duration() <= ran + 0.5,
        "more audio than time: {}",
        audio.duration()
    );
}

#[test]
fn a_disk_too_small_or_an_unknown_device_is_refused_before_recording() {
    let pulse = Pulse::start();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("rec");
    let run = |args: &[&str]| {
        let out = pulse
            .command(env!("CARGO_BIN_EXE_kaigiroku"))
            .arg("record")
            .args(args)
            .arg("-o")
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let said = run(&["--device", "pulse", "--max-hours", "1000000"]);
    assert!(said.contains("not enough free space"), "{said}");
    assert!(said.contains(&dir.display().to_string()), "{said}");
    let said = run(&["--device", "no-such-microphone"]);
    assert!(
        said.contains("no input device called \"no-such-microphone\""),
        "{said}"
    );
    assert!(
        files(&dir, ".wav").is_empty(),
        "nothing is written when refused"
    );
}

#[test]
fn a_device_that_goes_away_is_reopened_and_the_recording_kept() {
    let pulse = Pulse::start();
    let work = tempfile::tempdir().unwrap();
    cut(&work.path().join("cut.wav"), 90.0, 3.0);
    let dir = work.path().join("rec");
    let mut recording = Recording::start(&pulse, &dir);
    pulse.play(&work.path().join("cut.wav"));
    // "Unplugged": the sink, and with it the source recorded, disappears.
    let pactl = |args: &[&str]| {
        let status = pulse.command("pactl").args(args).status().unwrap();
        assert!(status.success(), "pactl {args:?}: {status}");
    };
    pactl(&["unload-module", "module-null-sink"]);
    recording.wait_for("DEVICE LOST", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(2));
    pactl(&[
        "load-module",
        "module-null-sink",
        &format!("sink_name={SINK}"),
        "rate=48000",
        "channels=2",
    ]);
    std::thread::sleep(Duration::from_secs(2));
    pulse.play(&work.path().join("cut.wav"));
    std::thread::sleep(Duration::from_millis(500));
    recording.quit("were not recorded");

    let wavs = files(&dir, ".wav");
    assert_eq!(wavs.len(), 1, "{wavs:?}");
    let audio = kaigiroku::audio::load(&wavs[0]).unwrap();
    let gap = recording
        .stderr
        .iter()
        .find(|l| l.contains("were not recorded"));
    eprintln!(
        "record unplugged: {:.2} s kept; {}",
        audio.duration(),
        gap.map_or("", |s| s.as_str())
    );
    // Both plays are in the file: before the device went and after it came back.
    assert!(audio.duration() >= 6.0, "{}", audio.duration());
    let loud = audio
        .samples
        .chunks(RATE as usize / 2)
        .filter(|c| {
            c.iter()
                .map(|&s| kaigiroku::types::sample_f32(s).powi(2))
                .sum::<f32>()
                / c.len() as f32
                > 1e-4
        })
        .count();
    assert!(
        loud >= 10,
        "{loud} half-seconds with speech; 12 were played"
    );
}

#[test]
fn a_full_disk_stops_the_recording_and_keeps_what_it_holds() {
    need("unshare");
    let pulse = Pulse::start();
    let work = tempfile::tempdir().unwrap();
    let (disk, out) = (work.path().join("disk"), work.path().join("out"));
    std::fs::create_dir(&disk).unwrap();
    std::fs::create_dir(&out).unwrap();
    // A 1000 KiB disk of its own (tmpfs in a private mount namespace): at
    // 48 kHz stereo it is full after about 5 s.
    let script = format!(
        "mount -t tmpfs -o size=1000k tmpfs '{disk}' || exit 97; \
         '{bin}' record -o '{disk}' --device pulse --max-hours 0.0001 </dev/null 2>'{out}/stderr'; \
         echo $? >'{out}/rc'; cp '{disk}'/* '{out}/'",
        disk = disk.display(),
        out = out.display(),
        bin = env!("CARGO_BIN_EXE_kaigiroku"),
    );
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut unshare = pulse.command("unshare");
    if !root {
        unshare.args(["--user", "--map-root-user"]);
    }
    let status = unshare
        .args(["--mount", "sh", "-c", &script])
        .env("RUST_BACKTRACE", "0")
        .status()
        .unwrap();
    assert!(
        status.code() != Some(97) && out.join("rc").exists(),
        "could not mount a small tmpfs in a private mount namespace ({status}): \
         this test needs `unshare --mount` (root, or user namespaces for `--user --map-root-user`)"
    );
    let rc = std::fs::read_to_string(out.join("rc")).unwrap();
    let said = std::fs::read_to_string(out.join("stderr")).unwrap();
    assert_eq!(rc.trim(), "1", "{said}");
    let wavs = files(&out, ".wav");
    assert_eq!(wavs.len(), 1, "{:?} {said}", files(&out, ""));
    let name = wavs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(!name.ends_with(".partial.wav"), "{name}");
    assert!(said.contains("the disk is full"), "{said}");
    assert!(
        said.contains(&format!("kept in {}", disk.join(&name).display())),
        "{said}"
    );
    let audio = kaigiroku::audio::load(&wavs[0]).unwrap();
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
    let size = std::fs::metadata(&wavs[0]).unwrap().len();
    eprintln!(
        "record disk full: {:.2} s kept in a {size}-byte file on a 1 024 000-byte disk",
        audio.duration()
    );
    assert!(
        size > 1_000_000,
        "the disk was not filled: {size} bytes kept"
    );
}

#[test]
fn a_second_ctrl_c_stops_at_once_and_leaves_a_valid_file() {
    let pulse = Pulse::start();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("rec");
    let mut recording = Recording::start(&pulse, &dir);
    std::thread::sleep(Duration::from_millis(3000));
    let pid = recording.child.id().to_string();
    let status = Command::new("sh")
        .args([
            "-c",
            &format!("kill -INT {pid}; sleep 0.01; kill -INT {pid}"),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let status = recording.child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{}", recording.stderr.join("\n"));
    // As it lies, the file is a valid WAV up to its last sync …
    let partial = files(&dir, ".partial.wav");
    assert_eq!(partial.len(), 1, "{:?}", files(&dir, ""));
    let reader = hound::WavReader::open(&partial[0]).unwrap();
    let synced = f64::from(reader.duration()) / f64::from(reader.spec().sample_rate);
    drop(reader);
    assert!(synced >= 1.0, "{synced} s synced after 3 s");
    // … and the next `record` into the directory finishes it before it starts.
    let mut next = Recording::start(&pulse, &dir);
    assert!(
        next.stderr
            .iter()
            .any(|l| l.contains("recovered an interrupted recording")),
        "{}",
        next.stderr.join("\n")
    );
    next.child.kill().unwrap();
    next.child.wait().unwrap();
    let done = dir.join(
        partial[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".partial.wav", ".wav"),
    );
    let audio = kaigiroku::audio::load(&done).unwrap();
    eprintln!(
        "record second Ctrl-C: exit 130, {synced:.2} s valid as left, {:.2} s after recovery",
        audio.duration()
    );
    assert!(audio.duration() >= synced);
}
