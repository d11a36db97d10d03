//! Arbitrary kinds, namespaces and names planned as an `-o DIR` tree (see
//! `fmc::fuzzing::exercise_tree`): no path may leave DIR or replace another file.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fmc::fuzzing::exercise_tree(data));
