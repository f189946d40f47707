//! The recorder's two threads: the writer (ring → file, meter, sync) and
//! the capture supervisor (owns the stream, notices a lost device and
//! reopens it).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::meter::Meter;
use super::{
    capture, clock, free_bytes, recover, Options, RecordError, Recovered, Shared, State, WavWriter,
    RING_SECONDS, STALL,
};

/// The writer thread: drains the ring into the file, measures, syncs every
/// `sync_every`, until the capture has ended and the ring is empty; returns
/// the files. On a write error (a full disk …) the file is repaired to what
/// reached it, the state becomes [`State::Failed`] and the capture stops.
pub(super) fn write_loop(
    mut writer: WavWriter,
    mut ring: rtrb::Consumer<i16>,
    next_ring: mpsc::Receiver<rtrb::Consumer<i16>>,
    tap: Option<mpsc::Sender<Vec<i16>>>,
    shared: &Shared,
    options: &Options,
) -> Vec<PathBuf> {
    let spec = writer.spec();
    let mut meter = Meter::new(spec.channels, spec.sample_rate);
    let mut block = Vec::with_capacity(1 << 16);
    let mut last_sync = Instant::now();
    let mut last_disk = Instant::now();
    let result = (|| -> Result<(), RecordError> {
        loop {
            let ended = shared.capture_ended.load(Ordering::SeqCst);
            // A reopened device brings a new ring: finish the old one first.
            if ring.is_empty() {
                if let Ok(next) = next_ring.try_recv() {
                    ring = next;
                }
            }
            block.clear();
            let n = ring.slots();
            if let Ok(chunk) = ring.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                block.extend_from_slice(a);
                block.extend_from_slice(b);
                chunk.commit_all();
            }
            if !block.is_empty() {
                writer.write(&block)?;
                meter.feed(&block);
                if let Some(tap) = &tap {
                    // A reader that has gone away does not stop the recording.
                    let _ = tap.send(block.clone());
                }
            }
            let sync_due = last_sync.elapsed() >= options.sync_every;
            if sync_due {
                writer.sync()?;
                last_sync = Instant::now();
            }
            let disk = (last_disk.elapsed() >= Duration::from_secs(5))
                .then(|| {
                    last_disk = Instant::now();
                    free_bytes(&options.dir)
                })
                .flatten();
            shared.update(|s| {
                s.frames = writer.frames();
                s.seconds = writer.frames() as f64 / f64::from(spec.sample_rate);
                s.synced_seconds = writer.synced_frames() as f64 / f64::from(spec.sample_rate);
                if !block.is_empty() {
                    s.peak = meter.peak;
                    s.rms = meter.rms;
                }
                s.max_peak = meter.max_peak;
                s.clipped = meter.clipped;
                s.silence_seconds = meter.silence_seconds();
                s.file = writer.current_path().to_path_buf();
                if let Some(free) = disk {
                    s.free_bytes = Some(free);
                    s.seconds_left = Some(free as f64 / spec.bytes_per_second() as f64);
                }
            });
            if ended && ring.is_empty() {
                match next_ring.try_recv() {
                    Ok(next) => ring = next,
                    Err(_) => return Ok(()),
                }
            }
            if block.len() < ring.buffer().capacity() / 4 {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    })();
    let failed = |error: RecordError| {
        shared.stop.store(true, Ordering::SeqCst);
        shared.update(|s| {
            s.state = State::Failed {
                reason: error.to_string(),
            }
        });
    };
    // The last sync first: if it fails the writer is still there to abandon.
    let result = result.and_then(|()| writer.sync());
    let error = match result {
        Ok(()) => {
            let partial = writer.current_path().to_path_buf();
            match writer.finish() {
                Ok(files) => return files,
                Err(error) => {
                    // Synced but not renamed: the next start (or
                    // --recover) renames it.
                    failed(error);
                    return vec![partial];
                }
            }
        }
        Err(error) => error,
    };
    // Keep what reached the disk: the partial file is repaired from its
    // length (which needs no new space).
    let before = writer.frames_before_current() as f64 / f64::from(spec.sample_rate);
    let (mut files, partial) = writer.abandon();
    match recover(&partial) {
        Ok(Recovered::Repaired { path, seconds, .. }) => {
            failed(RecordError::Kept {
                error: Box::new(error),
                seconds: before + seconds,
                path: path.clone(),
            });
            shared.update(|s| {
                s.seconds = before + seconds;
                s.file = path.clone();
            });
            files.push(path);
        }
        Ok(Recovered::Empty { .. }) => failed(error),
        Ok(Recovered::InUse { .. }) => {
            failed(error);
            files.push(partial);
        }
        Err(e) => {
            failed(error);
            failed(e);
            files.push(partial);
        }
    }
    files
}

/// The capture thread: owns the stream, counts drops, notices a device that
/// went away (an error from the stream, or no callback for [`STALL`]) and reopens
/// it for `reopen_for`.
#[allow(clippy::too_many_arguments)]
pub(super) fn supervise(
    capture: capture::Capture,
    device: cpal::Device,
    label: String,
    config: cpal::SupportedStreamConfig,
    mut signals: Arc<capture::Signals>,
    rings: mpsc::Sender<rtrb::Consumer<i16>>,
    shared: &Shared,
    options: &Options,
) {
    let mut capture = Some(capture);
    let mut callbacks = 0;
    let mut last_callback = Instant::now();
    let mut dropped_before = 0;
    let mut xruns_before = 0;
    let mut gone: Option<(Instant, f64)> = None;
    let mut last_try = Instant::now();
    let capacity = RING_SECONDS * config.sample_rate() as usize * usize::from(config.channels());
    while !shared.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        let dropped = dropped_before + signals.dropped.load(Ordering::Relaxed);
        let xruns = xruns_before + signals.xruns.load(Ordering::Relaxed);
        shared.update(|s| {
            s.dropped = dropped;
            s.xruns = xruns;
        });
        if capture.is_some() {
            let now = signals.callbacks.load(Ordering::Relaxed);
            if now != callbacks {
                callbacks = now;
                last_callback = Instant::now();
            }
            let stalled = last_callback.elapsed() > STALL;
            if signals.lost.load(Ordering::SeqCst) || stalled {
                let reason = signals
                    .error
                    .lock()
                    .ok()
                    .and_then(|e| e.clone())
                    .unwrap_or_else(|| format!("no audio arrived for {} s", STALL.as_secs()));
                capture = None;
                dropped_before = dropped;
                xruns_before = xruns;
                let at = shared.status.lock().map(|s| s.seconds).unwrap_or(0.0);
                gone = Some((Instant::now(), at));
                last_try = Instant::now();
                shared.update(|s| {
                    s.state = State::Reconnecting {
                        at,
                        reason: format!("{label}: {reason}"),
                    }
                });
            }
            continue;
        }
        let Some((since, at)) = gone else { break };
        if since.elapsed() > options.reopen_for {
            shared.update(|s| {
                s.state = State::Failed {
                    reason: format!(
                        "{label}: the device went away at {} and did not come back within {} s; the recording up to then is kept",
                        clock(at),
                        options.reopen_for.as_secs()
                    ),
                }
            });
            break;
        }
        if last_try.elapsed() < Duration::from_secs(1) {
            continue;
        }
        last_try = Instant::now();
        // The device by the same name, at the same configuration.
        let reopened = capture::find_device(options.device.as_deref())
            .ok()
            .map(|(d, _)| d)
            .or(Some(device.clone()))
            .and_then(|d| {
                let (producer, consumer) = rtrb::RingBuffer::new(capacity);
                let fresh = Arc::new(capture::Signals::default());
                capture::start(&d, &label, &config, producer, fresh.clone())
                    .ok()
                    .map(|c| (c, consumer, fresh))
            });
        if let Some((c, consumer, fresh)) = reopened {
            if rings.send(consumer).is_err() {
                break;
            }
            capture = Some(c);
            signals = fresh;
            callbacks = 0;
            last_callback = Instant::now();
            let missed = since.elapsed().as_secs_f64();
            shared.update(|s| {
                s.gaps.push((at, missed));
                s.state = State::Recording;
            });
            gone = None;
        }
    }
    drop(capture);
    shared.stop.store(true, Ordering::SeqCst);
    shared.capture_ended.store(true, Ordering::SeqCst);
}
