use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Tests only (`--features failpoints`): arm the fail points named in FAILPOINTS.
    #[cfg(feature = "failpoints")]
    let _faults = cutover::faults::setup();
    match cutover::cli::run(cutover::cli::Cli::parse()) {
        Ok(cutover::cli::Outcome::Success) => ExitCode::SUCCESS,
        Ok(cutover::cli::Outcome::ChecksFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("{}", e.report());
            ExitCode::from(e.exit_code())
        }
    }
}
