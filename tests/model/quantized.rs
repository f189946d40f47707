//! Quantized models: `model install base --quantize …` from the installed
//! f16 file is byte for byte what ggml's own quantizers make of it, and
//! whisper.cpp loads it and hears what the f16 model hears.

use std::path::Path;

use kaigiroku::metrics::cer;
use kaigiroku::model::{
    quantize_ggml, GgmlInfo, InstallRequest, Installed, ModelStore, Quantization,
};
use kaigiroku::transcribe::{DecodeOptions, Device, WhisperModel, Window};
use kaigiroku::types::Audio;
use sha2::Digest;
use whisper_rs::whisper_rs_sys as sys;

use crate::models::installed;

/// Tensors whisper.cpp's `quantize` quantizes in base: the token embedding,
/// 6 weights in each of 6 encoder blocks and 10 in each of 6 decoder blocks.
const BASE_QUANTIZED_TENSORS: usize = 1 + 6 * 6 + 6 * 10;

/// SHA-256 of the files whisper.cpp's own `quantize` tool writes for the
/// installed base (`whisper-quantize ggml-base.bin out.bin TYPE`, built from
/// ggml-org/whisper.cpp 233fe1fc): whole files, header and all.
const QUANTIZE_TOOL_SHA256: [(Quantization, &str); 3] = [
    (
        Quantization::Q8_0,
        "5facc8c72b620ae278c453112481762d332e5d7b51324df9de2bca42b4af54f1",
    ),
    (
        Quantization::Q5_0,
        "0c45a53747977424fe3c619752e4c796c7e02662c023570fc452dc2092d41b3c",
    ),
    (
        Quantization::Q5_1,
        "35e90cf284e49343778f99585a4ae3c7b20e2a5c8d7935e013301c0f13695828",
    ),
];

/// How far apart the q8_0 and f16 models' text may be on the cut (CER of
/// one against the other): q8_0 keeps 8 bits a weight and a scale per 32.
const MAX_Q8_0_VS_F16_CER: f64 = 0.15;

/// A store in `dir` holding copies of the installed base, VAD and CAM++.
fn store_with_base(dir: &Path) -> ModelStore {
    let installed = installed();
    std::fs::create_dir_all(dir).unwrap();
    for path in [
        installed.whisper_path("base"),
        installed.vad_path(),
        installed.campplus_path(),
    ] {
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    ModelStore::new(dir)
}

/// ggml's own bytes for f16 `data` as rows of `row` values: converted to
/// f32 and quantized by ggml, as `quantize.cpp` does.
fn ggml_quantize(q: Quantization, data: &[u8], row: usize) -> Vec<u8> {
    let halves: Vec<u16> = data
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect();
    let mut values = vec![0f32; halves.len()];
    let rows = values.len() / row;
    let mut out = vec![0u8; rows * (row / 32) * q.block_bytes()];
    // SAFETY: `halves` and `values` both hold n values; `out` holds
    // rows × ggml_row_size(q, row) bytes, all ggml writes.
    let written = unsafe {
        sys::ggml_fp16_to_fp32_row(halves.as_ptr(), values.as_mut_ptr(), halves.len() as i64);
        sys::ggml_quantize_chunk(
            q.ggml_type() as sys::ggml_type,
            values.as_ptr(),
            out.as_mut_ptr().cast(),
            0,
            rows as i64,
            row as i64,
            std::ptr::null(),
        )
    };
    assert_eq!(written, out.len());
    out
}

#[test]
fn quantized_base_is_ggml_s_quantization_byte_for_byte() {
    let path = installed().whisper_path("base");
    let f16 = std::fs::read(&path).unwrap();
    let source = GgmlInfo::parse(&f16).unwrap();
    for q in Quantization::ALL {
        let mut bytes = Vec::new();
        quantize_ggml(&f16, &path, q, &mut bytes, |_, _| {}).unwrap();
        let info = GgmlInfo::parse(&bytes).unwrap();
        assert_eq!(info.hparams.ftype, 2000 + q.ftype());
        let mut quantized = 0;
        for (t, s) in info.tensors.iter().zip(&source.tensors) {
            assert_eq!((&t.name, &t.ne), (&s.name, &s.ne));
            let (ours, original) = (&bytes[t.data.clone()], &f16[s.data.clone()]);
            if t.ttype == s.ttype {
                assert!(ours == original, "{q}: {} was not copied", t.name);
                continue;
            }
            assert_eq!((s.ttype, t.ttype), (1, q.ggml_type()), "{}", t.name);
            let theirs = ggml_quantize(q, original, s.ne[0]);
            let first = ours.iter().zip(&theirs).position(|(a, b)| a != b);
            assert!(
                ours == theirs.as_slice(),
                "{q}: {} differs from ggml at byte {first:?}",
                t.name
            );
            quantized += 1;
        }
        assert_eq!(quantized, BASE_QUANTIZED_TENSORS, "{q}");
        let digest = format!("{:x}", sha2::Sha256::digest(&bytes));
        let tool = QUANTIZE_TOOL_SHA256
            .iter()
            .find(|(t, _)| *t == q)
            .unwrap()
            .1;
        assert_eq!(
            digest,
            tool,
            "{q}: not the file whisper.cpp's quantize writes (is {} the base that \
             `model install` converts, 147,951,465 bytes?)",
            path.display()
        );
        let ratio = bytes.len() as f64 / f16.len() as f64;
        println!("{q}: {} bytes, {:.0} % of f16", bytes.len(), ratio * 100.0);
        assert!(ratio < 0.6, "{q} is {ratio:.2} of the f16 file");
    }
}

/// The text of the first 28 s of the sample through `model`, without VAD.
fn text_of_the_first_window(model: &Path) -> String {
    let audio = kaigiroku::audio::load(Path::new("samples/kaigi-2022-01/meeting.wav")).unwrap();
    let samples = &audio.samples[..28 * Audio::SAMPLE_RATE as usize];
    let model = WhisperModel::load(model, Device::default()).unwrap();
    let mut session = model.session(&DecodeOptions::default()).unwrap();
    session
        .push(Window {
            start: 0.0,
            samples,
            speech: None,
        })
        .unwrap();
    session
        .finish()
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .collect()
}

#[test]
fn base_installed_as_q8_0_loads_and_transcribes_like_f16() {
    let _turn = crate::real_model::one_decoder_at_a_time();
    let tmp = tempfile::tempdir().unwrap();
    let store = store_with_base(&tmp.path().join("models"));
    let request = InstallRequest {
        name: Some("base".into()),
        quantize: Some(Quantization::Q8_0),
        ..InstallRequest::default()
    };
    let report = store.install(&request, |_| {}).unwrap();
    assert!(
        matches!(report.whisper, Installed::Quantized { .. }),
        "{}",
        report.whisper
    );
    let q8_0 = store.whisper_model("base-q8_0").unwrap();
    let info = GgmlInfo::parse(&std::fs::read(&q8_0).unwrap()).unwrap();
    assert_eq!(info.hparams.ftype_name(), "q8_0");
    let quantized = info.tensors.iter().filter(|t| t.ttype == 8).count();
    assert_eq!(quantized, BASE_QUANTIZED_TENSORS);

    let f16_text = text_of_the_first_window(&store.whisper_model("base").unwrap());
    let q8_0_text = text_of_the_first_window(&q8_0);
    let rate = cer(&f16_text, &q8_0_text);
    println!(
        "q8_0 against f16: CER {:.1} %\nf16:  {f16_text}\nq8_0: {q8_0_text}",
        rate * 100.0
    );
    assert!(
        f16_text.chars().count() > 60,
        "f16 heard little: {f16_text}"
    );
    assert!(
        rate < MAX_Q8_0_VS_F16_CER,
        "q8_0 strays from f16: CER {rate:.3}\nf16:  {f16_text}\nq8_0: {q8_0_text}"
    );
}
