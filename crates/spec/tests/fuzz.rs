//! A mutation fuzzer for the file decoder, bounded so that it runs in the
//! normal test suite: real budget files (the example and every fixture) are
//! mutated the way hostile or broken files are (bytes cut, tokens YAML treats
//! specially, control and bidirectional characters, huge numbers, tags,
//! anchors, duplicated and swapped lines) and validated. No case may panic,
//! and none may take more than a bounded amount of memory.
//!
//! `FUZZ_CASES=20000 cargo test -p budgetctl-spec --test fuzz --release`
//! runs a longer campaign (default: 2,000 cases).

#![allow(clippy::print_stdout, clippy::print_stderr)] // figures are this target's output

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use budgetctl_spec::load_str;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Counts the bytes held and the most ever held since the last reset.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded to the system allocator with the same layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The files mutations start from.
fn seeds() -> Vec<String> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![crate_dir.join("../../budgets.example.yaml")];
    for dir in ["tests/fixtures/valid", "tests/fixtures/invalid"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(crate_dir.join(dir))
            .expect("fixtures exist")
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        found.sort();
        files.extend(found);
    }
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("seed reads"))
        .collect()
}

/// Pieces a hostile file is made of.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ": ",
    "- ",
    ",",
    "\n",
    "\n  ",
    "\t",
    "'",
    "\"",
    "#",
    "&a ",
    "*a",
    "<<: *a",
    "!!binary ",
    "!x ",
    "~",
    "null",
    "---\n",
    "...",
    "|",
    ">",
    "? ",
    "%YAML 1.2\n",
    "1e400",
    "-1",
    "0x1F",
    "1_000",
    ".nan",
    "99999999999999999999999999999",
    "0.000000000000000000000000000001",
    "\u{1b}]0;x\u{7}",
    "\u{202e}",
    "\u{200b}",
    "\u{2028}",
    "\0",
    "\r",
    "é",
    "🙂",
    "%",
    "USD",
    "name",
    "limit",
    "planned",
    "every",
    "grow",
    "from",
    "notifications",
    "on",
    "to",
    "actual > 80%",
    "forecasted >= 100 USD",
    "tags",
    "filters",
    "filter_expression",
    "and",
    "not",
    "dimensions",
    "account",
    "\"111122223333\"",
    "2026-13",
    "2026-Q5",
    "auto_adjust",
    "historical",
];

#[derive(Debug, Clone)]
enum Mutation {
    Cut { at: usize, len: usize },
    Insert { at: usize, token: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Repeat { at: usize, len: usize, times: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        (any::<usize>(), 1usize..20, 2usize..200).prop_map(|(at, len, times)| Mutation::Repeat {
            at,
            len,
            times
        }),
    ]
}

/// The nearest char boundary at or below `at`, within `text`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, m: &Mutation) {
    match *m {
        Mutation::Cut { at, len } => {
            let start = boundary(text, at);
            let end = boundary(text, start.saturating_add(len).min(text.len()));
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert { at, token } => {
            let at = boundary(text, at);
            text.insert_str(at, TOKENS[token]);
        }
        Mutation::DuplicateLine { line } | Mutation::SwapLines { a: line, .. }
            if text.lines().count() == 0 =>
        {
            let _ = line;
        }
        Mutation::DuplicateLine { line } => {
            let lines: Vec<&str> = text.lines().collect();
            let i = line % lines.len();
            let mut out: Vec<&str> = lines.clone();
            out.insert(i, lines[i]);
            *text = out.join("\n");
        }
        Mutation::SwapLines { a, b } => {
            let mut lines: Vec<&str> = text.lines().collect();
            let n = lines.len();
            lines.swap(a % n, b % n);
            *text = lines.join("\n");
        }
        Mutation::Repeat { at, len, times } => {
            let start = boundary(text, at);
            let end = boundary(text, start.saturating_add(len).min(text.len()));
            let piece = text[start..end.max(start)].to_owned();
            text.insert_str(end.max(start), &piece.repeat(times));
        }
    }
}

#[test]
fn mutated_budget_files_never_panic_and_stay_within_memory() {
    let seeds = seeds();
    let cases: u32 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2000);
    let mut runner = TestRunner::new(Config {
        cases,
        // Regressions that matter become named tests; nothing is written
        // into the tracked tree.
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 1..12));
    let largest = std::cell::Cell::new(0usize);
    let worst_ratio = std::cell::Cell::new(0f64);
    runner
        .run(&strategy, |(seed, mutations)| {
            let mut text = seeds[seed].clone();
            for m in &mutations {
                apply(&mut text, m);
            }
            let before = HELD.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let loaded = load_str("fuzz.yaml", &text);
            let used = PEAK.load(Ordering::Relaxed).saturating_sub(before);
            drop(loaded);
            // Bounded memory: a small multiple of the input, plus a floor.
            let bound = 64 * text.len() + 32 * 1024 * 1024;
            prop_assert!(
                used <= bound,
                "{used} bytes for {} bytes of input",
                text.len()
            );
            largest.set(largest.get().max(text.len()));
            if text.len() > 1024 {
                worst_ratio.set(worst_ratio.get().max(used as f64 / text.len() as f64));
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fuzz: {cases} mutated files from {} seeds, none panicked; largest input {} bytes, worst memory {:.1} bytes per input byte (inputs over 1 KiB)",
        seeds.len(),
        largest.get(),
        worst_ratio.get()
    );
}

/// `budgetctl fmt` on mutated files: never a panic, a file that validates
/// is formatted (fmt refuses one whose meaning its layout would change),
/// and formatting again changes nothing.
#[test]
fn mutated_budget_files_format_without_panic_and_keep_their_meaning() {
    let seeds = seeds();
    let cases: u32 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), proptest::collection::vec(mutation(), 0..6));
    let kept = std::cell::Cell::new(0u32);
    let refused = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |(seed, mutations)| {
            let mut text = seeds[seed].clone();
            for m in &mutations {
                apply(&mut text, m);
            }
            let valid = !load_str("fuzz.yaml", &text).has_errors();
            let Ok(formatted) = budgetctl_spec::format::format(&text) else {
                if valid {
                    refused.set(refused.get() + 1);
                }
                return Ok(());
            };
            if valid {
                kept.set(kept.get() + 1);
            }
            let again = budgetctl_spec::format::format(&formatted);
            prop_assert_eq!(
                again.as_ref().ok(),
                Some(&formatted),
                "formatting twice changed:\n{}",
                formatted
            );
            Ok(())
        })
        .unwrap();
    eprintln!(
        "fmt fuzz: {cases} mutated files; {} valid ones formatted to the same meaning, {} valid ones refused",
        kept.get(),
        refused.get()
    );
}
