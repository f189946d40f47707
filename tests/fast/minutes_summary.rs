//! Chooses the 要旨 method by measurement: on the full sample meeting (the
//! published minutes of 2022-01-26, spoken), each method's summaries are
//! compared with the published 要旨 (character-bigram F1, per item and
//! mean), checked for the presentation's key numbers and names (recall),
//! and for spoken endings (です・ます), which the written 要旨 must not have.
//! `cargo test --release --test fast minutes_summary -- --nocapture` prints the table.

use crate::minutes_support;

use std::collections::HashSet;

use kaigiroku::ja::written::is_spoken_ending;
use kaigiroku::ja::{bigrams, sentences};
use kaigiroku::minutes::phrases::is_boilerplate;
use kaigiroku::minutes::{Drafter, SummaryMethod};
use minutes_support::{meeting, published_summaries, truth, FULL_MEETING};

/// The least mean bigram F1 of the scored 要旨 against the published ones:
/// 0.707 with spoken sentences and a budget of 0.6 / 320 characters, 0.815
/// written with 0.8 / 400 (the aim was 0.65); a small margin below that.
const MIN_F1: f64 = 0.78;

/// Key facts a 要旨 must keep: numbers with their unit word, Latin names,
/// and glossary terms, as they occur in the presentation.
fn key_terms(presentation: &str, glossary: &[String]) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let chars: Vec<char> = presentation.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_alphanumeric() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '-') {
                i += 1;
            }
            // A number keeps the next character (年, 月, 件, グ…) to be a fact, not a digit.
            let end = if chars[start].is_ascii_digit() {
                (i + 1).min(chars.len())
            } else {
                i
            };
            terms.push(chars[start..end].iter().collect());
        } else {
            i += 1;
        }
    }
    terms.extend(
        glossary
            .iter()
            .filter(|g| presentation.contains(g.as_str()))
            .cloned(),
    );
    let mut seen = HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    terms
}

fn f1(a: &str, b: &str) -> f64 {
    let (x, y) = (bigrams(a), bigrams(b));
    let common = x.intersection(&y).count() as f64;
    if common == 0.0 {
        return 0.0;
    }
    let (p, r) = (common / x.len() as f64, common / y.len() as f64);
    2.0 * p * r / (p + r)
}

#[test]
fn the_scored_summary_wins_on_the_full_sample() {
    let t = truth("kaigi-2022-01-full").unwrap();
    let m = meeting("kaigi-2022-01-full", FULL_MEETING);
    let turns = t.turns();
    let published = published_summaries("kaigi-2022-01-full");
    assert_eq!(
        published.len(),
        6,
        "samples/kaigi-2022-01-full/summary.toml"
    );
    println!(
        "method  | bigram F1 vs published 要旨 (mean; per item) | key-term recall | spoken endings | length / presentation"
    );
    let mut results = Vec::new();
    for method in [
        SummaryMethod::Scored,
        SummaryMethod::Lead,
        SummaryMethod::Full,
    ] {
        let d = Drafter::builder(&m)
            .summary(method)
            .build()
            .draft(&turns, &[])
            .unwrap();
        assert_eq!(d.items.len(), 6);
        let (mut f, mut hit, mut total, mut len, mut plen) = (0.0, 0, 0, 0, 0);
        let (mut spoken, mut said) = (0, 0);
        let mut per_item = Vec::new();
        for (item, published) in d.items.iter().zip(&published) {
            let presentation: String = item
                .presentation
                .iter()
                .flat_map(|&i| sentences(&d.turn(i).unwrap().text))
                .filter(|s| !is_boilerplate(s.text))
                .map(|s| s.text)
                .collect();
            let summary: String = item.summary.iter().map(|s| s.text.as_str()).collect();
            let item_f1 = f1(&summary, published);
            per_item.push(item_f1);
            f += item_f1;
            said += item.summary.len();
            spoken += item
                .summary
                .iter()
                .filter(|s| is_spoken_ending(&s.text))
                .count();
            let keys = key_terms(&presentation, &m.glossary);
            hit += keys.iter().filter(|k| summary.contains(k.as_str())).count();
            total += keys.len();
            len += summary.chars().count();
            plen += presentation.chars().count();
            if method == SummaryMethod::Scored {
                let missing: Vec<_> = keys
                    .iter()
                    .filter(|k| !summary.contains(k.as_str()))
                    .collect();
                println!("  {}: missing {missing:?}\n    {summary}", item.heading());
            }
        }
        let (f, recall, ratio) = (f / 6.0, hit as f64 / total as f64, len as f64 / plen as f64);
        let spoken_share = spoken as f64 / said.max(1) as f64;
        let items: Vec<String> = per_item.iter().map(|x| format!("{x:.3}")).collect();
        println!(
            "{method:?}\t| {f:.3}; {} | {recall:.3} ({hit}/{total}) | {spoken_share:.2} ({spoken}/{said}) | {ratio:.2}",
            items.join(" ")
        );
        results.push((method, f, recall, spoken_share));
    }
    let scored = results[0];
    let lead = results[1];
    // The written style: as like the clerk's 要旨 as measured, and almost
    // no です・ます left (92 % of the sentences ended in them before).
    assert!(scored.1 >= MIN_F1, "bigram F1 {:.3}", scored.1);
    assert!(scored.3 <= 0.10, "spoken endings {:.2}", scored.3);
    // Near the first sentences in likeness to the published 要旨, far ahead in facts kept.
    assert!(
        scored.1 >= lead.1 - 0.05 && scored.2 >= lead.2 + 0.1,
        "{results:?}"
    );
    assert!(scored.2 >= 0.8, "key-term recall {:.3}", scored.2);
}
