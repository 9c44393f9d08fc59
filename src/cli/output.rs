//! Where every line goes: results to stdout, warnings and logs to stderr.
//!
//! A closed stdout (`notation list ... | head`) is not an error: we stop quietly with exit 0,
//! as ripgrep does.

// Some helpers (the -v/-d logger, println) are used only by commands still being written.
#![allow(dead_code)]

use std::io::{self, Write};

/// Which of the two a captured piece of output was written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

tokio::task_local! {
    /// Output held back while one of several references is processed (see [`capture`]).
    static CAPTURED: std::cell::RefCell<Vec<(Stream, String)>>;
}

/// Run `job` with everything it prints held back, so that the output of references run
/// concurrently can be printed in input order. (Log records from other tasks are not held
/// back: `BatchArgs::run` takes one reference at a time under `-v`/`-d`.)
pub async fn capture<F: std::future::Future>(job: F) -> (F::Output, Vec<(Stream, String)>) {
    let cell = std::cell::RefCell::new(Vec::new());
    CAPTURED
        .scope(cell, async move {
            let out = job.await;
            (out, CAPTURED.with(|c| c.take()))
        })
        .await
}

/// Hold `text` back if a [`capture`] is running; whether it was.
fn held(stream: Stream, text: &str) -> bool {
    CAPTURED
        .try_with(|c| c.borrow_mut().push((stream, text.to_string())))
        .is_ok()
}

/// Print captured output.
pub fn replay(stream: Stream, text: &str) {
    match stream {
        Stream::Out => print(text),
        Stream::Err => {
            let _ = io::stderr().lock().write_all(text.as_bytes());
        }
    }
}

/// Write `text` to stdout as is (no newline added).
pub fn print(text: &str) {
    if held(Stream::Out, text) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        exit_on_broken_pipe(e);
    }
}

/// Write one line to stdout.
pub fn println(line: &str) {
    if held(Stream::Out, &format!("{line}\n")) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|_| out.flush()) {
        exit_on_broken_pipe(e);
    }
}

/// Write one line to stderr.
pub fn eprintln(line: &str) {
    if held(Stream::Err, &format!("{line}\n")) {
        return;
    }
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// `Warning: <msg>` on stderr.
pub fn warn(msg: &str) {
    eprintln(&format!("Warning: {msg}"));
}

/// The text of `Error: <text>` for a failed command: each error of the chain joined by
/// `": "`, leaving out a cause whose text the message already carries. Library errors often
/// both print their cause (as upstream's texts do) and expose it as `source()`; without
/// this the reason would appear two or three times on the line.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

fn exit_on_broken_pipe(e: io::Error) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    let _ = writeln!(io::stderr(), "Error: failed to write to stdout: {e}");
    std::process::exit(1);
}

/// Whether `NOTATION_EXPERIMENTAL=1`, which makes us behave exactly as upstream around
/// experimental flags (its warning line), while we accept those flags either way.
pub fn experimental_enabled() -> bool {
    std::env::var("NOTATION_EXPERIMENTAL").as_deref() == Ok("1")
}

/// Print upstream's experimental warning when NOTATION_EXPERIMENTAL=1 and an experimental
/// flag (`--oci-layout`, `--scope`) was used.
pub fn experimental_warning(used_experimental_flag: bool) {
    if used_experimental_flag && experimental_enabled() {
        warn("This feature is experimental and may not be fully tested or completed and may be deprecated. Report any issues to \"https://github/notaryproject/notation\"");
    }
}

/// The "use a digest, not a tag" warning (`verb` is sign, verify, list or inspect).
pub fn tag_warning(verb: &str, tag: &str) {
    if verb == "sign" {
        warn(&format!("Always sign the artifact using digest(@sha256:...) rather than a tag(:{tag}) because tags are mutable and a tag reference can point to a different artifact than the one signed."));
    } else {
        warn(&format!("Always {verb} the artifact using digest(@sha256:...) rather than a tag(:{tag}) because resolved digest may not point to the same signed artifact, as tags are mutable."));
    }
}

/// Verbose (`-v`) and debug (`-d`) logging to stderr in logrus' text format.
#[derive(Clone, Copy, Debug, Default)]
pub struct Log {
    pub verbose: bool,
    pub debug: bool,
}

impl Log {
    /// `level=info msg=...` when -v or -d.
    pub fn info(&self, msg: &str) {
        if self.verbose || self.debug {
            self.line("info", msg);
        }
    }
    /// `level=warning msg=...` when -v or -d.
    pub fn warning(&self, msg: &str) {
        if self.verbose || self.debug {
            self.line("warning", msg);
        }
    }
    /// `level=error msg=...` when -v or -d.
    pub fn error(&self, msg: &str) {
        if self.verbose || self.debug {
            self.line("error", msg);
        }
    }
    /// `level=debug msg=...` when -d.
    pub fn debug(&self, msg: &str) {
        if self.debug {
            self.line("debug", msg);
        }
    }

    /// notation's logger shows no time with -v and the full local time (RFC 3339) with -d.
    fn line(&self, level: &str, msg: &str) {
        if self.debug {
            eprintln(&format!(
                "time={} level={level} msg={}",
                local_rfc3339(),
                logfmt_value(msg)
            ));
        } else {
            eprintln(&format!("level={level} msg={}", logfmt_value(msg)));
        }
    }

    /// Send the library's log records (notation-go's logger calls) through this logger:
    /// debug and up with -d, info and up with -v, nothing otherwise.
    pub fn install(&self) {
        let max = match (self.debug, self.verbose) {
            (true, _) => log::LevelFilter::Debug,
            (false, true) => log::LevelFilter::Info,
            _ => log::LevelFilter::Off,
        };
        LIBRARY_DEBUG.store(self.debug, std::sync::atomic::Ordering::Relaxed);
        // Only the first call installs; later calls (same flags) just set the level.
        let _ = log::set_logger(&LIBRARY_LOG);
        log::set_max_level(max);
    }
}

/// Whether the library's records are printed in -d form (with `time=`).
static LIBRARY_DEBUG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The sink of the library's `log` records.
static LIBRARY_LOG: LibraryLog = LibraryLog;

struct LibraryLog;

impl log::Log for LibraryLog {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        // Only our own records: dependencies (rustls, hyper) log through the facade too.
        meta.level() <= log::max_level() && meta.target().starts_with("notation")
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            log::Level::Error => "error",
            log::Level::Warn => "warning",
            log::Level::Info => "info",
            log::Level::Debug | log::Level::Trace => "debug",
        };
        let log = Log {
            verbose: true,
            debug: LIBRARY_DEBUG.load(std::sync::atomic::Ordering::Relaxed),
        };
        // logrus drops one trailing newline (plugin responses end with one).
        let msg = record.args().to_string();
        log.line(level, msg.strip_suffix('\n').unwrap_or(&msg));
    }

    fn flush(&self) {}
}

/// Now, in the local offset when it is known, as Go's `time.RFC3339`.
fn local_rfc3339() -> String {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    notation::go::time::rfc3339(now)
}

/// notation configures logrus with quoting disabled: messages are printed as they are.
fn logfmt_value(v: &str) -> &str {
    v
}

/// A table as notation prints it with Go's `tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)` and every
/// cell tab-terminated: columns padded to their widest cell plus 3 spaces, so each line ends in
/// padding spaces.
pub fn table(rows: &[Vec<String>]) -> String {
    use std::io::Write as _;
    let mut tw = tabwriter::TabWriter::new(Vec::new()).minwidth(0).padding(3);
    for row in rows {
        for cell in row {
            let _ = write!(tw, "{cell}\t");
        }
        let _ = writeln!(tw);
    }
    let bytes = tw.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Ask `prompt [y/N] ` on stdout (notation's `AskForConfirmation`). `yes` skips the question.
/// At EOF the answer is no and nothing more is printed; any answer but y/yes prints
/// `Operation cancelled.`.
pub fn confirm(prompt: &str, yes: bool) -> bool {
    if yes {
        return true;
    }
    print(&format!("{prompt} [y/N] "));
    let mut line = String::new();
    match io::stdin().read_line(&mut line) {
        Ok(0) | Err(_) => false,
        Ok(_) => {
            let answer = line.trim().to_lowercase();
            if answer == "y" || answer == "yes" {
                true
            } else {
                println("Operation cancelled.");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{path}: {source}")]
    struct Wrapping {
        path: String,
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn error_text_says_each_reason_once() {
        let inner = std::io::Error::other("paths in archives must not have `..`");
        let err = anyhow::Error::new(Wrapping {
            path: "evil.tar".into(),
            source: inner,
        })
        .context("failed to push signature");
        assert_eq!(
            error_text(&err),
            "failed to push signature: evil.tar: paths in archives must not have `..`"
        );
        // A cause the message does not carry is still added.
        let err = anyhow::anyhow!("disk full").context("failed to write index.json");
        assert_eq!(error_text(&err), "failed to write index.json: disk full");
    }

    #[tokio::test]
    async fn captured_output_stays_with_its_job() {
        let job = |n: u32| async move {
            println(&format!("out {n}"));
            tokio::task::yield_now().await;
            warn(&format!("warn {n}"));
            print(&format!("tail {n}"));
            n
        };
        let (a, b) = futures_util::join!(capture(job(1)), capture(job(2)));
        let expected = |n: u32| {
            vec![
                (Stream::Out, format!("out {n}\n")),
                (Stream::Err, format!("Warning: warn {n}\n")),
                (Stream::Out, format!("tail {n}")),
            ]
        };
        assert_eq!(a, (1, expected(1)));
        assert_eq!(b, (2, expected(2)));
    }

    #[test]
    fn table_pads_like_go_tabwriter() {
        let rows = vec![
            vec![
                "STORE TYPE".to_string(),
                "STORE NAME".into(),
                "CERTIFICATE".into(),
            ],
            vec![
                "ca".to_string(),
                "interop-root".into(),
                "root-ca.crt".into(),
            ],
        ];
        assert_eq!(
            table(&rows),
            "STORE TYPE   STORE NAME     CERTIFICATE   \nca           interop-root   root-ca.crt   \n"
        );
        let rows = vec![
            vec!["A".to_string(), "".into(), "C".into()],
            vec!["".to_string(), "".into(), "".into()],
        ];
        assert_eq!(table(&rows), "A      C   \n           \n");
    }
}

/// An error whose lines were already printed: the command exits 1 with no `Error:` line.
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("at least one artifact failed")
    }
}

impl std::error::Error for Reported {}

/// The closing line when several artifacts were processed, on stderr:
/// `<done> <n> of <total> artifacts[; failed: <ref>, …]` (none for a single artifact).
/// Fails (exit 1, nothing more printed) when any failed.
pub fn summary(done: &str, total: usize, failed: &[String]) -> anyhow::Result<()> {
    let ok = total - failed.len();
    if total > 1 {
        let mut line = format!("{done} {ok} of {total} artifacts");
        if !failed.is_empty() {
            line.push_str(&format!("; failed: {}", failed.join(", ")));
        }
        eprintln(&line);
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Reported.into())
    }
}

/// The one JSON document of `--recursive` and of several references: an array of the
/// per-artifact documents, two-space indented, object members in sorted order (so that
/// documents gathered from several references read alike).
pub fn json_array<T: serde::Serialize>(documents: &[T]) -> anyhow::Result<String> {
    let value = serde_json::to_value(documents)?;
    Ok(serde_json::to_string_pretty(&value)?)
}
