//! The one integration-test binary (one link step for all integration tests).

mod support;

mod broker_schemas;
mod cli;
mod clusters;
mod corpus;
mod determinism;
mod diagnostics;
mod docs;
mod dsl;
mod environments;
mod fuzz_regressions;
mod gitops;
mod go_function;
mod hostile;
mod images;
mod java_function;
mod layering;
mod meshtest;
mod modes;
mod native_runtime;
mod operator_parity;
mod operator_unit;
mod plugins;
mod pods;
mod provision;
mod provision_applied;
mod python_runner;
mod schema;
mod schema_rules;
mod security;
mod shell_exec;
mod stored;
mod validators;
