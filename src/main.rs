use clap::Parser;

fn main() -> std::process::ExitCode {
    fmc::cli::run(fmc::cli::Cli::parse())
}
