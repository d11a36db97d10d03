use clap::Parser;

// fmc allocates many small strings and maps; mimalloc makes a 10,000-function
// build markedly faster than glibc malloc (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    fmc::cli::run(fmc::cli::Cli::parse())
}
