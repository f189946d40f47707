//! Scoring turns against known truth, for tests and benchmarks: role
//! accuracy (the share of true speech time whose role is right) and
//! role-change boundary F1 (a boundary is the middle of the pause between
//! two turns whose roles differ; a found boundary matches a true one within
//! a tolerance, one to one).

use crate::meeting::Role;
use crate::types::Turn;

/// A truly spoken stretch and its speaker's role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSpan {
    pub start: f64,
    pub end: f64,
    pub role: Role,
}

/// Share (0–1) of the truth's speech time covered by a turn of the right role.
pub fn role_accuracy(truth: &[RoleSpan], turns: &[Turn]) -> f64 {
    let total: f64 = truth.iter().map(|t| (t.end - t.start).max(0.0)).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let right: f64 = truth
        .iter()
        .map(|t| {
            turns
                .iter()
                .filter(|u| u.role == t.role)
                .map(|u| (u.end.min(t.end) - u.start.max(t.start)).max(0.0))
                .sum::<f64>()
        })
        .sum();
    right / total
}

/// Times where the role changes: the middle of the pause between two
/// consecutive stretches of different roles.
pub fn role_changes<'a>(spans: impl IntoIterator<Item = (f64, f64, &'a Role)>) -> Vec<f64> {
    let spans: Vec<(f64, f64, &Role)> = spans.into_iter().collect();
    spans
        .windows(2)
        .filter(|w| w[0].2 != w[1].2)
        .map(|w| (w[0].1 + w[1].0) / 2.0)
        .collect()
}

/// Precision, recall and F1 of found role changes against true ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundaryScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub found: usize,
    pub truth: usize,
}

/// Role-change boundary F1 of `turns` against `truth`, matching within
/// `tolerance` seconds (each true boundary matches at most one found one).
pub fn boundary_f1(truth: &[RoleSpan], turns: &[Turn], tolerance: f64) -> BoundaryScore {
    let truth_changes = role_changes(truth.iter().map(|t| (t.start, t.end, &t.role)));
    let found = role_changes(turns.iter().map(|t| (t.start, t.end, &t.role)));
    let mut used = vec![false; truth_changes.len()];
    let mut hits = 0usize;
    for f in &found {
        let best = truth_changes
            .iter()
            .enumerate()
            .filter(|(k, t)| !used[*k] && (*t - f).abs() <= tolerance)
            .min_by(|a, b| (a.1 - f).abs().total_cmp(&(b.1 - f).abs()));
        if let Some((k, _)) = best {
            used[k] = true;
            hits += 1;
        }
    }
    let precision = if found.is_empty() {
        0.0
    } else {
        hits as f64 / found.len() as f64
    };
    let recall = if truth_changes.is_empty() {
        0.0
    } else {
        hits as f64 / truth_changes.len() as f64
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    BoundaryScore {
        precision,
        recall,
        f1,
        found: found.len(),
        truth: truth_changes.len(),
    }
}
