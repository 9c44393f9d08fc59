//! Go's formats and texts, reproduced where notation's output depends on them.
//!
//! notation is written in Go, and its messages, files and logs carry Go's conventions:
//! `%q` quoting, `time.Time` printing, `encoding/json` escapes, `encoding/pem` parsing,
//! `*os.PathError` and `net` error wording. Each lives here once so that every module
//! formats them the same way and byte-identically to upstream.

pub mod fmt;
pub mod json;
pub mod net;
pub mod os;
pub mod pem;
pub mod time;
