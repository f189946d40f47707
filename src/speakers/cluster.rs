//! Clustering unit embeddings into speakers: normalisation against the
//! recording (subtract its mean embedding; for the classical features also
//! divide by each dimension's spread), then agglomerative clustering with
//! duration-weighted average linkage on cosine distance, stopping at a
//! distance threshold or when no more clusters than attendees remain, and a
//! few passes re-assigning each unit to its nearest cluster centre.

/// How far apart two embeddings are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// 1 − cosine similarity (neural embeddings).
    Cosine,
    /// Euclidean distance divided by √dimensions (standardised features).
    Euclidean,
}

impl Metric {
    pub fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::Cosine => cosine_distance(a, b),
            Metric::Euclidean => {
                let sum: f32 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
                (sum / a.len().max(1) as f32).sqrt()
            }
        }
    }
}

/// Normalises embeddings in place. Missing values (NaN) become the mean.
/// `standardise`: divide every dimension by its standard deviation.
/// `weights` (one per embedding, e.g. seconds) weight the statistics; each
/// dimension is then multiplied by its `gains` entry (1 when absent).
pub fn normalise(embeddings: &mut [Vec<f32>], weights: &[f64], standardise: bool, gains: &[f32]) {
    let Some(dim) = embeddings.first().map(Vec::len) else {
        return;
    };
    let mut mean = vec![0f64; dim];
    let mut total = vec![0f64; dim];
    for (e, &w) in embeddings.iter().zip(weights) {
        for (k, &v) in e.iter().enumerate() {
            if v.is_finite() {
                mean[k] += w * v as f64;
                total[k] += w;
            }
        }
    }
    for (m, t) in mean.iter_mut().zip(&total) {
        *m /= t.max(1e-9);
    }
    for e in embeddings.iter_mut() {
        for (k, v) in e.iter_mut().enumerate() {
            *v = if v.is_finite() {
                *v - mean[k] as f32
            } else {
                0.0
            };
        }
    }
    if standardise {
        let mut var = vec![0f64; dim];
        for (e, &w) in embeddings.iter().zip(weights) {
            for (k, &v) in e.iter().enumerate() {
                var[k] += w * (v as f64).powi(2);
            }
        }
        let sum: f64 = weights.iter().sum::<f64>().max(1e-9);
        for e in embeddings.iter_mut() {
            for (k, v) in e.iter_mut().enumerate() {
                *v /= ((var[k] / sum).sqrt() as f32).max(1e-6);
            }
        }
    }
    for e in embeddings.iter_mut() {
        for (v, g) in e.iter_mut().zip(gains) {
            *v *= g;
        }
    }
}

fn cosine_distance(a: &[f32], b: &[f32]) -> f32 {
    let (mut ab, mut aa, mut bb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    1.0 - ab / (aa.sqrt() * bb.sqrt()).max(1e-9)
}

/// Clusters `embeddings` (weighted by `weights`); returns a cluster index per
/// embedding, clusters numbered by first appearance. Merging stops when the
/// closest two clusters are further apart than `threshold`, but always
/// continues while more than `max_clusters` remain.
pub fn agglomerate(
    embeddings: &[Vec<f32>],
    weights: &[f64],
    metric: Metric,
    threshold: f32,
    max_clusters: usize,
) -> Vec<usize> {
    let n = embeddings.len();
    if n == 0 {
        return Vec::new();
    }
    let mut distance = vec![vec![0f32; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let d = metric.distance(&embeddings[i], &embeddings[j]);
            distance[i][j] = d;
            distance[j][i] = d;
        }
    }
    let mut alive: Vec<bool> = vec![true; n];
    let mut weight: Vec<f64> = weights.iter().map(|w| w.max(1e-3)).collect();
    let mut member: Vec<usize> = (0..n).collect();
    let mut clusters = n;
    while clusters > 1 {
        let mut best = (usize::MAX, usize::MAX, f32::INFINITY);
        for i in (0..n).filter(|&i| alive[i]) {
            for j in (i + 1..n).filter(|&j| alive[j]) {
                if distance[i][j] < best.2 {
                    best = (i, j, distance[i][j]);
                }
            }
        }
        let (i, j, d) = best;
        if i == usize::MAX || (d > threshold && clusters <= max_clusters.max(1)) {
            break;
        }
        // Lance–Williams update for weighted average linkage.
        let (wi, wj) = (weight[i], weight[j]);
        for k in (0..n).filter(|&k| alive[k] && k != i && k != j) {
            let merged =
                ((wi * distance[k][i] as f64 + wj * distance[k][j] as f64) / (wi + wj)) as f32;
            distance[k][i] = merged;
            distance[i][k] = merged;
        }
        weight[i] += wj;
        alive[j] = false;
        for m in member.iter_mut() {
            if *m == j {
                *m = i;
            }
        }
        clusters -= 1;
    }
    refine(embeddings, weights, metric, &mut member, 3);
    renumber(&member)
}

/// Like [`agglomerate`], but only embeddings of at least `reliable` weight
/// (seconds) form clusters; the shorter ones, whose statistics are noisy,
/// then join the nearest cluster centre.
pub fn agglomerate_reliable(
    embeddings: &[Vec<f32>],
    weights: &[f64],
    metric: Metric,
    threshold: f32,
    max_clusters: usize,
    reliable: f64,
) -> Vec<usize> {
    let long: Vec<usize> = (0..embeddings.len())
        .filter(|&i| weights[i] >= reliable)
        .collect();
    if long.len() < 2 || long.len() == embeddings.len() {
        return agglomerate(embeddings, weights, metric, threshold, max_clusters);
    }
    let long_embeddings: Vec<Vec<f32>> = long.iter().map(|&i| embeddings[i].clone()).collect();
    let long_weights: Vec<f64> = long.iter().map(|&i| weights[i]).collect();
    let long_labels = agglomerate(
        &long_embeddings,
        &long_weights,
        metric,
        threshold,
        max_clusters,
    );
    let centres = centres(&long_embeddings, &long_weights, &long_labels);
    let mut member = vec![0usize; embeddings.len()];
    for (k, &i) in long.iter().enumerate() {
        member[i] = long_labels[k];
    }
    for i in (0..embeddings.len()).filter(|&i| weights[i] < reliable) {
        member[i] = nearest(metric, &embeddings[i], &centres).unwrap_or(0);
    }
    renumber(&member)
}

/// Weighted mean embedding of each cluster label 0..=max.
fn centres(embeddings: &[Vec<f32>], weights: &[f64], member: &[usize]) -> Vec<Vec<f32>> {
    let dim = embeddings.first().map_or(0, Vec::len);
    let n = member.iter().max().map_or(0, |m| m + 1);
    let mut sums = vec![vec![0f64; dim]; n];
    let mut totals = vec![0f64; n];
    for ((e, &w), &m) in embeddings.iter().zip(weights).zip(member) {
        for (s, &v) in sums[m].iter_mut().zip(e) {
            *s += w * v as f64;
        }
        totals[m] += w;
    }
    sums.into_iter()
        .zip(totals)
        .map(|(s, t)| s.into_iter().map(|v| (v / t.max(1e-9)) as f32).collect())
        .collect()
}

fn nearest(metric: Metric, e: &[f32], centres: &[Vec<f32>]) -> Option<usize> {
    centres
        .iter()
        .map(|c| metric.distance(e, c))
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

/// Re-assigns every embedding to the nearest cluster centre, `passes` times.
fn refine(
    embeddings: &[Vec<f32>],
    weights: &[f64],
    metric: Metric,
    member: &mut [usize],
    passes: usize,
) {
    let dim = embeddings[0].len();
    for _ in 0..passes {
        let labels: Vec<usize> = {
            let mut l = member.to_vec();
            l.sort_unstable();
            l.dedup();
            l
        };
        let centres: Vec<Vec<f32>> = labels
            .iter()
            .map(|&label| {
                let mut c = vec![0f32; dim];
                for (e, (&m, &w)) in embeddings.iter().zip(member.iter().zip(weights)) {
                    if m == label {
                        for (ck, ek) in c.iter_mut().zip(e) {
                            *ck += w as f32 * ek;
                        }
                    }
                }
                let total: f64 = member
                    .iter()
                    .zip(weights)
                    .filter(|(&m, _)| m == label)
                    .map(|(_, &w)| w)
                    .sum();
                c.iter_mut().for_each(|v| *v /= total.max(1e-9) as f32);
                c
            })
            .collect();
        let mut changed = false;
        for (e, m) in embeddings.iter().zip(member.iter_mut()) {
            let nearest = centres
                .iter()
                .map(|c| metric.distance(e, c))
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, _)| labels[k]);
            if let Some(label) = nearest {
                if label != *m {
                    *m = label;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// Cluster labels renumbered 0, 1, … in order of first appearance.
fn renumber(member: &[usize]) -> Vec<usize> {
    let mut map = std::collections::HashMap::new();
    member
        .iter()
        .map(|m| {
            let next = map.len();
            *map.entry(*m).or_insert(next)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_two_obvious_groups_and_respects_the_bound() {
        let e = vec![
            vec![1.0, 0.1],
            vec![0.9, 0.0],
            vec![0.0, 1.0],
            vec![0.1, 0.9],
        ];
        let w = vec![1.0; 4];
        assert_eq!(
            agglomerate(&e, &w, Metric::Cosine, 0.3, 4),
            vec![0, 0, 1, 1]
        );
        assert_eq!(
            agglomerate(&e, &w, Metric::Euclidean, 0.3, 4),
            vec![0, 0, 1, 1]
        );
        assert_eq!(
            agglomerate(&e, &w, Metric::Cosine, 0.0, 1),
            vec![0, 0, 0, 0]
        );
    }
}
