//! The jq evaluator child (`src/function/isolated.rs`) with the real runner
//! binary: a message that loops, allocates or recurses without bound gets a
//! user error in place, and the messages around it are evaluated as usual.

use fmc_runner::function::isolated::{Bounds, Evaluator};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn runner() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fmc-runner"))
}

fn evaluator(program: &str, max_memory: usize, per_message_ms: u64) -> Evaluator {
    let bounds = Bounds { max_memory, per_message: Some(Duration::from_millis(per_message_ms)) };
    Evaluator::start(runner(), program, &Default::default(), bounds).expect("the evaluator starts")
}

fn ok(texts: &[&str]) -> Result<Vec<String>, String> {
    Ok(texts.iter().map(|t| t.to_string()).collect())
}

/// Each hostile message costs at most its bound and only itself.
#[test]
fn a_message_past_a_bound_fails_alone_and_the_rest_of_its_batch_is_evaluated() {
    // `.n` decides the work: 1e15 loops, 3e8 allocates gigabytes, `deep` recurses.
    let program = r#"def down: if . > 0 then (. - 1 | down) + 1 else 0 end;
        if .loop then (reduce range(1e15) as $i (0; . + 1))
        elif .alloc then ([range(3e8)] | length)
        elif .deep then (.deep | down)
        else .id end"#;
    let mut e = evaluator(program, 64 << 20, 500);
    let payloads: [&[u8]; 7] = [
        br#"{"id":1}"#,
        br#"{"loop":true}"#,
        br#"{"id":2}"#,
        br#"{"alloc":true}"#,
        br#"{"id":3}"#,
        br#"{"deep":10000000}"#,
        br#"{"id":4}"#,
    ];
    let started = Instant::now();
    let results = e.evaluate(&payloads);
    let took = started.elapsed();
    assert_eq!(results.len(), payloads.len());
    for (i, id) in [(0, "1"), (2, "2"), (4, "3"), (6, "4")] {
        assert_eq!(results[i], ok(&[id]), "good message {i}");
    }
    let loop_err = results[1].as_ref().unwrap_err();
    assert!(loop_err.contains("ran past maxProcessingMs (500 ms)"), "{loop_err}");
    let alloc_err = results[3].as_ref().unwrap_err();
    assert!(alloc_err.contains("maxMemory (64 MiB)"), "{alloc_err}");
    let deep_err = results[5].as_ref().unwrap_err();
    assert!(deep_err.contains("overflowed its stack"), "unbounded recursion: {deep_err}");
    // The loop costs its bound; the others end as soon as the child dies.
    assert!(took < Duration::from_secs(20), "{took:?}");
    // The evaluator carries on with a fresh child.
    assert_eq!(e.evaluate(&[br#"{"id":5}"#]), vec![ok(&["5"])]);
}

#[test]
fn results_errors_and_the_depth_bound_are_those_of_the_inline_program() {
    let mut e = evaluator(".[]?", 64 << 20, 5_000);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let results = e.evaluate(&[b"[1,2]", b"{}", b"not json", deep.as_bytes(), b"\"s\""]);
    assert_eq!(results[0], ok(&["1", "2"]));
    assert_eq!(results[1], ok(&[]));
    assert!(results[2].as_ref().unwrap_err().contains("not JSON"), "{:?}", results[2]);
    assert!(results[3].as_ref().unwrap_err().contains("deeper than 128"), "{:?}", results[3]);
    assert_eq!(results[4], ok(&[]), "`?` drops the error of iterating a string");
}

#[test]
fn a_program_that_does_not_compile_is_refused_at_start() {
    let bounds = Bounds { max_memory: 64 << 20, per_message: None };
    let err = Evaluator::start(runner(), "select(", &Default::default(), bounds).err().expect("refused");
    assert!(err.contains("does not parse"), "{err}");
}

/// A batch far larger than a pipe's buffer, with the child stuck on its
/// first message: the runner's side never blocks on the full pipe.
#[test]
fn a_stuck_child_does_not_block_the_runner_on_a_full_pipe() {
    let mut e = evaluator("if .loop then (reduce range(1e15) as $i (0; . + 1)) else .n end", 64 << 20, 300);
    let filler = format!(r#"{{"n":1,"pad":"{}"}}"#, "x".repeat(4096));
    let mut payloads: Vec<&[u8]> = vec![br#"{"loop":true}"#];
    payloads.extend(std::iter::repeat_n(filler.as_bytes(), 200));
    let results = e.evaluate(&payloads);
    assert!(results[0].is_err());
    assert!(results[1..].iter().all(|r| *r == ok(&["1"])), "every message after the stuck one is evaluated");
}

/// A child that ended between two batches (killed from outside) is replaced
/// without failing the next message.
#[test]
fn a_child_killed_between_batches_is_not_blamed_on_the_next_message() {
    let mut e = evaluator(".id", 64 << 20, 5_000);
    assert_eq!(e.evaluate(&[br#"{"id":1}"#]), vec![ok(&["1"])]);
    let pid = e.child_pid().expect("a child runs");
    // SAFETY: kill(2) with a pid this test's evaluator started.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(e.evaluate(&[br#"{"id":2}"#]), vec![ok(&["2"])]);
    assert_ne!(e.child_pid(), Some(pid), "a new child");
}
