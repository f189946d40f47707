//! cpal: input devices, and a stream whose callback only converts the
//! device's samples to i16 and pushes them into a lock-free ring
//! ([`rtrb`]); whatever does not fit is counted as dropped, never silent.
//! The only place in the crate that touches cpal.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};

use super::RecordError;

/// An input device as listed by [`list_devices`].
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    /// What `--device` takes (ALSA: the PCM name, e.g. `default`, `pulse`,
    /// `hw:CARD=0,DEV=0`).
    pub id: String,
    /// The device's description.
    pub name: String,
    /// The host's default input device.
    pub default: bool,
    /// Channels, rate and format of its default input configuration, when
    /// the device could be asked (`None`: it could not be opened now).
    pub config: Option<(u16, u32, String)>,
}

/// The input devices of the host's default audio system.
pub fn list_devices() -> Result<Vec<DeviceInfo>, RecordError> {
    let host = cpal::default_host();
    let default_id = host
        .default_input_device()
        .and_then(|d| d.id().ok())
        .map(|id| id.id().to_string());
    let devices = host.input_devices().map_err(|e| RecordError::Host {
        reason: e.to_string(),
    })?;
    Ok(devices
        .map(|d| {
            let id = d.id().map(|i| i.id().to_string()).unwrap_or_default();
            let name = d
                .description()
                .map(|desc| desc.name().to_string())
                .unwrap_or_else(|_| id.clone());
            let config = d
                .default_input_config()
                .ok()
                .map(|c| (c.channels(), c.sample_rate(), c.sample_format().to_string()));
            DeviceInfo {
                default: default_id.as_deref() == Some(id.as_str()),
                id,
                name,
                config,
            }
        })
        .collect())
}

/// The device called `name` (its id, else a description containing it), or
/// the host's default input device.
pub(super) fn find_device(name: Option<&str>) -> Result<(cpal::Device, String), RecordError> {
    let host = cpal::default_host();
    let Some(name) = name else {
        let device = host.default_input_device().ok_or(RecordError::NoDevice)?;
        let label = label(&device);
        return Ok((device, label));
    };
    let devices: Vec<cpal::Device> = host
        .input_devices()
        .map_err(|e| RecordError::Host {
            reason: e.to_string(),
        })?
        .collect();
    let by_id = devices
        .iter()
        .position(|d| d.id().is_ok_and(|i| i.id() == name));
    let by_name = || {
        devices.iter().position(|d| {
            d.description()
                .is_ok_and(|desc| desc.name().to_lowercase().contains(&name.to_lowercase()))
        })
    };
    match by_id.or_else(by_name) {
        Some(i) => {
            let device = devices[i].clone();
            Ok((device, name.to_string()))
        }
        None => Err(RecordError::UnknownDevice {
            name: name.to_string(),
        }),
    }
}

fn label(device: &cpal::Device) -> String {
    device
        .id()
        .map(|i| i.id().to_string())
        .unwrap_or_else(|_| device.to_string())
}

/// The device's native input configuration: (channels, rate, format).
pub(super) fn native_config(
    device: &cpal::Device,
    label: &str,
) -> Result<cpal::SupportedStreamConfig, RecordError> {
    device
        .default_input_config()
        .map_err(|e| RecordError::device(label, &e))
}

/// What the audio callback and the error callback share with the recorder.
#[derive(Debug, Default)]
pub(super) struct Signals {
    /// Samples that did not fit in the ring.
    pub dropped: AtomicU64,
    /// Overruns the device itself reported (samples lost before the callback).
    pub xruns: AtomicU64,
    /// Callbacks so far (a stalled stream stops counting).
    pub callbacks: AtomicU64,
    /// The stream reported that its device is gone or the stream is dead.
    pub lost: AtomicBool,
    /// The last error the stream reported.
    pub error: Mutex<Option<String>>,
}

/// A running input stream (dropping it stops the capture).
pub(super) struct Capture {
    _stream: cpal::Stream,
}

/// Opens `device` at `config` (its native one) and starts pushing its
/// samples, as i16, into `ring`.
pub(super) fn start(
    device: &cpal::Device,
    label: &str,
    config: &cpal::SupportedStreamConfig,
    ring: rtrb::Producer<i16>,
    signals: Arc<Signals>,
) -> Result<Capture, RecordError> {
    let mut stream_config = config.config();
    // Periods of about 50 ms: what lies in the device's buffer when the
    // process dies is lost, so it is kept short.
    if let cpal::SupportedBufferSize::Range { min, max } = config.buffer_size() {
        let want = (config.sample_rate() / 20).clamp(*min, *max);
        stream_config.buffer_size = cpal::BufferSize::Fixed(want);
    }
    let stream = match config.sample_format() {
        SampleFormat::I8 => build::<i8>(device, stream_config, ring, signals),
        SampleFormat::I16 => build::<i16>(device, stream_config, ring, signals),
        SampleFormat::I24 => build::<cpal::I24>(device, stream_config, ring, signals),
        SampleFormat::I32 => build::<i32>(device, stream_config, ring, signals),
        SampleFormat::U8 => build::<u8>(device, stream_config, ring, signals),
        SampleFormat::U16 => build::<u16>(device, stream_config, ring, signals),
        SampleFormat::U32 => build::<u32>(device, stream_config, ring, signals),
        SampleFormat::F32 => build::<f32>(device, stream_config, ring, signals),
        SampleFormat::F64 => build::<f64>(device, stream_config, ring, signals),
        other => {
            return Err(RecordError::Format {
                reason: format!("{label}: sample format {other} is not recorded"),
            })
        }
    }
    .map_err(|e| RecordError::device(label, &e))?;
    stream.play().map_err(|e| RecordError::device(label, &e))?;
    Ok(Capture { _stream: stream })
}

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut ring: rtrb::Producer<i16>,
    signals: Arc<Signals>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    i16: FromSample<T>,
{
    let on_data = signals.clone();
    device.build_input_stream(
        config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            on_data.callbacks.fetch_add(1, Ordering::Relaxed);
            let n = data.len().min(ring.slots());
            if let Ok(chunk) = ring.write_chunk_uninit(n) {
                chunk.fill_from_iter(data[..n].iter().map(|&s| i16::from_sample_(s)));
            }
            if n < data.len() {
                on_data
                    .dropped
                    .fetch_add((data.len() - n) as u64, Ordering::Relaxed);
            }
        },
        move |error: cpal::Error| {
            use cpal::ErrorKind::*;
            match error.kind() {
                DeviceNotAvailable | StreamInvalidated | BackendError | PermissionDenied => {
                    signals.lost.store(true, Ordering::SeqCst)
                }
                Xrun => {
                    signals.xruns.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
            if let Ok(mut last) = signals.error.lock() {
                *last = Some(error.to_string());
            }
        },
        None,
    )
}
