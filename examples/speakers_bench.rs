//! Times the speaker stage alone on a recording whose transcript exists.
//!
//!     cargo run --release --example speakers_bench -- AUDIO TRANSCRIPT.json MEETING.toml [MODELS]
//!
//! Prints wall seconds for frame analysis, embeddings and roles, per audio minute.
use std::time::Instant;

use kaigiroku::meeting::Meeting;
use kaigiroku::model::ModelStore;
use kaigiroku::speakers::{Diarizer, Stage};
use kaigiroku::types::Transcript;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: speakers_bench AUDIO TRANSCRIPT.json MEETING.toml [MODELS]".into());
    }
    let audio = kaigiroku::audio::load(std::path::Path::new(&args[0]))?;
    let transcript: Transcript = serde_json::from_str(&std::fs::read_to_string(&args[1])?)?;
    let meeting = Meeting::load(std::path::Path::new(&args[2]))?;
    let store = ModelStore::new(args.get(3).map(String::as_str).unwrap_or("models"));
    let diarizer = Diarizer::builder().models(&store).build()?;
    let minutes = audio.samples.len() as f64 / 16000.0 / 60.0;
    let mut marks: Vec<(Stage, Instant)> = Vec::new();
    let started = Instant::now();
    let d = diarizer.diarize(&audio, &transcript.segments, &meeting, |p| {
        if marks.last().is_none_or(|(s, _)| *s != p.stage) {
            marks.push((p.stage, Instant::now()));
        }
    })?;
    let end = Instant::now();
    println!(
        "{:?}: {} speakers, {:.2} audio min",
        d.method,
        d.speakers.len(),
        minutes
    );
    let mut from = started;
    for (k, (stage, at)) in marks.iter().enumerate() {
        let until = marks.get(k + 1).map(|(_, t)| *t).unwrap_or(end);
        let _ = from;
        let s = until.duration_since(*at).as_secs_f64();
        println!("{stage:?}: {s:.2} s ({:.2} s per audio min)", s / minutes);
        from = until;
    }
    let total = end.duration_since(started).as_secs_f64();
    println!(
        "total: {total:.2} s ({:.2} s per audio min)",
        total / minutes
    );
    Ok(())
}
