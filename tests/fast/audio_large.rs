//! Loads the file named by `KAIGIROKU_AUDIO` and prints what came out, for
//! measuring time and memory on long recordings (not run by default):
//!
//! ```sh
//! ffmpeg -f lavfi -i sine=f=440:r=48000:d=3600 -f lavfi -i anoisesrc=r=48000:d=3600:a=0.05 \
//!   -filter_complex "[0][1]join=inputs=2:channel_layout=stereo" /tmp/hour.flac
//! cargo test --release --test fast audio_large --no-run   # prints the test binary's path
//! KAIGIROKU_AUDIO=/tmp/hour.flac /usr/bin/time -v target/release/deps/fast-… audio_large --ignored --nocapture
//! ```
//!
//! `KAIGIROKU_KEEP_CHANNELS=1` keeps the channels too.

use std::path::PathBuf;
use std::time::Instant;

use kaigiroku::audio::AudioLoader;

#[test]
#[ignore = "needs KAIGIROKU_AUDIO=<a long recording>"]
fn load_a_long_recording() {
    let Some(path) = std::env::var_os("KAIGIROKU_AUDIO").map(PathBuf::from) else {
        eprintln!("KAIGIROKU_AUDIO is not set");
        return;
    };
    let keep = std::env::var_os("KAIGIROKU_KEEP_CHANNELS").is_some_and(|v| v == "1");
    let started = Instant::now();
    let audio = AudioLoader::new()
        .keep_channels(keep)
        .load(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} ({} ch, {} Hz): {:.1} s of audio in {seconds:.1} s ({:.0}× real time); \
         {} channels kept; {} warnings",
        path.display(),
        audio.source_codec,
        audio.source_channels,
        audio.source_rate,
        audio.duration(),
        audio.duration() / seconds,
        audio.channels.len(),
        audio.warnings.len()
    );
    for warning in &audio.warnings {
        eprintln!("  {warning}");
    }
}
