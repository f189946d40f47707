//! The crash-safe writer: a killed writer's file, recovered, is readable by
//! hound and by our own loader and holds everything up to the last sync;
//! rollover; a finalized file's header is exact.

use std::path::Path;

use super::wav::{self, Recovered, WavSpec, WavWriter, HEADER};

const SPEC: WavSpec = WavSpec {
    channels: 2,
    sample_rate: 16_000,
};

/// A stereo tone: left a ramp, right its negation, so frames can be checked.
fn samples(frames: usize, from: usize) -> Vec<i16> {
    (from..from + frames)
        .flat_map(|i| {
            let v = ((i * 7) % 20_000) as i16 - 10_000;
            [v, -v]
        })
        .collect()
}

fn read_hound(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let data: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
    (spec, data)
}

fn u32_at(bytes: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap())
}

#[test]
fn a_finished_file_has_an_exact_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WavWriter::create(dir.path(), "rec", SPEC, wav::DEFAULT_LIMIT).unwrap();
    let data = samples(16_000, 0);
    // Written in odd pieces: a frame split between two calls is kept whole.
    for piece in data.chunks(333) {
        w.write(piece).unwrap();
    }
    w.sync().unwrap();
    assert_eq!(w.synced_frames(), 16_000);
    let files = w.finish().unwrap();
    assert_eq!(files, vec![dir.path().join("rec.wav")]);
    assert!(!dir.path().join("rec.partial.wav").exists());
    let bytes = std::fs::read(&files[0]).unwrap();
    assert_eq!(bytes.len() as u64, HEADER + 64_000);
    assert_eq!(u32_at(&bytes, 4), 36 + 64_000, "RIFF size");
    assert_eq!(u32_at(&bytes, 40), 64_000, "data size");
    let (spec, read) = read_hound(&files[0]);
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 16_000, 16)
    );
    assert_eq!(read, data);
    let audio = crate::audio::load(&files[0]).unwrap();
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
    assert!(
        (audio.duration() - 1.0).abs() < 0.01,
        "{}",
        audio.duration()
    );
}

#[test]
fn a_killed_writer_is_valid_to_its_last_sync_and_recovered_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WavWriter::create(dir.path(), "rec", SPEC, wav::DEFAULT_LIMIT).unwrap();
    let synced = samples(32_000, 0);
    w.write(&synced).unwrap();
    w.sync().unwrap();
    let more = samples(8_000, 32_000);
    w.write(&more).unwrap();
    let partial = w.current_path().to_path_buf();
    // The kill: the writer is never finished; its buffer may or may not
    // have reached the file.
    drop(w.abandon()); // as a kill: unwritten buffer lost, descriptor (and lock) closed

    // Before recovery the file as it lies is a valid WAV up to the last sync.
    let (_, as_is) = read_hound(&partial);
    assert_eq!(as_is, synced);

    let recovered = wav::recover(&partial).unwrap();
    let Recovered::Repaired { path, seconds, cut } = recovered else {
        panic!("{recovered:?}")
    };
    assert_eq!(path, dir.path().join("rec.wav"));
    assert_eq!(cut, 0);
    assert!(seconds >= 2.0, "{seconds}");
    let (_, read) = read_hound(&path);
    assert_eq!(&read[..synced.len()], &synced[..]);
    let audio = crate::audio::load(&path).unwrap();
    assert!(audio.warnings.is_empty(), "{:?}", audio.warnings);
    assert!(audio.duration() >= 2.0);
}

#[test]
fn a_torn_last_frame_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WavWriter::create(dir.path(), "rec", SPEC, wav::DEFAULT_LIMIT).unwrap();
    let data = samples(10_000, 0);
    w.write(&data).unwrap();
    w.sync().unwrap();
    let partial = w.current_path().to_path_buf();
    drop(w.abandon()); // as a kill: unwritten buffer lost, descriptor (and lock) closed
                       // Power lost in the middle of a frame: 3 more bytes reached the disk.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&partial)
            .unwrap();
        f.write_all(&[1, 2, 3]).unwrap();
    }
    let Recovered::Repaired { path, seconds, cut } = wav::recover(&partial).unwrap() else {
        panic!()
    };
    assert_eq!(cut, 3);
    assert!((seconds - 10_000.0 / 16_000.0).abs() < 1e-9);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, HEADER + 40_000);
    assert_eq!(u32_at(&bytes, 40), 40_000);
    assert_eq!(read_hound(&path).1, data);
    crate::audio::load(&path).unwrap();
}

#[test]
fn a_file_killed_before_its_first_sync_is_removed_or_kept_from_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let w = WavWriter::create(dir.path(), "empty", SPEC, wav::DEFAULT_LIMIT).unwrap();
    let partial = w.current_path().to_path_buf();
    drop(w.abandon()); // as a kill: unwritten buffer lost, descriptor (and lock) closed
                       // Only the header is there (data size 0: exact, never "unknown").
    let bytes = std::fs::read(&partial).unwrap();
    assert_eq!(bytes.len() as u64, HEADER);
    assert_eq!(u32_at(&bytes, 40), 0);
    let found = wav::recover_dir(dir.path()).unwrap();
    assert!(
        matches!(found.as_slice(), [Recovered::Empty { .. }]),
        "{found:?}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // Data written but never synced: the header still says 0; recovery
    // takes the length of the file.
    let mut w = WavWriter::create(dir.path(), "unsynced", SPEC, wav::DEFAULT_LIMIT).unwrap();
    let data = samples(70_000, 0); // more than the writer buffers
    w.write(&data).unwrap();
    let partial = w.current_path().to_path_buf();
    drop(w.abandon()); // as a kill: unwritten buffer lost, descriptor (and lock) closed
    let Recovered::Repaired { path, .. } = wav::recover(&partial).unwrap() else {
        panic!()
    };
    let read = read_hound(&path).1;
    assert!(
        read.len() >= 2 * 60_000 && read.len().is_multiple_of(2),
        "{}",
        read.len()
    );
    assert_eq!(&data[..read.len()], &read[..]);
}

#[test]
fn recordings_roll_over_before_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    // 1 s a file (64 000 bytes); a limit not a multiple of a frame is
    // rounded down to one.
    let mut w = WavWriter::create(dir.path(), "rec", SPEC, 64_001).unwrap();
    let data = samples(40_000, 0); // 2.5 s
    for piece in data.chunks(999) {
        w.write(piece).unwrap();
    }
    let files = w.finish().unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["rec.wav", "rec-part2.wav", "rec-part3.wav"]);
    let mut joined = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let bytes = std::fs::read(f).unwrap();
        let expected = if i < 2 { 64_000 } else { 32_000 };
        assert_eq!(u32_at(&bytes, 40), expected, "{}", f.display());
        assert_eq!(bytes.len() as u64, HEADER + u64::from(expected));
        joined.extend(read_hound(f).1);
        crate::audio::load(f).unwrap();
    }
    assert_eq!(joined, data);
}

#[test]
fn a_recording_is_never_written_over() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rec.wav"), b"old").unwrap();
    let e = WavWriter::create(dir.path(), "rec", SPEC, wav::DEFAULT_LIMIT)
        .err()
        .unwrap();
    assert!(e.to_string().contains("already exists"), "{e}");
    assert_eq!(std::fs::read(dir.path().join("rec.wav")).unwrap(), b"old");
    let not_ours = dir.path().join("x.partial.wav");
    std::fs::write(&not_ours, vec![7u8; 100]).unwrap();
    let e = wav::recover(&not_ours).unwrap_err();
    assert!(e.to_string().contains("not a recording"), "{e}");
    assert!(not_ours.exists());
}

#[test]
fn a_file_being_recorded_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WavWriter::create(dir.path(), "live", SPEC, wav::DEFAULT_LIMIT).unwrap();
    w.write(&samples(16_000, 0)).unwrap();
    w.sync().unwrap();
    let partial = w.current_path().to_path_buf();
    let found = wav::recover_dir(dir.path()).unwrap();
    assert_eq!(
        found,
        vec![Recovered::InUse {
            path: partial.clone()
        }]
    );
    assert!(partial.exists());
    w.write(&samples(16_000, 16_000)).unwrap();
    let files = w.finish().unwrap();
    assert_eq!(read_hound(&files[0]).1, samples(32_000, 0));
}
