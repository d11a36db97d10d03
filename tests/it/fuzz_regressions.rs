//! Replays every crash the fuzzer found (fixtures/fuzz/*.bin).

use crate::support::project_root;

#[test]
fn fuzz_crashers_no_longer_crash() {
    let dir = project_root().join("fixtures/fuzz");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            let data = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| fmc::fuzzing::exercise(&data));
            assert!(result.is_ok(), "{} still crashes", path.display());
            count += 1;
        }
    }
    assert!(count > 0);
}
