//! SIGINT and SIGTERM: remove the temp files and staging directories this process made, then
//! die by the signal.
//!
//! Go notation installs no handler, so the Go runtime's default applies: the process dies by
//! the signal (a shell reports exit status 130 for Ctrl+C, 143 for SIGTERM), printing
//! nothing. We end the same way, but first remove what an interrupted tar rewrite or copy
//! would leave beside the layout ([`notation::atomic::remove_all_for_exit`]). The signal is
//! awaited on a thread of its own because a tar layout commit runs on the main thread and
//! blocks the async runtime while it writes.

use signal_hook::consts::{SIGINT, SIGTERM};

/// Start the thread that handles SIGINT and SIGTERM. A signal that was ignored when the
/// process started (`nohup`, a background job of a script) stays ignored, as in Go.
pub fn install() {
    let wanted: Vec<i32> = [SIGINT, SIGTERM]
        .into_iter()
        .filter(|&s| !ignored_at_start(s))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let Ok(mut signals) = signal_hook::iterator::Signals::new(&wanted) else {
        return; // without a handler the default action still ends the process
    };
    let _ = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                notation::atomic::remove_all_for_exit();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal); // only if dying by the signal failed
            }
        });
}

fn ignored_at_start(signal: i32) -> bool {
    // SAFETY: sigaction with a null new action only reads the current disposition into a
    // zeroed struct we own.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}
