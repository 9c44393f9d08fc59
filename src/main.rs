//! The `notation` binary: parse, run, print errors once, exit 0 or 1.
//!
//! On Linux with glibc the binary starts at the C `main`, without Rust's runtime start-up
//! (`#![no_main]`). That start-up finds the main thread's stack by reading and parsing
//! `/proc/self/maps` (glibc's `pthread_getattr_np`) and maps an alternate signal stack, so
//! that a stack overflow prints a message instead of a bare SIGSEGV: some 0.06 ms a run, a
//! twentieth of a whole `notation verify`. [`start`] does the rest of what it does and what
//! this program relies on. Elsewhere `std::env::args` may need that start-up, so the usual
//! `main` stays.
#![cfg_attr(all(target_os = "linux", target_env = "gnu"), no_main)]

mod cli;

/// The process entry point called by glibc's start-up code. Arguments are read through
/// `std::env::args`, which glibc's start-up hands them to before this runs.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[no_mangle]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start();
    // A panic must not unwind into C: report it (the hook has printed it) with the exit
    // status Rust's start-up gives a panicking `main`.
    let code = std::panic::catch_unwind(cli::main).unwrap_or(101);
    std::process::exit(code)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() {
    std::process::exit(cli::main());
}

/// What Rust's runtime start-up does that this program needs:
/// * stdin, stdout and stderr are open: one that was closed (`notation sign … >&-`) is
///   opened on `/dev/null`, so that no file the program opens later takes its number and
///   receives its output;
/// * SIGPIPE is ignored, so that a write to a closed pipe (a plugin that exited early,
///   `| head`) is an `EPIPE` error, not the death of the process.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn start() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three `pollfd`s for the duration of the call.
    let polled = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
    if polled >= 0 {
        for fd in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
            // SAFETY: a NUL-terminated path; `open` returns the lowest free descriptor,
            // which is the closed one being replaced (lower ones are open).
            let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            if opened != fd.fd {
                std::process::abort();
            }
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN has no memory-safety requirement.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}
