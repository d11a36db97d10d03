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

/// N11: a message that spins is set aside after the soft deadline in its own
/// child; the messages after it are evaluated at once by a fresh child, and
/// the slow one's outcome comes later, at its own bound.
#[test]
fn a_slow_message_is_set_aside_and_the_rest_of_its_batch_goes_on() {
    use fmc_runner::function::isolated::{Evaluated, MOST_SET_ASIDE};
    let mut e = evaluator("if .spin then last(range(1e12)) else .id end", 64 << 20, 1500);
    let mut payloads: Vec<Vec<u8>> = (0..20).map(|i| format!(r#"{{"id":{i}}}"#).into_bytes()).collect();
    payloads[3] = br#"{"spin":true}"#.to_vec();
    let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
    let evaluated = e.evaluate_setting_aside(&refs);
    assert_eq!(evaluated.len(), 20);
    for (i, got) in evaluated.iter().enumerate() {
        if i == 3 {
            assert_eq!(got, &Evaluated::Later(0), "the spinning message is set aside");
        } else {
            assert_eq!(got, &Evaluated::Now(ok(&[&i.to_string()])), "good message {i}");
        }
    }
    assert_eq!(e.set_aside_count(), 1);
    // Its outcome: the hard bound, reported once, and its child ended.
    let mut finished = Vec::new();
    let until = Instant::now() + Duration::from_secs(20);
    while finished.is_empty() && Instant::now() < until {
        finished = e.finished();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].0, 0);
    assert!(finished[0].1.as_ref().unwrap_err().contains("ran past maxProcessingMs (1500 ms)"), "{finished:?}");
    assert_eq!(e.set_aside_count(), 0);
    // At most MOST_SET_ASIDE at once: past that, a slow message holds its
    // batch and fails in place at its bound (processes stay bounded).
    let spin: &[u8] = br#"{"spin":true}"#;
    let many = vec![spin; MOST_SET_ASIDE + 1];
    let evaluated = e.evaluate_setting_aside(&many);
    let later = evaluated.iter().filter(|r| matches!(r, Evaluated::Later(_))).count();
    assert_eq!(later, MOST_SET_ASIDE);
    assert!(matches!(&evaluated[MOST_SET_ASIDE], Evaluated::Now(Err(why)) if why.contains("ran past")));
}

/// N10: an error the program makes of a secret leaves the child redacted,
/// whatever the program did with it.
#[test]
fn errors_leave_the_evaluator_with_secrets_redacted() {
    let secrets = [("SIGNING_KEY".to_string(), "k3y-\"v@lue\\x".to_string())].into();
    let context = fmc_runner::function::Context::new(serde_json::Value::Null, secrets);
    let program = r#"if .k == "error" then error($secrets.SIGNING_KEY)
        elif .k == "arith" then $secrets.SIGNING_KEY + .n
        elif .k == "interp" then error("key \($secrets.SIGNING_KEY) refused")
        elif .k == "object" then ({held: $secrets.SIGNING_KEY} | tostring | error)
        else {held: $secrets.SIGNING_KEY} | error end"#;
    let bounds = Bounds { max_memory: 64 << 20, per_message: Some(Duration::from_secs(5)) };
    let mut e = Evaluator::start(runner(), program, &context, bounds).expect("starts");
    let payloads: [&[u8]; 5] =
        [br#"{"k":"error"}"#, br#"{"k":"arith","n":1}"#, br#"{"k":"interp"}"#, br#"{"k":"object"}"#, br#"{"k":"raw"}"#];
    for (payload, result) in payloads.iter().zip(e.evaluate(&payloads)) {
        let why = result.expect_err("every case fails");
        assert!(!why.contains("k3y") && !why.contains("v@lue"), "{}: {why}", String::from_utf8_lossy(payload));
        assert!(why.contains("<redacted:SIGNING_KEY>"), "{}: {why}", String::from_utf8_lossy(payload));
    }
}
