//! A live transfer display on stderr for `notation copy`, as `oras cp` and `docker pull` show
//! one: a line per blob in flight (short digest, bytes done of total, rate), redrawn in place
//! about ten times a second, and a permanent line per finished node above them.
//!
//! Only on a terminal: anywhere else (a pipe, a log file, `--no-progress`) nothing is drawn.
//! The texts are built by plain functions, tested below; a background thread only redraws.

use notation::copy::CopyProgress;
use notation::oci::Descriptor;
use std::io::Write as _;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Time between redraws.
const REDRAW: Duration = Duration::from_millis(100);
/// Width of the bar itself, in cells.
const BAR_CELLS: usize = 16;
/// Shortest time a rate is computed over.
const MEANINGFUL_RATE: Duration = Duration::from_millis(50);
/// Hex digits of a digest shown (as `docker pull` does).
const SHORT_DIGEST: usize = 12;

/// The progress display of one copy; inert when not drawing.
pub struct TransferProgress {
    shared: Option<Arc<Shared>>,
    ticker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

struct Shared {
    board: Mutex<Board>,
    stopped: Mutex<bool>,
    wake: Condvar,
}

/// What is on the screen, and what is to be drawn next.
#[derive(Default)]
struct Board {
    /// Blobs in flight, in the order they started.
    active: Vec<Bar>,
    /// Finished nodes not printed yet.
    finished: Vec<String>,
    /// Lines of live bars drawn last time (the cursor is below them).
    drawn: usize,
}

struct Bar {
    digest: String,
    total: u64,
    done: u64,
    since: Instant,
}

impl TransferProgress {
    /// A display that draws only if `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> TransferProgress {
        use std::io::IsTerminal as _;
        let draw = enabled && std::io::stderr().is_terminal();
        let shared = draw.then(|| {
            Arc::new(Shared {
                board: Mutex::new(Board::default()),
                stopped: Mutex::new(false),
                wake: Condvar::new(),
            })
        });
        let ticker = shared.clone().map(|s| std::thread::spawn(move || s.run()));
        TransferProgress {
            shared,
            ticker: Mutex::new(ticker),
        }
    }

    /// Stop redrawing and print what finished since the last frame; the live lines go.
    pub fn finish(&self) {
        let Some(shared) = &self.shared else {
            return;
        };
        *shared.stopped.lock().expect("progress lock") = true;
        shared.wake.notify_all();
        if let Some(handle) = self.ticker.lock().expect("progress lock").take() {
            let _ = handle.join();
        }
        let mut board = shared.board.lock().expect("progress lock");
        board.active.clear();
        draw(&board.frame(Instant::now()));
    }

    fn board(&self) -> Option<std::sync::MutexGuard<'_, Board>> {
        self.shared
            .as_ref()
            .map(|s| s.board.lock().expect("progress lock"))
    }
}

impl Drop for TransferProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Shared {
    /// Redraw until stopped.
    fn run(&self) {
        let mut stopped = self.stopped.lock().expect("progress lock");
        while !*stopped {
            stopped = self
                .wake
                .wait_timeout(stopped, REDRAW)
                .expect("progress lock")
                .0;
            if *stopped {
                return;
            }
            let frame = self
                .board
                .lock()
                .expect("progress lock")
                .frame(Instant::now());
            draw(&frame);
        }
    }
}

/// Write a frame to stderr in one piece. A display that cannot be written is no error.
fn draw(frame: &str) {
    if !frame.is_empty() {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(frame.as_bytes());
        let _ = err.flush();
    }
}

impl CopyProgress for TransferProgress {
    fn started(&self, desc: &Descriptor) {
        let Some(mut board) = self.board() else {
            return;
        };
        board.active.retain(|b| b.digest != desc.digest);
        board.active.push(Bar {
            digest: desc.digest.clone(),
            total: desc.size.max(0) as u64,
            done: 0,
            since: Instant::now(),
        });
    }

    fn transferred(&self, desc: &Descriptor, bytes: u64) {
        if let Some(mut board) = self.board() {
            if let Some(bar) = board.active.iter_mut().find(|b| b.digest == desc.digest) {
                bar.done += bytes;
            }
        }
    }

    fn done(&self, desc: &Descriptor, skipped: bool) {
        let Some(mut board) = self.board() else {
            return;
        };
        let elapsed = board
            .active
            .iter()
            .find(|b| b.digest == desc.digest)
            .map(|b| b.since.elapsed());
        board.active.retain(|b| b.digest != desc.digest);
        let line = done_line(desc, skipped, elapsed);
        board.finished.push(line);
    }
}

impl Board {
    /// The bytes that bring the screen up to date: back to the top of the live lines,
    /// finished lines (printed once, they stay), then the live lines, then clear the rest.
    fn frame(&mut self, now: Instant) -> String {
        if self.drawn == 0 && self.finished.is_empty() && self.active.is_empty() {
            return String::new();
        }
        let mut out = String::new();
        if self.drawn > 0 {
            // Cursor to the start of the line `drawn` lines up.
            out.push_str(&format!("\x1b[{}F", self.drawn));
        }
        for line in self.finished.drain(..) {
            out.push_str(&format!("\x1b[2K{line}\n"));
        }
        for bar in &self.active {
            let line = bar_line(&bar.digest, bar.done, bar.total, now - bar.since);
            out.push_str(&format!("\x1b[2K{line}\n"));
        }
        out.push_str("\x1b[J");
        self.drawn = self.active.len();
        out
    }
}

/// `sha256:1a2b…` → `1a2b3c4d5e6f`.
fn short_digest(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, hex)| hex);
    hex.get(..SHORT_DIGEST).unwrap_or(hex)
}

/// A blob in flight, kept under 80 columns so that it never wraps on a usual terminal
/// (a wrapped line would throw the redraw off):
/// `Copying 1a2b3c4d5e6f [########        ] 128.0 MiB/256.0 MiB  98.5 MiB/s`.
fn bar_line(digest: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let filled = if total == 0 {
        BAR_CELLS
    } else {
        ((done.min(total) as u128 * BAR_CELLS as u128) / total as u128) as usize
    };
    let bar = format!("{}{}", "#".repeat(filled), " ".repeat(BAR_CELLS - filled));
    format!(
        "Copying {} [{bar}] {}/{} {:>12}",
        short_digest(digest),
        bytes(done),
        bytes(total),
        rate(done, elapsed)
    )
}

/// A finished node: `✓ Copied  1a2b3c4d5e6f  256.0 MiB  <media type>`, with the average
/// rate when it was transferred here.
fn done_line(desc: &Descriptor, skipped: bool, elapsed: Option<Duration>) -> String {
    let verb = if skipped { "Exists" } else { "Copied" };
    let size = desc.size.max(0) as u64;
    let mut line = format!(
        "\u{2713} {verb}  {}  {}  {}",
        short_digest(&desc.digest),
        bytes(size),
        desc.media_type
    );
    // A rate over a blink (a config, a manifest) says nothing.
    if let Some(elapsed) = elapsed.filter(|e| *e >= MEANINGFUL_RATE) {
        line.push_str(&format!("  {}", rate(size, elapsed)));
    }
    line
}

/// Binary units with one decimal: `512 B`, `1.5 KiB`, `256.0 MiB`, `1.0 GiB`.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Bytes per second over `elapsed`; `-` before there is anything to average.
fn rate(done: u64, elapsed: Duration) -> String {
    if elapsed < MEANINGFUL_RATE || done == 0 {
        return "- B/s".into();
    }
    format!("{}/s", bytes((done as f64 / elapsed.as_secs_f64()) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(size: i64) -> Descriptor {
        Descriptor {
            media_type: "application/vnd.oci.image.layer.v1.tar".into(),
            digest: format!("sha256:{}", "1a2b3c4d5e6f7a8b".repeat(4)),
            size,
            ..Default::default()
        }
    }

    #[test]
    fn sizes_and_rates_read_like_docker_pull() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(256 << 20), "256.0 MiB");
        assert_eq!(bytes(1 << 30), "1.0 GiB");
        assert_eq!(rate(100 << 20, Duration::from_secs(2)), "50.0 MiB/s");
        assert_eq!(rate(100, Duration::from_millis(1)), "- B/s");
        assert_eq!(rate(0, Duration::from_secs(1)), "- B/s");
        assert_eq!(short_digest("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_digest("short"), "short");
    }

    #[test]
    fn live_lines_show_digest_bytes_and_rate_and_never_wrap() {
        let d = layer(256 << 20).digest;
        let line = bar_line(&d, 128 << 20, 256 << 20, Duration::from_secs(2));
        assert_eq!(
            line,
            "Copying 1a2b3c4d5e6f [########        ] 128.0 MiB/256.0 MiB   64.0 MiB/s"
        );
        let widest = bar_line(&d, 1023 << 30, 1023 << 30, Duration::from_millis(60));
        assert!(widest.chars().count() < 80, "{widest}");
        // Nothing to send is complete; more than announced does not overflow the bar.
        assert!(bar_line(&d, 0, 0, Duration::ZERO).contains(&"#".repeat(BAR_CELLS)));
        assert!(bar_line(&d, 10, 5, Duration::ZERO).contains(&"#".repeat(BAR_CELLS)));
    }

    #[test]
    fn finished_lines_say_what_happened() {
        let d = layer(256 << 20);
        assert_eq!(
            done_line(&d, false, Some(Duration::from_secs(4))),
            "\u{2713} Copied  1a2b3c4d5e6f  256.0 MiB  application/vnd.oci.image.layer.v1.tar  64.0 MiB/s"
        );
        let config = Descriptor {
            media_type: "application/vnd.oci.image.config.v1+json".into(),
            size: 2,
            ..layer(0)
        };
        assert_eq!(
            done_line(&config, false, Some(Duration::from_millis(3))),
            "\u{2713} Copied  1a2b3c4d5e6f  2 B  application/vnd.oci.image.config.v1+json"
        );
        assert_eq!(
            done_line(&d, true, None),
            "\u{2713} Exists  1a2b3c4d5e6f  256.0 MiB  application/vnd.oci.image.layer.v1.tar"
        );
    }

    #[test]
    fn frames_redraw_live_lines_in_place_and_print_finished_ones_once() {
        let mut board = Board::default();
        let t0 = Instant::now();
        assert_eq!(board.frame(t0), "", "nothing to draw, nothing written");
        board.active.push(Bar {
            digest: layer(100).digest,
            total: 100,
            done: 50,
            since: t0,
        });
        let first = board.frame(t0);
        assert!(
            first.starts_with("\x1b[2KCopying 1a2b3c4d5e6f [########"),
            "{first:?}"
        );
        assert!(first.ends_with("\n\x1b[J"));
        // The next frame goes back over the one live line first.
        board.active.clear();
        board.finished.push("done".into());
        assert_eq!(board.frame(t0), "\x1b[1F\x1b[2Kdone\n\x1b[J");
        // Then nothing is live, and nothing is left to go back over.
        assert_eq!(board.frame(t0), "");
    }

    #[test]
    fn an_inert_display_takes_every_event() {
        let p = TransferProgress::new(false);
        assert!(p.shared.is_none());
        let d = layer(10);
        p.started(&d);
        p.transferred(&d, 10);
        p.done(&d, false);
        p.finish();
    }
}
