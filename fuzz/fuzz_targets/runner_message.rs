//! One message through the runner's payload path (see
//! `fmc_runner::fuzzing::exercise`): depth check, jq, route, schema validation.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fmc_runner::fuzzing::exercise(data));
