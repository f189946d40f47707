//! The Rust quantizers against ggml's own (`ggml_quantize_chunk` and
//! `ggml_fp32_to_fp16` from the whisper.cpp linked into this crate, through
//! whisper-rs's raw bindings), and quantized files end to end on the tiny
//! synthetic model of `model::tests`.

use std::path::Path;

use whisper_rs::whisper_rs_sys as sys;

use super::*;
use crate::model::ct2::Ct2Model;
use crate::model::ggml::convert;
use crate::model::tests::{converted, tiny_model_of, vocabulary_txt, write_ct2_dir};
use crate::model::{InstallRequest, Installed, ModelStore};

/// ggml's bytes for `x` as rows of `row` values.
fn ggml_quantize(q: Quantization, x: &[f32], row: usize) -> Vec<u8> {
    let rows = x.len() / row;
    assert_eq!(rows * row, x.len());
    let mut out = vec![0u8; rows * row / BLOCK * q.block_bytes()];
    // SAFETY: `x` holds rows × row floats; `out` holds what ggml writes for
    // them (rows × ggml_row_size); no importance matrix, which these types
    // do not need.
    let written = unsafe {
        sys::ggml_quantize_chunk(
            q.ggml_type() as sys::ggml_type,
            x.as_ptr(),
            out.as_mut_ptr().cast(),
            0,
            rows as i64,
            row as i64,
            std::ptr::null(),
        )
    };
    assert_eq!(written, out.len(), "ggml's size of a {q} row of {row}");
    out
}

/// SplitMix64: the same rows on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [−1, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// Rows of many kinds: uniform and bell-shaped at scales from 1e-7 (a
/// scale that is subnormal in f16) to 1e7 (one that overflows it), f16
/// values as model files hold them, zeros, constants, one spike, values
/// exactly halfway between two quantization steps.
fn test_rows(rng: &mut Rng) -> Vec<(Vec<f32>, usize)> {
    let mut rows = Vec::new();
    for scale in [1e-7, 1e-4, 0.02, 0.5, 1.0, 3.0, 100.0, 1e4, 1e7] {
        for row in [32, 64, 96, 512] {
            let uniform: Vec<f32> = (0..row * 8).map(|_| rng.unit() * scale).collect();
            let bell: Vec<f32> = (0..row * 8)
                .map(|_| (rng.unit() + rng.unit() + rng.unit()) * scale / 3.0)
                .collect();
            let f16: Vec<f32> = bell
                .iter()
                .map(|v| half::f16::from_f32(*v).to_f32())
                .collect();
            rows.extend([(uniform, row), (bell, row), (f16, row)]);
        }
    }
    let mut special = vec![0.0f32; 32]; // all zeros
    special.extend([0.25f32; 32]); // constant
    special.extend((0..32).map(|i| if i == 7 { -9.0 } else { 1e-3 * i as f32 }));
    // Halfway cases: q8_0 with amax 127 (d = 1), q5_0 with max −16 (d = 1).
    special.extend((0..32).map(|i| if i == 0 { 127.0 } else { i as f32 - 15.5 }));
    special.extend((0..32).map(|i| {
        if i == 0 {
            -16.0
        } else {
            (i as f32 - 16.0) / 2.0 + 0.5
        }
    }));
    special.extend((0..32).map(|i| i as f32 * 0.5)); // q5_1: (x − min) / d lands on .5
    special.extend((0..32).map(|i| -(i as f32)));
    rows.push((special, 32));
    rows
}

#[test]
fn rows_quantize_to_ggml_s_bytes() {
    let mut rng = Rng(0x6b61_6967_6972_6f6b);
    let rows = test_rows(&mut rng);
    for q in Quantization::ALL {
        let mut values = 0;
        for (x, row) in &rows {
            let ours: Vec<u8> = x.chunks(*row).flat_map(|r| q.quantize_row(r)).collect();
            let theirs = ggml_quantize(q, x, *row);
            let first_difference = ours.iter().zip(&theirs).position(|(a, b)| a != b);
            assert!(
                ours == theirs,
                "{q}: rows of {row} differ from ggml at byte {first_difference:?} \
                 (block {:?}); first values {:?}",
                first_difference.map(|b| b / q.block_bytes()),
                &x[..8]
            );
            values += x.len();
        }
        assert!(values > 100_000, "{values} values compared");
    }
}

#[test]
fn f16_rounding_is_ggml_s() {
    let mut rng = Rng(7);
    let mut values: Vec<f32> = (0..200_000)
        .map(|_| f32::from_bits(rng.next() as u32))
        .collect();
    values.extend([
        0.0,
        -0.0,
        65504.0,
        65520.0, // rounds up to infinity
        65519.99,
        6.1035156e-5,       // smallest normal f16
        5.9604645e-8,       // smallest subnormal f16
        2.9802322e-8,       // half of it: a tie, to even (zero)
        4.4703484e-8,       // rounds up to the smallest subnormal
        1.0 + 1.0 / 2048.0, // a tie between 1 and the next f16
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MIN_POSITIVE,
    ]);
    for v in values {
        // SAFETY: a plain function of one float.
        let theirs = unsafe { sys::ggml_fp32_to_fp16(v) };
        assert_eq!(fp32_to_fp16(v), theirs, "{v:e} ({:#010x})", v.to_bits());
    }
}

#[test]
fn quantization_names_and_header_values() {
    for (q, name, ty, ftype, bytes) in [
        (
            Quantization::Q8_0,
            "q8_0",
            sys::ggml_type_GGML_TYPE_Q8_0,
            2007,
            34,
        ),
        (
            Quantization::Q5_0,
            "q5_0",
            sys::ggml_type_GGML_TYPE_Q5_0,
            2008,
            22,
        ),
        (
            Quantization::Q5_1,
            "q5_1",
            sys::ggml_type_GGML_TYPE_Q5_1,
            2009,
            24,
        ),
    ] {
        assert_eq!((q.name(), q.to_string()), (name, name.to_string()));
        assert_eq!(name.parse::<Quantization>().unwrap(), q);
        assert_eq!(q.ggml_type() as sys::ggml_type, ty);
        assert_eq!(q.header_ftype(), ftype);
        assert_eq!(
            q.header_ftype(),
            sys::GGML_QNT_VERSION as i32 * sys::GGML_QNT_VERSION_FACTOR as i32 + q.ftype()
        );
        // SAFETY: plain lookups in ggml's type table.
        let (block, size) = unsafe { (sys::ggml_blck_size(ty), sys::ggml_type_size(ty)) };
        assert_eq!((block as usize, size), (BLOCK, bytes));
        assert_eq!(q.block_bytes(), bytes);
    }
    let err = "q4_0".parse::<Quantization>().unwrap_err();
    assert!(err.to_string().contains("q8_0, q5_0 or q5_1"), "{err}");
}

/// `bytes` quantized with `quantize_ggml`.
fn quantized(bytes: &[u8], q: Quantization) -> Vec<u8> {
    let mut out = Vec::new();
    let summary = quantize_ggml(bytes, Path::new("ggml-tiny.bin"), q, &mut out, |_, _| {}).unwrap();
    assert_eq!(summary.bytes as usize, out.len());
    assert_eq!(summary.hparams.ftype, q.header_ftype());
    out
}

#[test]
fn a_quantized_file_is_what_quantize_makes_of_the_f16_file() {
    let (f16, _) = converted();
    let source = GgmlInfo::parse(&f16).unwrap();
    for q in Quantization::ALL {
        let bytes = quantized(&f16, q);
        let info = GgmlInfo::parse(&bytes).unwrap();
        assert_eq!(info.hparams.ftype_name(), q.name());
        assert_eq!(info.vocab, source.vocab);
        assert_eq!(info.tensors.len(), source.tensors.len());
        let first = source.tensors[0].at;
        assert_eq!(
            bytes[48..first],
            f16[48..first],
            "mel filters and vocabulary"
        );
        let mut quantized_tensors = 0;
        for (t, s) in info.tensors.iter().zip(&source.tensors) {
            assert_eq!((&t.name, &t.ne), (&s.name, &s.ne));
            let data = &bytes[t.data.clone()];
            let original = &f16[s.data.clone()];
            let expected_type = match (s.ne.len(), s.name.as_str()) {
                (2, "encoder.positional_embedding" | "decoder.positional_embedding") => s.ttype,
                (2, "encoder.conv1.bias" | "encoder.conv2.bias") => s.ttype,
                (2, _) => q.ggml_type(),
                _ => s.ttype,
            };
            assert_eq!(t.ttype, expected_type, "{}", t.name);
            if t.ttype == s.ttype {
                assert_eq!(data, original, "{} copied as it was", t.name);
                continue;
            }
            quantized_tensors += 1;
            let values: Vec<f32> = original
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect();
            assert!(
                data == ggml_quantize(q, &values, s.ne[0]).as_slice(),
                "{q}: tensor {} differs from ggml's",
                t.name
            );
        }
        assert_eq!(
            quantized_tensors,
            1 + 6 + 10,
            "token embedding and linear weights"
        );
    }
}

#[test]
fn converting_straight_to_a_quantization_gives_the_same_bytes() {
    let model = Ct2Model::parse(Path::new("model.bin"), tiny_model_of(64)).unwrap();
    let tokens: Vec<String> = vocabulary_txt().split('\n').map(String::from).collect();
    let (f16, _) = converted();
    for q in Quantization::ALL {
        let mut direct = Vec::new();
        let summary = convert(&model, &tokens, Some(q), &mut direct, |_, _| {}).unwrap();
        assert_eq!(summary.bytes as usize, direct.len());
        assert!(
            direct == quantized(&f16, q),
            "{q}: direct conversion differs"
        );
    }
}

#[test]
fn a_quantized_file_cannot_be_quantized_again() {
    let (f16, _) = converted();
    let once = quantized(&f16, Quantization::Q8_0);
    let err = quantize_ggml(
        &once,
        Path::new("ggml-tiny-q8_0.bin"),
        Quantization::Q5_0,
        &mut Vec::new(),
        |_, _| {},
    )
    .unwrap_err();
    assert!(matches!(err, ModelError::AlreadyQuantized { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("ggml-tiny-q8_0.bin") && message.contains("already q8_0"),
        "{message}"
    );
}

#[test]
fn rows_that_are_not_whole_blocks_are_refused_naming_the_tensor() {
    let model = Ct2Model::parse(Path::new("model.bin"), tiny_model_of(48)).unwrap();
    let tokens: Vec<String> = vocabulary_txt().split('\n').map(String::from).collect();
    let err = convert(
        &model,
        &tokens,
        Some(Quantization::Q8_0),
        &mut Vec::new(),
        |_, _| {},
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(&err, ModelError::CannotQuantize { row: 48, .. })
            && message.contains("encoder.blocks.0.attn.query.weight")
            && message.contains("model.bin"),
        "{message}"
    );
    let mut f16 = Vec::new();
    convert(&model, &tokens, None, &mut f16, |_, _| {}).unwrap();
    let err = quantize_ggml(
        &f16,
        Path::new("ggml-w48.bin"),
        Quantization::Q5_1,
        &mut Vec::new(),
        |_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("ggml-w48.bin"), "{err}");
}

#[test]
fn install_quantizes_the_installed_model_and_names_it_for_model() {
    let tmp = tempfile::tempdir().unwrap();
    write_ct2_dir(&tmp.path().join("ct2"), &tiny_model_of(64));
    let store = ModelStore::new(tmp.path().join("models"));
    let from_ct2 = InstallRequest {
        name: Some("tiny".into()),
        from: vec![tmp.path().join("ct2")],
        ..InstallRequest::default()
    };
    store.install(&from_ct2, |_| {}).unwrap();
    let f16 = std::fs::read(store.whisper_model("tiny").unwrap()).unwrap();

    // From the installed f16 file: no --from, nothing fetched.
    let request = InstallRequest {
        name: Some("tiny".into()),
        quantize: Some(Quantization::Q8_0),
        ..InstallRequest::default()
    };
    let report = store.install(&request, |_| {}).unwrap();
    assert!(
        matches!(report.whisper, Installed::Quantized { .. }),
        "{:?}",
        report.whisper
    );
    let path = store.whisper_model("tiny-q8_0").unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        quantized(&f16, Quantization::Q8_0)
    );
    let again = store.install(&request, |_| {}).unwrap();
    assert!(matches!(again.whisper, Installed::Present(_)));

    // A name with the suffix asks for the quantization.
    let by_name = InstallRequest {
        name: Some("tiny-q5_1".into()),
        ..InstallRequest::default()
    };
    store.install(&by_name, |_| {}).unwrap();
    let q5_1 = std::fs::read(store.whisper_model("tiny-q5_1").unwrap()).unwrap();
    assert_eq!(q5_1, quantized(&f16, Quantization::Q5_1));

    // From the CTranslate2 sources, straight to q5_0.
    let ct2_q5_0 = InstallRequest {
        quantize: Some(Quantization::Q5_0),
        ..from_ct2
    };
    let report = store.install(&ct2_q5_0, |_| {}).unwrap();
    assert!(matches!(report.whisper, Installed::Converted { .. }));
    let q5_0 = std::fs::read(store.whisper_model("tiny-q5_0").unwrap()).unwrap();
    assert_eq!(q5_0, quantized(&f16, Quantization::Q5_0));

    let names: Vec<String> = store.list().unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["tiny", "tiny-q5_0", "tiny-q5_1", "tiny-q8_0"]);
    // A quantized --from file is installed as it is.
    let copy = InstallRequest {
        name: Some("copy".into()),
        from: vec![path],
        ..InstallRequest::default()
    };
    store.install(&copy, |_| {}).unwrap();
    let copied = std::fs::read(store.whisper_model("copy").unwrap()).unwrap();
    assert_eq!(copied, quantized(&f16, Quantization::Q8_0));
}

#[test]
fn quantizing_a_model_that_is_not_installed_says_how_to_install_it() {
    let tmp = tempfile::tempdir().unwrap();
    let store = ModelStore::new(tmp.path().join("models"));
    let request = InstallRequest {
        name: Some("small".into()),
        quantize: Some(Quantization::Q8_0),
        ..InstallRequest::default()
    };
    let err = store.install(&request, |_| {}).unwrap_err();
    assert!(
        matches!(err, ModelError::UnknownName(ref n) if n == "small"),
        "{err}"
    );
    assert!(err.to_string().contains("--from"), "{err}");
    assert!(std::fs::read_dir(store.dir()).unwrap().next().is_none());
}
