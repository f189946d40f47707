//! Everything but plain WAV, through symphonia: MP3, M4A/AAC, FLAC, OGG
//! Vorbis, Opus (libopus via `symphonia-adapter-libopus`), ALAC, AIFF, CAF,
//! MKV/WebM audio and the WAV variants hound does not read.
//! Packets are decoded one at a time straight into the sink.

use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;
use std::sync::OnceLock;

use symphonia::core::codecs::audio::well_known as codec;
use symphonia::core::codecs::audio::{AudioCodecId, AudioCodecParameters, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::Duration;

use super::sink::Sink;
use super::{check_format, plausible_frames, AudioError, Decoded, Warnings};
use crate::types::Audio;

/// A packet that does not decode is replaced by silence of its duration, but
/// never more than this many seconds of it.
const MAX_PACKET_SECONDS: f64 = 10.0;
/// Data the demuxer skipped is filled with silence up to this length; a
/// longer jump of the timestamps is taken for a damaged timestamp.
const MAX_SKIP_SECONDS: f64 = 600.0;
/// Why decoding stopped when the file ended early.
const TRUNCATED: &str = "the file is truncated (or damaged)";
/// Why audio ends before the length the file declares.
const SHORT: &str = "the rest of the file could not be read";
/// Shorter differences between timestamps are taken for rounding.
const MIN_SKIP_SECONDS: f64 = 0.005;
/// Most samples (frames × channels) a packet may declare: 10 s of 192 kHz
/// stereo, 32 MB as f64.
const MAX_PACKET_SAMPLES: u64 = 1 << 22;

fn codecs() -> &'static CodecRegistry {
    static REGISTRY: OnceLock<CodecRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<symphonia_adapter_libopus::OpusDecoder>();
        registry
    })
}

pub(super) fn decode(path: &Path, keep_channels: bool) -> Result<Decoded, AudioError> {
    let file = File::open(path).map_err(|e| AudioError::io(path, e))?;
    let file_bytes = file.metadata().map_err(|e| AudioError::io(path, e))?.len();
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut format = open(path, &hint, stream)?;

    // The default audio track, or failing that the first one of any codec, to
    // name it in the error.
    let track = format
        .default_track(TrackType::Audio)
        .or_else(|| format.first_track(TrackType::Audio))
        .ok_or_else(|| AudioError::NoAudioTrack {
            path: path.to_path_buf(),
        })?;
    let track_id = track.id;
    let time_base = track.time_base;
    let estimated_frames = track.num_frames;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| AudioError::NoAudioTrack {
            path: path.to_path_buf(),
        })?
        .clone();
    check_params(path, &params)?;
    let codec = codec_name(params.codec);
    let made = unpanicked(|| codecs().make_audio_decoder(&params, &AudioDecoderOptions::default()))
        .map_err(|panic| AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("the {codec} decoder failed on its header ({panic})"),
        })?;
    let mut decoder = made.map_err(|e| match e {
        Error::Unsupported(what) => AudioError::UnsupportedCodec {
            path: path.to_path_buf(),
            codec: codec.clone(),
            detail: what.to_string(),
        },
        // The codec is one we decode, but its setup in the header is not.
        other => AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("the {codec} setup in its header is damaged ({other})"),
        },
    })?;
    let codec_label = decoder.codec_info().long_name.to_string();
    let seconds_of = |dur: Duration| {
        time_base
            .and_then(|tb| tb.calc_duration(dur))
            .map(|t| t.as_secs_f64())
    };

    let mut state = State {
        path,
        keep_channels,
        estimated_frames,
        file_bytes,
        sink: None,
        channels_seen: 0,
        warnings: Warnings::default(),
        lost: 0.0,
    };
    let mut planes: Vec<Vec<f32>> = Vec::new();
    let (mut good, mut bad) = (0u64, 0u64);
    let mut unsupported: Option<&'static str> = None;
    let mut stop: Option<String> = None;
    // Where the next packet should start (seconds), to notice data the
    // demuxer skipped.
    let mut next_at: Option<f64> = None;

    // Until the reader ends, fails or panics (damage, see `unpanicked`).
    while let Ok(next) = unpanicked(|| format.next_packet()).map_err(|panic| {
        stop = Some(format!(
            "the container is damaged (its reader failed: {panic})"
        ));
    }) {
        let packet = match next {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            Err(Error::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                stop = Some(TRUNCATED.into());
                break;
            }
            Err(Error::ResetRequired) => {
                stop = Some("a second, chained stream begins here and is not read".into());
                break;
            }
            Err(Error::IoError(e)) if is_read_error(&e) => return Err(AudioError::io(path, e)),
            Err(e) => {
                stop = Some(format!("the container is damaged ({e})"));
                break;
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        let pts = time_base
            .and_then(|tb| tb.calc_time(packet.pts))
            .map(|t| t.as_secs_f64());
        // The container's duration of the packet; MKV often leaves it out.
        let dur = seconds_of(packet.dur).filter(|&d| d > 0.0);
        if let (Some(expected), Some(pts)) = (next_at, pts) {
            if pts - expected >= MIN_SKIP_SECONDS {
                state.skipped(pts - expected)?;
            }
        }
        let Ok(decoded) = unpanicked(|| decoder.decode(&packet)).map_err(|panic| {
            // The decoder's state is unknown after a panic: no more packets.
            stop = Some(format!("decoding failed ({panic})"));
        }) else {
            break;
        };
        let what = match decoded {
            Ok(buffer) => {
                good += 1;
                let frames = buffer.frames();
                let rate = buffer.spec().rate();
                next_at = match (pts, dur) {
                    (Some(pts), Some(dur)) => Some(pts + dur),
                    (Some(pts), None) if frames > 0 && rate > 0 => {
                        Some(pts + frames as f64 / f64::from(rate))
                    }
                    _ => None,
                };
                if frames > 0 {
                    buffer.copy_to_vecs_planar::<f32>(&mut planes);
                    let refs: Vec<&[f32]> = planes.iter().map(|p| &p[..frames]).collect();
                    state.push(rate, &refs, frames)?;
                }
                continue;
            }
            Err(Error::DecodeError(what)) => what.to_string(),
            Err(Error::IoError(e)) => e.to_string(),
            Err(Error::Unsupported(what)) => {
                // Damaged data can look like a feature the decoder lacks.
                unsupported.get_or_insert(what);
                format!("unsupported feature: {what}")
            }
            Err(Error::ResetRequired) => {
                decoder.reset();
                continue;
            }
            Err(e) => {
                stop = Some(format!("decoding failed ({e})"));
                break;
            }
        };
        bad += 1;
        // Without a duration, `next_at` stays at this packet's start and the
        // next packet's timestamp tells how long it was.
        if let (Some(pts), Some(dur)) = (pts, dur) {
            next_at = Some(pts + dur);
        }
        state.damaged(dur.unwrap_or(0.0), &what)?;
    }

    // The length the container declares, in seconds, if it does (OGG tells
    // only once its last page has been read).
    let declared = format
        .tracks()
        .iter()
        .find(|t| t.id == track_id)
        .and_then(|t| t.num_frames)
        .zip(params.sample_rate.filter(|&r| r > 0))
        .map(|(frames, rate)| frames as f64 / f64::from(rate));
    let total = good + bad;
    if good == 0 && total > 0 {
        if let Some(what) = unsupported {
            return Err(AudioError::UnsupportedCodec {
                path: path.to_path_buf(),
                codec,
                detail: what.to_string(),
            });
        }
        return Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("none of its {total} audio packets could be decoded"),
        });
    }
    let Some(sink) = state.sink.as_ref() else {
        return Err(match (stop, declared) {
            (Some(reason), _) if reason == TRUNCATED => AudioError::Truncated {
                path: path.to_path_buf(),
                reason: "it ends (or is damaged) before any audio".into(),
            },
            (Some(reason), _) => AudioError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("{reason} before any audio"),
            },
            (None, Some(seconds)) if seconds > 0.0 => AudioError::Truncated {
                path: path.to_path_buf(),
                reason: format!(
                    "it ends before any audio, though its header declares {seconds:.1} s"
                ),
            },
            (None, _) => AudioError::NoSamples {
                path: path.to_path_buf(),
            },
        });
    };
    let decoded = sink.seconds();
    if bad * 2 > total || state.lost * 2.0 > decoded {
        return Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: format!(
                "{bad} of its {total} audio packets could not be decoded, \
                 {:.1} s of {decoded:.1} s lost",
                state.lost
            ),
        });
    }
    // A demuxer may drop damaged data at the end without a word: compare with
    // the declared length, allowing for estimates (MP3 without a Xing header).
    // (symphonia's OGG reader declares no length, so there a damaged last
    // page goes unnoticed.)
    let stop = stop.or_else(|| {
        declared
            .filter(|&d| d - decoded > (0.02 * d).max(0.5))
            .map(|_| SHORT.to_string())
    });
    if let Some(reason) = stop {
        let of = declared.map_or(String::new(), |d| format!(" of {d:.1} s"));
        if declared.is_some_and(|d| decoded * 2.0 < d) {
            let read = format!("only {decoded:.1} s{of} could be read");
            return Err(if reason == TRUNCATED {
                AudioError::Truncated {
                    path: path.to_path_buf(),
                    reason: format!("{read} (or the rest is damaged)"),
                }
            } else {
                AudioError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("{reason}: {read}"),
                }
            });
        }
        state.warnings.push(
            decoded,
            format!("{reason}: audio ends at {decoded:.1} s{of}"),
        );
    }
    if bad > 0 || state.lost > 0.0 {
        state.warnings.summarise(bad, total, state.lost);
    }
    let sink = state.sink.take().expect("checked above");
    let source_rate = sink.rate();
    state.warnings.invalid_samples(&sink);
    let output = sink.finish().map_err(|r| AudioError::internal(path, r))?;
    Ok(Decoded {
        output,
        source_channels: u16::try_from(state.channels_seen).unwrap_or(u16::MAX),
        source_rate,
        codec: codec_label,
        warnings: state.warnings,
    })
}

/// The decoding loop's state: the sink, made when the first packet tells the
/// rate and channel count, and what went wrong so far.
struct State<'a> {
    path: &'a Path,
    keep_channels: bool,
    estimated_frames: Option<u64>,
    file_bytes: u64,
    sink: Option<Sink>,
    channels_seen: usize,
    warnings: Warnings,
    /// Seconds of audio replaced by silence.
    lost: f64,
}

impl State<'_> {
    fn internal(&self, reason: String) -> AudioError {
        AudioError::internal(self.path, reason)
    }

    fn push(&mut self, rate: u32, planes: &[&[f32]], frames: usize) -> Result<(), AudioError> {
        let channels = planes.len();
        check_format(self.path, rate, channels)?;
        if self.sink.is_none() {
            self.channels_seen = channels;
            let estimate = plausible_frames(self.estimated_frames, rate, self.file_bytes);
            let sink = Sink::new(rate, channels, self.keep_channels, estimate)
                .map_err(|r| self.internal(r))?;
            self.sink = Some(sink);
        }
        let sink = self.sink.as_mut().expect("made above");
        if rate != sink.rate() {
            self.warnings.push(
                sink.seconds(),
                format!("the sample rate changes from {} to {rate} Hz", sink.rate()),
            );
            sink.change_rate(rate)
                .map_err(|r| AudioError::internal(self.path, r))?;
        }
        if channels != self.channels_seen {
            self.warnings.push(
                sink.seconds(),
                format!(
                    "the channel count changes from {} to {channels}",
                    self.channels_seen
                ),
            );
            self.channels_seen = channels;
        }
        sink.push(planes, frames)
            .map_err(|r| AudioError::internal(self.path, r))
    }

    /// A packet that did not decode: its time is filled with silence so that
    /// what follows keeps its place on the timeline.
    fn damaged(&mut self, seconds: f64, what: &str) -> Result<(), AudioError> {
        let Some(sink) = self.sink.as_mut() else {
            // Nothing decoded yet, so no rate to fill at; later times shift
            // by the packet's length.
            self.warnings.push(
                0.0,
                format!("a damaged packet at the start was skipped ({what})"),
            );
            return Ok(());
        };
        let seconds = seconds.clamp(0.0, MAX_PACKET_SECONDS);
        let message = if seconds > 0.0 {
            format!("a damaged packet was replaced by {seconds:.3} s of silence ({what})")
        } else {
            format!("a damaged packet was skipped ({what})")
        };
        self.warnings.push(sink.seconds(), message);
        self.fill(seconds)
    }

    /// Puts `seconds` of silence in place of lost audio. Refuses the file
    /// once the silence outgrows the audio decoded by [`MAX_SKIP_SECONDS`]
    /// (less when channels are kept, so that the headroom stays under 38 MB): over
    /// half lost, it would be refused at the end unless as much real audio
    /// followed, and meanwhile a small file with damaged timestamps could
    /// grow the silence without end (250 OGG pages jumping 599 s each are 42
    /// hours: 4.8 GB at 16 kHz).
    fn fill(&mut self, seconds: f64) -> Result<(), AudioError> {
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        let real = sink.seconds() - self.lost;
        self.lost += seconds;
        // Mono and each kept channel cost 2 bytes a sample: 19 MB for mono
        // alone, under 38 MB however many channels are kept.
        let kept = sink.kept_channels() as f64;
        let headroom = MAX_SKIP_SECONDS * 4.0 / (4.0 + 2.0 * kept);
        if self.lost > real + headroom {
            return Err(AudioError::Corrupt {
                path: self.path.to_path_buf(),
                reason: format!(
                    "{:.1} s of it are damaged or missing, and only {real:.1} s could be read",
                    self.lost
                ),
            });
        }
        let frames = (seconds * f64::from(sink.rate())).round() as usize;
        sink.push_silence(frames)
            .map_err(|r| AudioError::internal(self.path, r))
    }

    /// The demuxer skipped `seconds` of damaged data without a word (OGG pages
    /// whose checksum fails, FLAC frames it resynchronised past): fill them.
    fn skipped(&mut self, seconds: f64) -> Result<(), AudioError> {
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        let at = sink.seconds();
        if seconds > MAX_SKIP_SECONDS {
            self.warnings.push(
                at,
                format!("the timestamps jump {seconds:.1} s ahead; the jump is ignored"),
            );
            return Ok(());
        }
        self.warnings.push(
            at,
            format!("{seconds:.3} s of damaged audio were skipped and replaced by silence"),
        );
        self.fill(seconds)
    }
}

/// Opens `stream` with symphonia's probe (whichever format reader knows it).
pub(super) fn open(
    path: &Path,
    hint: &Hint,
    stream: MediaSourceStream<'static>,
) -> Result<Box<dyn FormatReader>, AudioError> {
    unpanicked(|| {
        symphonia::default::get_probe().probe(
            hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
    })
    .map_err(|panic| AudioError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("its header could not be read ({panic})"),
    })?
    .map_err(|e| probe_error(path, e))
}

/// Runs a call into symphonia, whose readers still assert on some damaged
/// headers (the OGG reader's Vorbis setup parser: `(value + 1).pow(dimensions)
/// > entries`): a panic is taken for damage, with its message.
fn unpanicked<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into())
    })
}

/// Refuses what the container declares before a decoder allocates from it:
/// a rate or channel count no recording has, or packets so long that the
/// decoder's buffer for one would take gigabytes (symphonia's PCM and ADPCM
/// decoders reserve it up front).
pub(super) fn check_params(path: &Path, params: &AudioCodecParameters) -> Result<(), AudioError> {
    let channels = params.channels.as_ref().map(|c| c.count());
    if let Some(rate) = params.sample_rate {
        check_format(path, rate, channels.unwrap_or(1))?;
    } else if let Some(channels) = channels {
        check_format(path, Audio::SAMPLE_RATE, channels)?;
    }
    let samples = params
        .max_frames_per_packet
        .unwrap_or(0)
        .saturating_mul(channels.unwrap_or(1) as u64);
    if samples > MAX_PACKET_SAMPLES {
        return Err(AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: format!(
                "its header says a packet holds {} frames",
                params.max_frames_per_packet.unwrap_or(0)
            ),
        });
    }
    Ok(())
}

/// Whether an I/O error from the demuxer is the disk's (or the file
/// system's) rather than the data's: a demuxer that seeks to an offset a
/// damaged header gave gets `InvalidInput` (EINVAL) from the file system.
fn is_read_error(error: &std::io::Error) -> bool {
    !matches!(
        error.kind(),
        ErrorKind::InvalidData | ErrorKind::InvalidInput | ErrorKind::UnexpectedEof
    )
}

/// Why a file could not be opened as any known format.
pub(super) fn probe_error(path: &Path, error: Error) -> AudioError {
    let looks_like = super::sniff(path);
    match error {
        Error::IoError(e) if e.kind() == ErrorKind::UnexpectedEof => AudioError::Truncated {
            path: path.to_path_buf(),
            reason: "it ends (or is damaged) before any readable audio".into(),
        },
        Error::IoError(e) if is_read_error(&e) => AudioError::io(path, e),
        Error::Unsupported(what) if what.contains("missing moov") => AudioError::Truncated {
            path: path.to_path_buf(),
            reason: "its index (the MP4 `moov` atom) is missing, as when a recording is \
                     interrupted; the audio cannot be found without it"
                .into(),
        },
        other => match looks_like {
            Some(format) => AudioError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("it starts like {format} but cannot be read ({other})"),
            },
            None => AudioError::NotAudio {
                path: path.to_path_buf(),
                reason: "the content is not in any audio format this program reads".into(),
            },
        },
    }
}

/// A readable name for codecs that may be met but are not decoded.
fn codec_name(id: AudioCodecId) -> String {
    let known = [
        (codec::CODEC_ID_AC3, "AC-3 (Dolby Digital)"),
        (codec::CODEC_ID_EAC3, "E-AC-3 (Dolby Digital Plus)"),
        (codec::CODEC_ID_AC4, "AC-4"),
        (codec::CODEC_ID_TRUEHD, "Dolby TrueHD"),
        (codec::CODEC_ID_DCA, "DTS"),
        (codec::CODEC_ID_WMA, "Windows Media Audio"),
        (codec::CODEC_ID_SPEEX, "Speex"),
        (codec::CODEC_ID_WAVPACK, "WavPack"),
        (codec::CODEC_ID_MONKEYS_AUDIO, "Monkey's Audio"),
        (codec::CODEC_ID_TTA, "TTA"),
        (codec::CODEC_ID_MUSEPACK, "Musepack"),
        (codec::CODEC_ID_ATRAC3, "ATRAC3"),
        (codec::CODEC_ID_ATRAC3PLUS, "ATRAC3plus"),
        (codec::CODEC_ID_COOK, "RealAudio Cook"),
        (codec::CODEC_ID_OPUS, "Opus"),
        (codec::CODEC_ID_AAC, "AAC"),
        (codec::CODEC_ID_VORBIS, "Vorbis"),
        (codec::CODEC_ID_FLAC, "FLAC"),
        (codec::CODEC_ID_ALAC, "ALAC"),
        (codec::CODEC_ID_MP1, "MP1"),
        (codec::CODEC_ID_MP2, "MP2"),
        (codec::CODEC_ID_MP3, "MP3"),
        (codec::CODEC_ID_ADPCM_IMA_WAV, "IMA ADPCM"),
        (codec::CODEC_ID_ADPCM_IMA_QT, "IMA ADPCM"),
        (codec::CODEC_ID_ADPCM_MS, "Microsoft ADPCM"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, name)| name.to_string())
        .or_else(|| {
            // PCM of any width: the registry's name for it.
            codecs()
                .get_audio_decoder(id)
                .map(|d| d.codec.info.long_name.to_string())
        })
        .unwrap_or_else(|| format!("codec {id}"))
}
