//! Precision and recall of the duplicate finder on the public dedupe datasets in
//! `../shared/datasets` (skipped, with a note, when the folder is absent).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crm_contacts::dedupe::matcher::{Candidate, Kind, Prepared, groups, pairs};

fn dataset(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("dataset {name} not found at {}: skipped", dir.display());
        None
    }
}

/// Precision, recall and F1 of the pairs the finder groups, against the true clusters.
fn score(candidates: &[Candidate], truth: &[String]) -> (usize, f64, f64, f64) {
    let prepared: Vec<Prepared> = candidates.iter().map(Prepared::new).collect();
    let found = pairs(&prepared, Kind::Company, 0.8);
    let mut predicted = HashSet::new();
    for group in groups(prepared.len(), &found) {
        for (x, &a) in group.iter().enumerate() {
            for &b in &group[x + 1..] {
                predicted.insert((a.min(b), a.max(b)));
            }
        }
    }
    let mut clusters: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in truth.iter().enumerate() {
        clusters.entry(t).or_default().push(i);
    }
    let mut actual = HashSet::new();
    for members in clusters.values() {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                actual.insert((a.min(b), a.max(b)));
            }
        }
    }
    if std::env::var("DEDUPE_DEBUG").is_ok() {
        let mut stats: HashMap<String, (usize, usize)> = HashMap::new();
        for p in &found {
            let key = p.reasons.join("+");
            let e = stats.entry(key).or_default();
            if actual.contains(&(p.a, p.b)) { e.0 += 1 } else { e.1 += 1 }
        }
        println!("direct pairs {}; by reasons (right, wrong): {stats:?}", found.len());
        let mut shown = 0;
        for p in &found {
            if !actual.contains(&(p.a, p.b)) && shown < 12 {
                shown += 1;
                println!("  wrong {:?}: {:?} | {:?}", p.reasons, candidates[p.a], candidates[p.b]);
            }
        }
    }
    if std::env::var("DEDUPE_DEBUG").is_ok() {
        for (a, b) in actual.difference(&predicted).take(25) {
            println!(
                "  missed: {:?} / {:?} | {:?} / {:?}",
                candidates[*a].name, candidates[*a].addresses, candidates[*b].name, candidates[*b].addresses
            );
        }
    }
    let right = predicted.intersection(&actual).count() as f64;
    let precision = right / predicted.len().max(1) as f64;
    let recall = right / actual.len().max(1) as f64;
    (predicted.len(), precision, recall, 2.0 * precision * recall / (precision + recall).max(f64::EPSILON))
}

#[test]
fn restaurants_fodors_zagat() {
    let Some(dir) = dataset("restaurants-fodors-zagat-dedupe") else { return };
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(dir.join("restaurant-nophone-training.csv")).unwrap();
    let (mut candidates, mut truth) = (Vec::new(), Vec::new());
    for (i, row) in reader.records().enumerate() {
        let row = row.unwrap();
        candidates.push(Candidate {
            id: i.to_string(),
            name: row[0].to_string(),
            addresses: vec![(row[1].to_string(), row[2].to_string(), String::new())],
            ..Default::default()
        });
        truth.push(row[4].to_string());
    }
    let (found, precision, recall, f1) = score(&candidates, &truth);
    println!("restaurants: {found} pairs, precision {precision:.3}, recall {recall:.3}, F1 {f1:.3}");
    // The floor: an identical normalized name gives F1 0.82 (precision 0.932, recall 0.732).
    assert!(f1 > 0.9, "F1 {f1:.3}");
}

#[test]
fn chicago_early_childhood() {
    let Some(dir) = dataset("chicago-early-childhood-dedupe") else { return };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(dir.join("csv_example_input_with_true_ids.csv"))
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (truth_col, name_col, address_col, zip_col, phone_col, site_col, email_col) = (
        col("True Id"),
        col("Site name"),
        col("Address"),
        col("Zip"),
        col("Phone"),
        col("Website"),
        col("Email Address"),
    );
    let (mut candidates, mut truth) = (Vec::new(), Vec::new());
    for (i, row) in reader.records().enumerate() {
        let row = row.unwrap();
        let domain = row[site_col]
            .split("//")
            .last()
            .unwrap_or("")
            .trim_start_matches("www.")
            .split('/')
            .next()
            .map(str::to_lowercase)
            .filter(|d| d.contains('.'));
        candidates.push(Candidate {
            id: i.to_string(),
            name: row[name_col].to_string(),
            addresses: vec![(row[address_col].to_string(), String::new(), row[zip_col].to_string())],
            phones: vec![row[phone_col].to_string()],
            emails: vec![row[email_col].to_lowercase()].into_iter().filter(|e| e.contains('@')).collect(),
            domain,
            ..Default::default()
        });
        truth.push(row[truth_col].to_string());
    }
    let (found, precision, recall, f1) = score(&candidates, &truth);
    println!("chicago: {found} pairs, precision {precision:.3}, recall {recall:.3}, F1 {f1:.3}");
    // The floor: an identical normalized address gives precision 0.986, recall 0.428 (F1 0.597).
    assert!(f1 > 0.75, "F1 {f1:.3}");
}
