//! The recording transcribed while it is made (`kaigiroku record --live`):
//! the writer's tap ([`Options::tap`](super::Options::tap)) → 16 kHz mono
//! ([`Stream16k`]) → a [`LiveRun`], on a thread of the caller's that the
//! capture never waits for: blocks queue in the tap while a window decodes,
//! and are caught up with after it.

use std::sync::mpsc;

use super::{RecordError, WavSpec};
use crate::audio::Stream16k;
use crate::pipeline::LiveRun;

/// Feeds every block the recorder writes to `run`, until the recording
/// ends (the tap closes). `on_progress(recorded, decoded)` hears the
/// seconds pushed and decoded after each block.
pub fn feed(
    tap: mpsc::Receiver<Vec<i16>>,
    spec: WavSpec,
    run: &mut LiveRun<'_>,
    mut on_progress: impl FnMut(f64, f64),
) -> Result<(), RecordError> {
    let mut stream = Stream16k::new(spec.sample_rate, spec.channels)?;
    for block in tap {
        let samples = stream.push(&block)?;
        run.push(&samples).map_err(Box::new)?;
        on_progress(run.duration(), run.decoded_seconds());
    }
    let rest = stream.finish()?;
    run.push(&rest).map_err(Box::new)?;
    on_progress(run.duration(), run.decoded_seconds());
    Ok(())
}
