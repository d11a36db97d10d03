use clap::Parser;

// fmc allocates many small strings and maps; mimalloc makes a 10,000-function
// build markedly faster than glibc malloc (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (position 15 of `mi_option_e` in mimalloc
/// 2.1 and 3.x; the -sys crate names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // `fmc test` evaluates jq programs in bounded children of this binary
    // (meshtest::bounded), as the runner does with its own.
    if std::env::args_os().nth(1).is_some_and(|a| a == fmc_engine::function::isolated::EVALUATE_ARG) {
        return fmc_engine::function::isolated::serve();
    }
    // Give freed memory back after 10 ms instead of mimalloc's default: the
    // syntax tree is freed before rendering, and reusing its pages for the
    // output keeps a 10,000-function build's peak 50 MB lower at no cost in time
    // (BENCHMARKS.md). An explicit MIMALLOC_PURGE_DELAY still wins.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets a plain integer option; mimalloc reads it on its next purge.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10) };
    }
    fmc::cli::run(fmc::cli::Cli::parse())
}
