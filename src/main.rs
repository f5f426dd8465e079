//! The keyhole command. All the work is in the library; this maps it to an exit code.

fn main() -> std::process::ExitCode {
    keyhole::cli::main_with_args(std::env::args_os())
}
