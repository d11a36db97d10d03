//! Arbitrary bytes through the whole pipeline in every mode (see
//! `fmc::fuzzing::exercise`). Any panic, hang or unbounded allocation is a bug;
//! crashers go to fixtures/fuzz/ as regression tests.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fmc::fuzzing::exercise(data));
