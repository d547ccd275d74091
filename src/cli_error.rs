//! Command-line errors: one clear line and exit code 2 (help and version print as usual).

use clap::error::ErrorKind;
use std::process::ExitCode;

/// Prints a clap error as one line (or help/version in full) and returns the exit code.
pub fn exit_for(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let text = e.to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("error: {first} (see --help)");
            ExitCode::from(2)
        }
    }
}
