//! Converter and installer tests on a tiny synthetic CTranslate2 Whisper
//! model (1 encoder and 1 decoder layer, width 64), written here in
//! CTranslate2's format. The real model is tested in `tests/`.

use std::path::Path;

use super::ct2::Ct2Model;
use super::ggml::convert;
use super::mel::filter_bank as mel_filter_bank;
use super::*;

const STATE: usize = 64;
const VOCAB: usize = 51_865;

/// Writes CTranslate2 `model.bin` bytes (format 6) for the given variables.
fn ct2_bytes(vars: &[(String, Vec<usize>, u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let string = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    };
    out.extend_from_slice(&6u32.to_le_bytes());
    string(&mut out, "WhisperSpec");
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
    for (name, shape, dtype, data) in vars {
        string(&mut out, name);
        out.push(shape.len() as u8);
        for d in shape {
            out.extend_from_slice(&(*d as u32).to_le_bytes());
        }
        out.push(*dtype);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    }
    out.extend_from_slice(&1u32.to_le_bytes());
    string(&mut out, "decoder/projection/weight");
    string(&mut out, "decoder/embeddings/weight");
    out
}

/// f16 values `seed, seed+1, …` (scaled) so slices can be told apart.
fn f16_data(len: usize, seed: f32) -> Vec<u8> {
    (0..len)
        .flat_map(|i| half::f16::from_f32(seed + i as f32 * 1e-3).to_le_bytes())
        .collect()
}

fn tiny_model() -> Vec<u8> {
    tiny_model_of(STATE)
}

/// The tiny model with width `s`.
pub(super) fn tiny_model_of(s: usize) -> Vec<u8> {
    let mut vars: Vec<(String, Vec<usize>, u8, Vec<u8>)> = Vec::new();
    let mut f16 = |name: &str, shape: Vec<usize>| {
        let len = shape.iter().product();
        let seed = vars.len() as f32;
        vars.push((name.to_string(), shape, 4, f16_data(len, seed)));
    };
    f16("encoder/conv1/weight", vec![s, 80, 3]);
    f16("encoder/conv1/bias", vec![s]);
    f16("encoder/conv2/weight", vec![s, s, 3]);
    f16("encoder/conv2/bias", vec![s]);
    f16("encoder/position_encodings/encodings", vec![10, s]);
    f16("decoder/position_encodings/encodings", vec![8, s]);
    f16("decoder/embeddings/weight", vec![VOCAB, s]);
    for side in ["encoder", "decoder"] {
        f16(&format!("{side}/layer_norm/gamma"), vec![s]);
        f16(&format!("{side}/layer_norm/beta"), vec![s]);
        let l = format!("{side}/layer_0");
        let mut attention = |prefix: String, fused: &[(usize, &str)]| {
            f16(&format!("{prefix}/layer_norm/gamma"), vec![s]);
            f16(&format!("{prefix}/layer_norm/beta"), vec![s]);
            for (rows, linear) in fused {
                f16(&format!("{prefix}/{linear}/weight"), vec![rows * s, s]);
                f16(&format!("{prefix}/{linear}/bias"), vec![rows * s]);
            }
        };
        attention(
            format!("{l}/self_attention"),
            &[(3, "linear_0"), (1, "linear_1")],
        );
        if side == "decoder" {
            attention(
                format!("{l}/attention"),
                &[(1, "linear_0"), (2, "linear_1"), (1, "linear_2")],
            );
        }
        f16(&format!("{l}/ffn/layer_norm/gamma"), vec![s]);
        f16(&format!("{l}/ffn/layer_norm/beta"), vec![s]);
        f16(&format!("{l}/ffn/linear_0/weight"), vec![4 * s, s]);
        f16(&format!("{l}/ffn/linear_0/bias"), vec![4 * s]);
        f16(&format!("{l}/ffn/linear_1/weight"), vec![s, 4 * s]);
        f16(&format!("{l}/ffn/linear_1/bias"), vec![s]);
    }
    for side in ["encoder", "decoder"] {
        vars.push((
            format!("{side}/num_heads"),
            vec![],
            2,
            1i16.to_le_bytes().to_vec(),
        ));
    }
    ct2_bytes(&vars)
}

/// 50,257 ordinary tokens (byte-level form), then the special tokens.
pub(super) fn vocabulary_txt() -> String {
    let mut tokens: Vec<String> = (0..50_256).map(|i| format!("t{i}")).collect();
    tokens[0] = "Ġ".into(); // a space
    tokens[1] = "ãģĤ".into(); // あ in UTF-8
    tokens.push(String::new());
    tokens.push("<|endoftext|>".into());
    tokens.push("<|startoftranscript|>".into());
    while tokens.len() < VOCAB {
        tokens.push(format!("<|{}|>", tokens.len()));
    }
    tokens.join("\n")
}

pub(super) fn write_ct2_dir(dir: &Path, model: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("model.bin"), model).unwrap();
    std::fs::write(dir.join("vocabulary.txt"), vocabulary_txt()).unwrap();
}

pub(super) fn converted() -> (Vec<u8>, ConvertSummary) {
    let model = Ct2Model::parse(Path::new("model.bin"), tiny_model()).unwrap();
    let tokens: Vec<String> = vocabulary_txt().split('\n').map(String::from).collect();
    let mut out = Vec::new();
    let summary = convert(&model, &tokens, None, &mut out, |_, _| {}).unwrap();
    (out, summary)
}

#[test]
fn header_fields_come_from_tensor_shapes() {
    let (bytes, summary) = converted();
    let info = GgmlInfo::parse(&bytes).unwrap();
    let h = info.hparams;
    assert_eq!(h, summary.hparams);
    assert_eq!(
        (
            h.n_vocab,
            h.n_audio_ctx,
            h.n_audio_state,
            h.n_audio_head,
            h.n_audio_layer
        ),
        (VOCAB as i32, 10, STATE as i32, 1, 1)
    );
    assert_eq!(
        (
            h.n_text_ctx,
            h.n_text_state,
            h.n_text_head,
            h.n_text_layer,
            h.n_mels,
            h.ftype
        ),
        (8, STATE as i32, 1, 1, 80, 1)
    );
    assert_eq!(summary.bytes as usize, bytes.len());
}

#[test]
fn mel_bank_and_vocabulary_are_written_as_whisper_cpp_reads_them() {
    let (bytes, _) = converted();
    let info = GgmlInfo::parse(&bytes).unwrap();
    assert_eq!(info.mel, (80, 201));
    let mel_start = 48 + 8;
    let first_row: Vec<f32> = bytes[mel_start..mel_start + 201 * 4]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(first_row, mel_filter_bank(80)[..201]);
    assert_eq!(
        info.vocab.len(),
        50_257,
        "ordinary tokens up to <|endoftext|>"
    );
    assert_eq!(info.vocab[0], b" ");
    assert_eq!(info.vocab[1], "あ".as_bytes());
    assert!(info.vocab[50_256].is_empty());
}

#[test]
fn tensors_have_whisper_cpp_names_shapes_and_types() {
    let (bytes, _) = converted();
    let info = GgmlInfo::parse(&bytes).unwrap();
    assert_eq!(info.tensors.len(), 7 + 15 + 4 + 24);
    let get = |name: &str| {
        info.tensors
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no tensor {name}"))
    };
    let s = STATE;
    let expect = [
        ("encoder.positional_embedding", vec![s, 10], 0),
        ("encoder.conv1.weight", vec![3, 80, s], 1),
        ("encoder.conv1.bias", vec![1, s], 0),
        ("encoder.blocks.0.attn.query.weight", vec![s, s], 1),
        ("encoder.blocks.0.attn.query.bias", vec![s], 0),
        ("encoder.blocks.0.attn.key.weight", vec![s, s], 1),
        ("encoder.blocks.0.mlp.0.weight", vec![s, 4 * s], 1),
        ("encoder.blocks.0.mlp.2.weight", vec![4 * s, s], 1),
        ("encoder.ln_post.weight", vec![s], 0),
        ("decoder.token_embedding.weight", vec![s, VOCAB], 1),
        ("decoder.positional_embedding", vec![s, 8], 0),
        ("decoder.blocks.0.cross_attn.key.weight", vec![s, s], 1),
        ("decoder.blocks.0.cross_attn.value.bias", vec![s], 0),
        ("decoder.blocks.0.cross_attn_ln.bias", vec![s], 0),
        ("decoder.ln.weight", vec![s], 0),
    ];
    for (name, ne, ttype) in expect {
        let t = get(name);
        assert_eq!((t.ne.clone(), t.ttype), (ne, ttype), "{name}");
    }
    assert!(info.tensors.iter().all(|t| !t.name.contains("key.bias")));
}

/// The data of tensor `name` in a converted file.
fn tensor_data<'a>(bytes: &'a [u8], info: &GgmlInfo, name: &str) -> &'a [u8] {
    let t = info.tensors.iter().find(|t| t.name == name).unwrap();
    let header = [
        &(t.ne.len() as i32).to_le_bytes()[..],
        &(t.name.len() as i32).to_le_bytes(),
        &t.ttype.to_le_bytes(),
    ]
    .concat();
    let mut with_dims = header;
    for d in &t.ne {
        with_dims.extend_from_slice(&(*d as i32).to_le_bytes());
    }
    with_dims.extend_from_slice(t.name.as_bytes());
    let start = bytes
        .windows(with_dims.len())
        .position(|w| w == with_dims.as_slice())
        .unwrap()
        + with_dims.len();
    let size = t.ne.iter().product::<usize>() * if t.ttype == 0 { 4 } else { 2 };
    &bytes[start..start + size]
}

#[test]
fn fused_projections_are_split_into_the_right_rows() {
    let (bytes, _) = converted();
    let info = GgmlInfo::parse(&bytes).unwrap();
    let model = Ct2Model::parse(Path::new("model.bin"), tiny_model()).unwrap();
    let (_, fused) = model
        .get("encoder/layer_0/self_attention/linear_0/weight")
        .unwrap();
    let third = fused.len() / 3;
    for (k, name) in ["query", "key", "value"].iter().enumerate() {
        let got = tensor_data(
            &bytes,
            &info,
            &format!("encoder.blocks.0.attn.{name}.weight"),
        );
        assert_eq!(got, &fused[k * third..(k + 1) * third], "{name}");
    }
    let (_, kv) = model
        .get("decoder/layer_0/attention/linear_1/weight")
        .unwrap();
    let value = tensor_data(&bytes, &info, "decoder.blocks.0.cross_attn.value.weight");
    assert_eq!(value, &kv[kv.len() / 2..]);
    let (_, bias) = model
        .get("encoder/layer_0/self_attention/linear_0/bias")
        .unwrap();
    let value_bias = tensor_data(&bytes, &info, "encoder.blocks.0.attn.value.bias");
    let want: Vec<u8> = bias[2 * bias.len() / 3..]
        .chunks_exact(2)
        .flat_map(|b| {
            half::f16::from_le_bytes([b[0], b[1]])
                .to_f32()
                .to_le_bytes()
        })
        .collect();
    assert_eq!(value_bias, want.as_slice(), "1-D tensors widened to f32");
}

#[test]
fn install_from_a_ct2_directory_then_again_is_a_no_op() {
    let tmp = tempfile::tempdir().unwrap();
    write_ct2_dir(&tmp.path().join("ct2"), &tiny_model());
    let store = ModelStore::new(tmp.path().join("models"));
    let request = InstallRequest {
        name: Some("tiny-test".into()),
        from: vec![tmp.path().join("ct2")],
        force: false,
        quantize: None,
    };
    let report = store.install(&request, |_| {}).unwrap();
    assert!(matches!(report.whisper, Installed::Converted { .. }));
    let path = store.whisper_model("tiny-test").unwrap();
    let first = std::fs::read(&path).unwrap();
    let (expected, _) = converted();
    assert_eq!(first, expected);
    let again = store.install(&request, |_| {}).unwrap();
    assert!(matches!(again.whisper, Installed::Present(_)));
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn truncated_model_bin_is_named_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let mut model = tiny_model();
    model.truncate(model.len() - 1000);
    write_ct2_dir(&tmp.path().join("ct2"), &model);
    let store = ModelStore::new(tmp.path().join("models"));
    let request = InstallRequest {
        name: Some("broken".into()),
        from: vec![tmp.path().join("ct2")],
        force: false,
        quantize: None,
    };
    let err = store.install(&request, |_| {}).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("model.bin"), "{message}");
    assert!(message.contains("truncated"), "{message}");
    let left: Vec<_> = std::fs::read_dir(store.dir()).unwrap().collect();
    assert!(left.is_empty(), "half-written files left: {left:?}");
}

#[test]
fn truncated_ggml_file_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut bytes, _) = converted();
    bytes.truncate(bytes.len() / 2);
    let file = tmp.path().join("ggml-half.bin");
    std::fs::write(&file, &bytes).unwrap();
    let store = ModelStore::new(tmp.path().join("models"));
    let request = InstallRequest {
        name: None,
        from: vec![file.clone()],
        force: false,
        quantize: None,
    };
    let message = store.install(&request, |_| {}).unwrap_err().to_string();
    assert!(
        message.contains("ggml-half.bin") && message.contains("truncated"),
        "{message}"
    );
    assert!(store.whisper_model("half").is_err());
}

#[test]
fn a_complete_ggml_file_is_installed_under_its_name() {
    let tmp = tempfile::tempdir().unwrap();
    let (bytes, _) = converted();
    let file = tmp.path().join("ggml-kotoba.bin");
    std::fs::write(&file, &bytes).unwrap();
    let store = ModelStore::new(tmp.path().join("models"));
    let request = InstallRequest {
        name: None,
        from: vec![file],
        force: false,
        quantize: None,
    };
    store.install(&request, |_| {}).unwrap();
    assert_eq!(
        std::fs::read(store.whisper_model("kotoba").unwrap()).unwrap(),
        bytes
    );
}

#[test]
fn model_without_vocabulary_is_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ct2");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("model.bin"), tiny_model()).unwrap();
    let store = ModelStore::new(tmp.path().join("models"));
    let request = InstallRequest {
        name: None,
        from: vec![dir],
        force: false,
        quantize: None,
    };
    let message = store.install(&request, |_| {}).unwrap_err().to_string();
    assert!(message.contains("vocabulary"), "{message}");
}

#[test]
fn missing_model_error_says_how_to_install() {
    let store = ModelStore::new("/nonexistent/models");
    let message = store.whisper_model("base").unwrap_err().to_string();
    assert!(
        message.contains("kaigiroku model install base"),
        "{message}"
    );
}

/// Byte offset of the vocabulary size in a converted file (after the
/// header and the 80 × 201 mel filters).
const VOCAB_COUNT_AT: usize = 48 + 8 + 80 * 201 * 4;

fn put_i32(bytes: &mut [u8], at: usize, value: i32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Installs `bytes` as `--from DIR/NAME` and returns the error's message.
fn install_error(name: &str, bytes: &[u8]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let store = ModelStore::new(tmp.path().join("models"));
    let request = InstallRequest {
        name: None,
        from: vec![file],
        force: false,
        quantize: None,
    };
    let err = store.install(&request, |_| {}).unwrap_err();
    assert!(matches!(err, ModelError::Ggml { .. }), "{err}");
    assert!(std::fs::read_dir(store.dir()).unwrap().next().is_none());
    err.to_string()
}

#[test]
fn a_header_with_a_huge_vocabulary_is_an_error_not_an_allocation() {
    // Just the header: magic, hyper-parameters, a 1 × 1 filter bank, then
    // 2³¹ − 1 tokens announced and none there.
    let mut bytes = ggml::MAGIC.to_le_bytes().to_vec();
    for v in [51_865, 1500, 512, 8, 6, 448, 512, 8, 6, 80, 1] {
        bytes.extend_from_slice(&i32::to_le_bytes(v));
    }
    for v in [1, 1, 0, 0x7fff_ffff] {
        bytes.extend_from_slice(&i32::to_le_bytes(v));
    }
    bytes.extend_from_slice(b"short");
    let err = GgmlInfo::parse(&bytes).unwrap_err();
    assert!(
        matches!(
            &err,
            GgmlError::ImpossibleCount {
                value: 0x7fff_ffff,
                at: 60,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("vocabulary size"), "{err}");
    let message = install_error("ggml-crafted.bin", &bytes);
    assert!(
        message.contains("ggml-crafted.bin") && message.contains("2147483647"),
        "{message}"
    );
}

#[test]
fn huge_or_negative_counts_in_a_real_layout_are_refused() {
    let (good, _) = converted();
    let mut vocab = good.clone();
    put_i32(&mut vocab, VOCAB_COUNT_AT, 0x7fff_ffff);
    assert!(matches!(
        GgmlInfo::parse(&vocab),
        Err(GgmlError::ImpossibleCount { .. })
    ));
    let mut mel = good.clone();
    put_i32(&mut mel, 48, 0x7fff_ffff);
    put_i32(&mut mel, 52, 0x7fff_ffff);
    let err = GgmlInfo::parse(&mel).unwrap_err();
    assert!(err.to_string().contains("mel filter bank"), "{err}");
    let mut token = good.clone();
    put_i32(&mut token, VOCAB_COUNT_AT + 4, -1);
    assert!(matches!(
        GgmlInfo::parse(&token),
        Err(GgmlError::ImpossibleCount { value: -1, .. })
    ));
    // The first tensor's first dimension, after its three header words.
    let first_tensor = VOCAB_COUNT_AT
        + 4
        + GgmlInfo::parse(&good)
            .unwrap()
            .vocab
            .iter()
            .map(|t| 4 + t.len())
            .sum::<usize>();
    let mut dims = good.clone();
    put_i32(&mut dims, first_tensor + 12, 0x7fff_ffff);
    put_i32(&mut dims, first_tensor + 16, 0x7fff_ffff);
    let err = GgmlInfo::parse(&dims).unwrap_err();
    assert!(
        err.to_string()
            .contains("tensor encoder.positional_embedding"),
        "{err}"
    );
    // A third dimension (the name's first bytes, "enco", then the name
    // from "der.") makes more bytes than a usize holds.
    put_i32(&mut dims, first_tensor, 3);
    let err = GgmlInfo::parse(&dims).unwrap_err();
    assert!(
        matches!(&err, GgmlError::ImpossibleCount { what, .. } if what.contains("der.positional_embedding")),
        "{err}"
    );
}

#[test]
fn a_header_that_disagrees_with_its_tensors_is_refused() {
    // whisper.cpp sizes its buffers from the header's n_vocab before it
    // reads the token embedding that would show it wrong.
    let (mut bytes, _) = converted();
    put_i32(&mut bytes, 4, 0x7fff_ffff);
    let err = GgmlInfo::parse(&bytes).unwrap_err();
    assert!(
        matches!(&err, GgmlError::Shape { name, .. } if name == "decoder.token_embedding.weight"),
        "{err}"
    );
    let message = install_error("ggml-wrong.bin", &bytes);
    assert!(message.contains("ggml-wrong.bin"), "{message}");
}

#[test]
fn ct2_shapes_that_overflow_are_corrupt() {
    // 2³¹ × 2³¹ × 4 f16 values: 2⁶⁵ bytes, which wraps to the 0 given.
    let vars = [("big".to_string(), vec![1 << 31, 1 << 31, 4], 4, Vec::new())];
    let err = Ct2Model::parse(Path::new("model.bin"), ct2_bytes(&vars))
        .err()
        .unwrap();
    assert!(err.to_string().contains("variable big"), "{err}");
}
