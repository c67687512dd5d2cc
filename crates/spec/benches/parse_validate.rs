//! Parse and validate 10,000 budgets with notifications (targets on 2 cores:
//! one file ≤ 400 ms median, ten files ≤ 250 ms, ≤ 100 MB peak RSS). Run with `cargo bench -p budgetctl-spec --bench parse_validate`.
//!
//! A plain bench binary rather than criterion: besides time it reports the
//! process's peak resident set size, which criterion does not measure.

#![allow(clippy::print_stdout, clippy::print_stderr)] // figures are this target's output

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use budgetctl_spec::{SourceFile, load_sources};

const BUDGETS: usize = 10_000;
const RUNS: usize = 15;

/// A realistic file: varied budgets, two alerts each, filters and tags.
fn generate(budgets: std::ops::Range<usize>) -> String {
    let mut y =
        String::from("version: 1\ndefaults:\n  account: \"111122223333\"\n  unit: USD\nbudgets:\n");
    for i in budgets {
        let _ = writeln!(y, "  - name: team-{i:05}-monthly");
        match i % 4 {
            0 => {
                let _ = writeln!(y, "    limit: {}.50", 100 + i);
            }
            1 => {
                let _ = write!(
                    y,
                    "    planned:\n      2026-11: {}\n      2026-12: {}\n      2027-01: {}\n",
                    i,
                    i + 1,
                    i + 2
                );
            }
            2 => y.push_str("    period: quarterly\n    auto_adjust: { historical: 4 }\n"),
            _ => {
                let _ = write!(y, "    type: usage\n    limit: \"{i} GB\"\n");
            }
        }
        if i % 4 == 0 {
            y.push_str("    cost_types: { tax: false, amortized: true }\n");
            y.push_str("    filters: { Service: [\"Amazon Elastic Compute Cloud - Compute\"], Region: [us-east-1] }\n");
        }
        let _ = write!(
            y,
            "    notifications:\n      - on: actual > 80%\n        to: [team-{i}@example.com, \"arn:aws:sns:us-east-1:111122223333:alerts\"]\n      - type: forecasted\n        comparison: greater-than\n        threshold: 100\n        subscribers: [finops@example.com]\n    tags: {{ team: team-{i}, env: prod }}\n"
        );
    }
    y
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Time `load_sources` over `runs` runs of the given files.
fn measure(label: &str, files: &[String], runs: usize) {
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let sources = files
            .iter()
            .enumerate()
            .map(|(i, text)| SourceFile {
                path: format!("bench-{i}.yaml").into(),
                text: text.clone(),
            })
            .collect();
        let started = Instant::now();
        let loaded = load_sources(sources);
        times.push(started.elapsed());
        assert!(!loaded.has_errors(), "{}", loaded.diagnostics[0]);
        assert_eq!(loaded.config.budgets.len(), BUDGETS);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let bytes: usize = files.iter().map(String::len).sum();
    println!(
        "{label}: parse+validate {BUDGETS} budgets ({:.1} MB of YAML), {runs} runs: min {:.1} ms, median {:.1} ms, max {:.1} ms",
        bytes as f64 / 1e6,
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
    );
}

/// serde-saphyr's parse into the located tree alone, without decoding: the
/// part of a one-file run that cannot be spread over cores.
fn measure_parse(text: &str, runs: usize) {
    let file = std::sync::Arc::new(SourceFile {
        path: "bench.yaml".into(),
        text: text.to_owned(),
    });
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let root = budgetctl_spec::yaml::parse(&file).expect("the bench file parses");
            let elapsed = started.elapsed();
            drop(root);
            elapsed
        })
        .collect();
    times.sort();
    println!(
        "1 file: of which parsing alone, median {:.1} ms",
        times[times.len() / 2].as_secs_f64() * 1000.0
    );
}

fn main() {
    // `cargo test` runs bench targets without `--bench`; keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick { 1 } else { RUNS };
    let report_peak = |label: &str| {
        if let Some(kib) = peak_rss_kib() {
            println!(
                "{label}: peak RSS of the bench process {:.1} MB",
                kib as f64 / 1024.0
            );
        }
        // Reset the high-water mark (Linux: writing 5 to clear_refs) so that
        // the next scenario's peak is its own.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    };
    let one_file = vec![generate(0..BUDGETS)];
    measure("1 file", &one_file, runs);
    measure_parse(&one_file[0], runs);
    report_peak("1 file");
    drop(one_file);
    let ten_files: Vec<String> = (0..10)
        .map(|f| generate(f * BUDGETS / 10..(f + 1) * BUDGETS / 10))
        .collect();
    measure("10 files", &ten_files, runs);
    report_peak("10 files");
}
