//! Where every line goes: results to stdout, warnings and logs to stderr.
//!
//! A closed stdout (`notation list ... | head`) is not an error: the command stops and
//! exits 0 quietly, as ripgrep does.

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

/// Where a command's output goes: results to stdout, warnings and errors to stderr, each
/// held back while a [`capture`] runs. Commands get it from [`super::Context`] and pass it
/// on; a failed write to stdout comes back as a [`WriteError`], which `cli::main` turns
/// into the exit code.
#[derive(Clone, Copy, Debug, Default)]
pub struct Printer;

/// Stdout could not be written: closed by the reader (`notation list | head`: not an error,
/// exit 0 quietly, as ripgrep does) or failing otherwise (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("stdout closed")]
    Closed,
    #[error("failed to write to stdout: {0}")]
    Failed(io::Error),
}

impl WriteError {
    /// The exit code and the `Error:` line (none for a closed pipe) of a failed write.
    pub fn exit(&self) -> i32 {
        match self {
            WriteError::Closed => 0,
            WriteError::Failed(_) => {
                write_err(&format!("Error: {self}\n"));
                1
            }
        }
    }
}

impl From<io::Error> for WriteError {
    fn from(e: io::Error) -> WriteError {
        if e.kind() == io::ErrorKind::BrokenPipe {
            WriteError::Closed
        } else {
            WriteError::Failed(e)
        }
    }
}

impl Printer {
    /// Write `text` to stdout as is (no newline added).
    pub fn print(self, text: &str) -> Result<(), WriteError> {
        if held(Stream::Out, text) {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        Ok(out.flush()?)
    }

    /// Write one line to stdout.
    pub fn println(self, line: &str) -> Result<(), WriteError> {
        self.print(&format!("{line}\n"))
    }

    /// Write one line to stderr.
    pub fn eprintln(self, line: &str) {
        eprintln(line)
    }

    /// `Warning: <msg>` on stderr.
    pub fn warn(self, msg: &str) {
        self.eprintln(&format!("Warning: {msg}"));
    }

    /// Print what a [`capture`] held back.
    pub fn replay(self, stream: Stream, text: &str) -> Result<(), WriteError> {
        match stream {
            Stream::Out => self.print(text),
            Stream::Err => {
                write_err(text);
                Ok(())
            }
        }
    }

    /// Print upstream's experimental warning when NOTATION_EXPERIMENTAL=1 and an
    /// experimental flag (`--oci-layout`, `--scope`) was used.
    pub fn experimental_warning(self, used_experimental_flag: bool) {
        if used_experimental_flag && experimental_enabled() {
            self.warn("This feature is experimental and may not be fully tested or completed and may be deprecated. Report any issues to \"https://github/notaryproject/notation\"");
        }
    }

    /// The "use a digest, not a tag" warning (`verb` is sign, verify, list or inspect).
    pub fn tag_warning(self, verb: &str, tag: &str) {
        if verb == "sign" {
            self.warn(&format!("Always sign the artifact using digest(@sha256:...) rather than a tag(:{tag}) because tags are mutable and a tag reference can point to a different artifact than the one signed."));
        } else {
            self.warn(&format!("Always {verb} the artifact using digest(@sha256:...) rather than a tag(:{tag}) because resolved digest may not point to the same signed artifact, as tags are mutable."));
        }
    }

    /// Ask `prompt [y/N] ` on stdout (notation's `AskForConfirmation`). `yes` skips the
    /// question. At EOF the answer is no and nothing more is printed; any answer but y/yes
    /// prints `Operation cancelled.`.
    pub fn confirm(self, prompt: &str, yes: bool) -> Result<bool, WriteError> {
        if yes {
            return Ok(true);
        }
        self.print(&format!("{prompt} [y/N] "))?;
        let mut line = String::new();
        match io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => Ok(false),
            Ok(_) => {
                let answer = line.trim().to_lowercase();
                if answer == "y" || answer == "yes" {
                    Ok(true)
                } else {
                    self.println("Operation cancelled.")?;
                    Ok(false)
                }
            }
        }
    }

    /// The closing line when several artifacts were processed, on stderr:
    /// `<done> <n> of <total> artifacts[; failed: <ref>, …]` (none for a single artifact).
    /// Fails (exit 1, nothing more printed) when any failed.
    pub fn summary(self, done: &str, total: usize, failed: &[String]) -> anyhow::Result<()> {
        let ok = total - failed.len();
        if total > 1 {
            let mut line = format!("{done} {ok} of {total} artifacts");
            if !failed.is_empty() {
                line.push_str(&format!("; failed: {}", failed.join(", ")));
            }
            self.eprintln(&line);
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(Reported.into())
        }
    }
}

/// Write to stderr; a failure there has nowhere to be reported.
fn write_err(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// Write one line to stderr (the logger's lines too).
fn eprintln(line: &str) {
    if held(Stream::Err, &format!("{line}\n")) {
        return;
    }
    write_err(&format!("{line}\n"));
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

/// Whether `NOTATION_EXPERIMENTAL=1`, which makes us behave exactly as upstream around
/// experimental flags (its warning line), while we accept those flags either way.
pub fn experimental_enabled() -> bool {
    std::env::var("NOTATION_EXPERIMENTAL").as_deref() == Ok("1")
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
            let out = Printer;
            out.println(&format!("out {n}")).unwrap();
            tokio::task::yield_now().await;
            out.warn(&format!("warn {n}"));
            out.print(&format!("tail {n}")).unwrap();
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

/// The one JSON document of `--recursive` and of several references: an array of the
/// per-artifact documents, two-space indented, object members in sorted order (so that
/// documents gathered from several references read alike).
pub fn json_array<T: serde::Serialize>(documents: &[T]) -> anyhow::Result<String> {
    let value = serde_json::to_value(documents)?;
    Ok(serde_json::to_string_pretty(&value)?)
}
