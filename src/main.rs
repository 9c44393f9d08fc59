//! The `notation` binary: parse, run, print errors once, exit 0 or 1.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
