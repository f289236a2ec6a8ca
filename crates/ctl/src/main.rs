//! The `tortie` binary: parse arguments, run, map the outcome to an exit status.

fn main() -> std::process::ExitCode {
    tortie_ctl::main_with_args(std::env::args_os())
}
