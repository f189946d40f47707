//! The mel filter bank whisper.cpp reads from a ggml model file: Slaney-style
//! mel scale with Slaney area normalisation, as `librosa.filters.mel(sr=16000,
//! n_fft=400, n_mels=N)` computes it (OpenAI's `mel_filters.npz`).

/// Sample rate Whisper works at.
pub const SAMPLE_RATE: f64 = 16_000.0;
/// FFT size of Whisper's front end; the bank has `N_FFT / 2 + 1` columns.
pub const N_FFT: usize = 400;

fn hz_to_mel(hz: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        mel * f_sp
    }
}

/// Row-major `n_mels × (N_FFT/2+1)` weights.
pub fn filter_bank(n_mels: usize) -> Vec<f32> {
    let n_bins = N_FFT / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_bins)
        .map(|i| i as f64 * (SAMPLE_RATE / 2.0) / (n_bins - 1) as f64)
        .collect();
    let (min_mel, max_mel) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2.0));
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(min_mel + (max_mel - min_mel) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut weights = Vec::with_capacity(n_mels * n_bins);
    for m in 0..n_mels {
        let (lo, mid, hi) = (mel_f[m], mel_f[m + 1], mel_f[m + 2]);
        let enorm = 2.0 / (hi - lo);
        for &f in &fft_freqs {
            let lower = (f - lo) / (mid - lo);
            let upper = (hi - f) / (hi - mid);
            weights.push((lower.min(upper).max(0.0) * enorm) as f32);
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values printed by librosa 0.11.0:
    /// `librosa.filters.mel(sr=16000, n_fft=400, n_mels=N)[row, col]`.
    fn assert_matches_librosa(n_mels: usize, known: &[(usize, usize, f32)]) {
        let bank = filter_bank(n_mels);
        assert_eq!(bank.len(), n_mels * 201);
        for &(row, col, want) in known {
            let got = bank[row * 201 + col];
            assert!(
                (got - want).abs() < 1e-7,
                "n_mels={n_mels} [{row},{col}] = {got}, librosa {want}"
            );
        }
    }

    #[test]
    fn matches_librosa_80() {
        assert_matches_librosa(
            80,
            &[
                (0, 0, 0.0),
                (0, 1, 0.024_862_595),
                (1, 1, 0.001_990_822),
                (1, 2, 0.022_871_772),
                (10, 10, 0.019_908_218),
                (10, 11, 0.004_954_375),
                (40, 42, 0.005_411_105),
                (40, 43, 0.014_735_566),
                (40, 44, 0.006_518_19),
                (79, 186, 0.000_366_741_67),
                (79, 199, 0.000_448_759),
                (79, 200, 0.0),
            ],
        );
        let sum: f32 = filter_bank(80).iter().sum();
        assert!((sum - 1.999_024_2).abs() < 1e-4, "sum {sum}");
    }

    #[test]
    fn matches_librosa_128_for_large_v3() {
        assert_matches_librosa(
            128,
            &[
                (0, 1, 0.012_373_987),
                (100, 100, 0.002_578_351),
                (100, 101, 0.006_775_829),
                (127, 191, 0.000_475_695_1),
                (127, 192, 0.001_617_171_7),
            ],
        );
    }

    #[test]
    fn every_filter_is_a_triangle_with_some_weight() {
        let bank = filter_bank(80);
        for row in bank.chunks(201) {
            assert!(row.iter().any(|&w| w > 0.0));
            assert!(row.iter().all(|&w| w >= 0.0));
        }
    }
}
