//! The fuzzing harness shared by `fuzz_audio` and `fuzz_meeting`: a counting
//! global allocator (peak live bytes per thread), a runner that calls a
//! function on a thread of its own under a time limit and reports a panic,
//! a hang or its memory peak, and the loop that draws inputs from a proptest
//! strategy, checks each, shrinks a failing one and prints the figures.
//!
//! Case counts are small by default so that `cargo test --release` stays
//! short: a target stops after its default count or [`CI_SECONDS`], whichever
//! comes first (a loaded machine tries fewer of the same inputs). Locally,
//! `KAIGIROKU_FUZZ_CASES=N` runs N inputs a target with no time limit
//! (`bench/fuzz.sh`), `KAIGIROKU_FUZZ_SECONDS=S` stops a target after S
//! seconds, and `KAIGIROKU_FUZZ_SEED=N` draws other inputs than CI's fixed
//! ones.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::fmt::Debug;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

thread_local! {
    /// How the inputs of the target running on this thread ended (see [`tally`]).
    static TALLY: RefCell<std::collections::BTreeMap<String, u64>> =
        const { RefCell::new(std::collections::BTreeMap::new()) };
}

/// Counts one outcome (`ok`, an error kind …) of the current target, shown in
/// its line of figures: a fuzzer whose inputs all fail the first check
/// explores nothing.
pub fn tally(outcome: &str) {
    TALLY.with(|t| *t.borrow_mut().entry(outcome.to_string()).or_default() += 1);
}

/// Counts the bytes each thread holds while it is being measured.
struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Above this many live bytes a measured thread's allocation fails (the test
/// binary aborts) rather than let a bug take the machine's memory.
const HARD_LIMIT: isize = 3 << 30;

thread_local! {
    /// Where the last panic on this thread happened (see [`quiet_panics`]).
    static PANICKED_AT: RefCell<String> = const { RefCell::new(String::new()) };
    /// What a measured thread works on, named when it goes over the limit.
    static LABEL: RefCell<String> = const { RefCell::new(String::new()) };
    static MEASURED: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Adds `delta` bytes to the thread's count; false when a measured thread
/// would go over [`HARD_LIMIT`].
fn note(delta: isize) -> bool {
    MEASURED
        .try_with(|measured| {
            if !measured.get() {
                return true;
            }
            let live = LIVE.with(|l| l.get()) + delta;
            if delta > 0 && live > HARD_LIMIT {
                // The allocation fails and the process aborts: say on what.
                measured.set(false);
                let _ = LABEL.try_with(|label| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "fuzz: {delta} bytes asked for (over {HARD_LIMIT} held) by {}",
                        label.borrow()
                    );
                });
                return false;
            }
            LIVE.with(|l| l.set(live));
            PEAK.with(|p| p.set(p.get().max(live)));
            true
        })
        .unwrap_or(true)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !note(layout.size() as isize) {
            return std::ptr::null_mut();
        }
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !note(layout.size() as isize) {
            return std::ptr::null_mut();
        }
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !note(new_size as isize - layout.size() as isize) {
            return std::ptr::null_mut();
        }
        System.realloc(ptr, layout, new_size)
    }
}

/// How a bounded call ended.
pub enum Outcome<T> {
    Done {
        value: T,
        /// Most bytes the call held at once (Rust allocations on its thread;
        /// C libraries such as libopus allocate beside this count).
        peak: usize,
    },
    Panicked(String),
    TimedOut(Duration),
}

/// Makes the panic hook silent on measured threads: a panic there is an
/// outcome reported with its message and place (or one the code under test
/// catches itself, as `audio` does symphonia's), and printing it with a
/// backtrace (`RUST_BACKTRACE=1`) would read the debug info: ~100 MB counted
/// against the input. Other threads keep the usual hook.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let usual = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let measured = MEASURED.try_with(|m| m.replace(false)).unwrap_or(false);
            if !measured {
                return usual(info);
            }
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let _ = PANICKED_AT.try_with(|p| *p.borrow_mut() = at);
            let _ = MEASURED.try_with(|m| m.set(true));
        }));
    });
}

/// Runs `f` on a thread of its own, measuring its memory; gives up waiting
/// after `limit` (the thread is then left running: the test fails anyway).
/// `label` names the input if the process has to abort.
pub fn bounded<T: Send + 'static>(
    limit: Duration,
    label: String,
    f: impl FnOnce() -> T + Send + 'static,
) -> Outcome<T> {
    quiet_panics();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("fuzz-case".into())
        .spawn(move || {
            LABEL.with(|l| *l.borrow_mut() = label);
            LIVE.with(|l| l.set(0));
            PEAK.with(|p| p.set(0));
            MEASURED.with(|m| m.set(true));
            let result = catch_unwind(AssertUnwindSafe(f));
            MEASURED.with(|m| m.set(false));
            let peak = PEAK.with(|p| p.get()).max(0) as usize;
            let outcome = match result {
                Ok(value) => Outcome::Done { value, peak },
                Err(panic) => Outcome::Panicked(format!(
                    "{} (at {})",
                    panic_message(&*panic),
                    PANICKED_AT.with(|p| p.borrow().clone())
                )),
            };
            // The receiver is gone only after a timeout.
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Outcome::Panicked(format!("cannot start a thread: {e}"));
    }
    match rx.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(_) => Outcome::TimedOut(limit),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Inputs a target tries: `default` unless `KAIGIROKU_FUZZ_CASES` says.
pub fn cases(default: u32) -> u32 {
    env_number("KAIGIROKU_FUZZ_CASES").map_or(default, |n| n.clamp(1, u64::from(u32::MAX)) as u32)
}

/// A fixed generator per target (CI sees the same inputs every run), another
/// one for each `KAIGIROKU_FUZZ_SEED`.
fn rng(target: &str) -> TestRng {
    let mut seed = [0u8; 32];
    let salt = env_number("KAIGIROKU_FUZZ_SEED").unwrap_or(0);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for (i, slot) in seed.iter_mut().enumerate() {
        for &b in target.as_bytes().iter().chain(&[i as u8]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        *slot = (h >> 24) as u8;
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &seed)
}

/// Longest a target runs by default: the 26 targets on 2 threads stay
/// under a minute however loaded the machine.
const CI_SECONDS: Duration = Duration::from_millis(3500);

/// Failures kept (and shrunk) per target before it stops.
const MAX_FAILURES: usize = 3;
/// Simplification steps tried when shrinking one failure.
const MAX_SHRINK_STEPS: usize = 200;

/// Draws `default_cases` inputs (see [`cases`]) from `strategy` and checks
/// each with `check` (`Err` says what went wrong). Prints one line of figures
/// (`fuzz: target=… inputs=… seconds=… failures=…`, read by bench/fuzz.sh)
/// and fails with each failing input, shrunk, and what went wrong.
pub fn fuzz<S>(
    target: &str,
    default_cases: u32,
    strategy: S,
    check: impl Fn(&S::Value) -> Result<(), String>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let cases = cases(default_cases);
    let deadline = match env_number("KAIGIROKU_FUZZ_SECONDS") {
        Some(seconds) => Some(Duration::from_secs(seconds)),
        None if env_number("KAIGIROKU_FUZZ_CASES").is_none() => Some(CI_SECONDS),
        None => None,
    };
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng(target));
    TALLY.with(|t| t.borrow_mut().clear());
    let started = Instant::now();
    let mut tried = 0u64;
    let mut failures = Vec::new();
    for _ in 0..cases {
        if deadline.is_some_and(|d| started.elapsed() > d) {
            break;
        }
        let mut tree = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree,
            Err(reason) => panic!("{target}: cannot draw an input: {reason}"),
        };
        tried += 1;
        if let Err(why) = check(&tree.current()) {
            failures.push(shrink(&mut tree, why, &check, &mut tried));
            if failures.len() >= MAX_FAILURES {
                break;
            }
        }
    }
    let outcomes = TALLY.with(|t| {
        t.borrow()
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    println!(
        "fuzz: target={target} inputs={tried} seconds={:.1} failures={} outcomes={outcomes}",
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{target}: {} failing inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Simplifies a failing input while it keeps failing; returns the simplest
/// one found and why it fails.
fn shrink<T: ValueTree>(
    tree: &mut T,
    mut why: String,
    check: &impl Fn(&T::Value) -> Result<(), String>,
    tried: &mut u64,
) -> String
where
    T::Value: Debug,
{
    let mut simplest = format!("{:?}", tree.current());
    let mut steps = 0;
    let mut simpler = tree.simplify();
    while simpler && steps < MAX_SHRINK_STEPS {
        steps += 1;
        *tried += 1;
        match check(&tree.current()) {
            Err(reason) => {
                why = reason;
                simplest = format!("{:?}", tree.current());
                simpler = tree.simplify();
            }
            Ok(()) => simpler = tree.complicate(),
        }
    }
    format!("- {why}\n  input: {simplest}")
}

/// The harness itself: a peak is measured, a hang and a panic are reported.
#[test]
fn fuzz_harness_sees_memory_hangs_and_panics() {
    let outcome = bounded(Duration::from_secs(10), "100 MB".into(), || {
        // (black_box: an allocation nobody reads may be optimised away.)
        let big = std::hint::black_box(vec![1u8; 100 << 20]);
        drop(big);
        std::hint::black_box(vec![0u8; 1 << 20]).len()
    });
    let Outcome::Done { value, peak } = outcome else {
        panic!("did not finish");
    };
    assert_eq!(value, 1 << 20);
    assert!((100 << 20..110 << 20).contains(&peak), "peak {peak}");
    let outcome = bounded(Duration::from_millis(100), "sleep".into(), || {
        std::thread::sleep(Duration::from_secs(2))
    });
    assert!(matches!(outcome, Outcome::TimedOut(_)));
    let outcome = bounded(Duration::from_secs(10), "panic".into(), || {
        if std::hint::black_box(true) {
            panic!("boom");
        }
    });
    assert!(
        matches!(&outcome, Outcome::Panicked(m) if m.starts_with("boom (at tests/fast/fuzz_support.rs:")),
        "{}",
        match &outcome {
            Outcome::Panicked(m) => m.as_str(),
            _ => "no panic",
        }
    );
    // A panic caught inside the measured call costs nothing, even with
    // backtraces on (the usual hook would read the debug info).
    let outcome = bounded(Duration::from_secs(10), "caught".into(), || {
        std::panic::catch_unwind(|| {
            if std::hint::black_box(true) {
                panic!("caught");
            }
        })
        .is_err()
    });
    let Outcome::Done { value, peak } = outcome else {
        panic!("did not finish");
    };
    assert!(value);
    assert!(peak < 1 << 20, "peak {peak}");
}
