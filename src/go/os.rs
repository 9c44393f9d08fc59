//! Go's `os` error texts: OS errors as `syscall.Errno` prints them and `*os.PathError`
//! (`open <path>: no such file or directory`), as notation's messages show them.

use std::io;
use std::path::{Path, PathBuf};

/// The text Go's `syscall.Errno` gives for an OS error: the C library's message with a
/// lower-case first letter (`no such file or directory`), without Rust's `(os error N)`.
pub(crate) fn errno_text(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match text.find(" (os error ") {
        Some(i) if err.raw_os_error().is_some() => text[..i].to_string(),
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// Go's `*os.PathError` text: `<op> <path>: <errno text>`.
pub fn path_error(op: &str, path: &Path, err: &io::Error) -> String {
    format!("{op} {}: {}", path.display(), errno_text(err))
}

/// An OS error on a path, displayed as Go's `*os.PathError` (`stat <path>: no such file or directory`).
#[derive(Debug, thiserror::Error)]
#[error("{}", path_error(.op, .path, .error))]
pub struct PathError {
    /// The Go operation name: `open`, `stat`, `lstat`, `read`, `remove`, ...
    pub op: &'static str,
    /// The path as notation computed it.
    pub path: PathBuf,
    /// The OS error (not a `source`: the text above already includes it).
    pub error: io::Error,
}

impl PathError {
    /// Wrap `source` from operation `op` on `path`.
    pub fn new(op: &'static str, path: impl Into<PathBuf>, error: io::Error) -> PathError {
        PathError {
            op,
            path: path.into(),
            error,
        }
    }

    /// Whether the path did not exist (Go's `os.IsNotExist`).
    pub fn is_not_found(&self) -> bool {
        self.error.kind() == io::ErrorKind::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_errors_read_like_go() {
        let err = std::fs::File::open("/definitely/not/here").unwrap_err();
        assert_eq!(
            path_error("open", Path::new("/definitely/not/here"), &err),
            "open /definitely/not/here: no such file or directory"
        );
        let custom = io::Error::other("Custom thing");
        assert_eq!(errno_text(&custom), "custom thing");
    }
}
