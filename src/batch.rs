//! Many references in one invocation: reading them from a file, running them concurrently
//! with a bound while keeping their results in input order, and sharing one registry client
//! per registry between them.

use crate::reference::RegistryReference;
use crate::target::registry::{Registry, RegistryOptions};
use crate::target::TargetError;
use futures_util::{Stream, StreamExt as _};
use std::collections::HashMap;
use std::future::Future;
use std::io::Read as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// References processed at once unless `--concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// Largest reference file read (a million references of typical length).
const MAX_REFERENCE_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a reference file, or one of its lines, could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferenceFileError {
    /// The file itself could not be read.
    #[error("failed to read references from {path}: {reason}")]
    Read {
        /// The file (`-` for stdin).
        path: String,
        /// Why it could not be read.
        reason: String,
    },
    /// One line is not UTF-8 text; the other lines are still used.
    #[error("{path}: line {line}: not valid UTF-8")]
    NotText {
        /// The file (`-` for stdin).
        path: String,
        /// The line, from 1.
        line: usize,
    },
}

/// The references in a file (`-` for stdin): one per line, surrounding blanks trimmed,
/// blank lines and `#` comments skipped. A line that is not text is an error in its place.
pub fn read_reference_file(
    path: &str,
) -> Result<Vec<Result<String, ReferenceFileError>>, ReferenceFileError> {
    let fail = |e: std::io::Error| ReferenceFileError::Read {
        path: path.to_string(),
        reason: e.to_string(),
    };
    let mut data = Vec::new();
    let limit = MAX_REFERENCE_FILE_BYTES + 1;
    if path == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut data)
            .map_err(fail)?;
    } else {
        std::fs::File::open(Path::new(path))
            .and_then(|f| f.take(limit).read_to_end(&mut data))
            .map_err(fail)?;
    }
    if data.len() as u64 > MAX_REFERENCE_FILE_BYTES {
        return Err(ReferenceFileError::Read {
            path: path.to_string(),
            reason: format!("more than {MAX_REFERENCE_FILE_BYTES} bytes"),
        });
    }
    Ok(parse_reference_lines(path, &data))
}

/// The references in `data` (see [`read_reference_file`]); `path` names it in errors.
pub(crate) fn parse_reference_lines(
    path: &str,
    data: &[u8],
) -> Vec<Result<String, ReferenceFileError>> {
    data.split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, line)| match std::str::from_utf8(line) {
            Err(_) => Some(Err(ReferenceFileError::NotText {
                path: path.to_string(),
                line: i + 1,
            })),
            Ok(text) => {
                let text = text.trim();
                (!text.is_empty() && !text.starts_with('#')).then(|| Ok(text.to_string()))
            }
        })
        .collect()
}

/// Run `jobs`, at most `concurrency` at a time, yielding their results in input order as
/// soon as each one and all before it are done.
pub fn in_order<F: Future>(
    jobs: impl IntoIterator<Item = F>,
    concurrency: usize,
) -> impl Stream<Item = F::Output> {
    futures_util::stream::iter(jobs).buffered(concurrency.max(1))
}

/// Registry clients shared by the references of one invocation: one per repository, and
/// one HTTP client (connections, credentials, tokens) per registry.
#[derive(Default)]
pub struct RegistryPool {
    repositories: Mutex<HashMap<(String, String), Arc<Registry>>>,
}

impl RegistryPool {
    /// The client for the repository of `reference`; `options` makes the first one for its
    /// registry.
    pub fn get<E: From<TargetError>>(
        &self,
        reference: &RegistryReference,
        options: impl FnOnce() -> Result<RegistryOptions, E>,
    ) -> Result<Arc<Registry>, E> {
        let mut repositories = self.repositories.lock().expect("not poisoned");
        let key = (reference.registry.clone(), reference.repository.clone());
        if let Some(existing) = repositories.get(&key) {
            return Ok(existing.clone());
        }
        // A sibling that already knows the registry lacks the referrers API passes it on.
        let sibling = repositories
            .iter()
            .filter(|((registry, _), _)| *registry == reference.registry)
            .map(|(_, r)| r)
            .max_by_key(|r| r.lacks_referrers_api())
            .map(|r| r.for_repository(&reference.repository));
        let registry = Arc::new(match sibling {
            Some(r) => r,
            None => Registry::new(reference, options()?)?,
        });
        repositories.insert(key, registry.clone());
        Ok(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_lines() {
        let data = b"# release 1.2\n\nreg/a@sha256:1\n  reg/b:v1  \r\n\xff\xfe\n#x\nreg/c";
        assert_eq!(
            parse_reference_lines("refs.txt", data),
            vec![
                Ok("reg/a@sha256:1".to_string()),
                Ok("reg/b:v1".to_string()),
                Err(ReferenceFileError::NotText {
                    path: "refs.txt".into(),
                    line: 5
                }),
                Ok("reg/c".to_string()),
            ]
        );
        assert_eq!(
            ReferenceFileError::NotText {
                path: "refs.txt".into(),
                line: 5
            }
            .to_string(),
            "refs.txt: line 5: not valid UTF-8"
        );
        assert!(parse_reference_lines("-", b"").is_empty());
    }

    #[test]
    fn missing_file() {
        let err = read_reference_file("/nonexistent/refs.txt").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("failed to read references from /nonexistent/refs.txt: "));
    }

    #[test]
    fn one_client_per_repository_options_once_per_registry() {
        let pool = RegistryPool::default();
        let mut made = 0;
        let mut get = |raw: &str| {
            let r = RegistryReference::parse(raw).unwrap();
            pool.get(&r, || {
                made += 1;
                Ok::<_, TargetError>(RegistryOptions::default())
            })
            .unwrap()
        };
        let a = get("reg.example/app:v1");
        let again = get("reg.example/app@sha256:0000000000000000000000000000000000000000000000000000000000000000");
        let other_repo = get("reg.example/tools:v1");
        let other_registry = get("other.example/app:v1");
        assert!(Arc::ptr_eq(&a, &again));
        assert!(!Arc::ptr_eq(&a, &other_repo));
        assert_eq!(other_repo.repository(), "tools");
        assert_eq!(other_registry.registry(), "other.example");
        assert_eq!(made, 2);
    }

    #[tokio::test]
    async fn results_keep_input_order_within_the_bound() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let jobs = (0..10u64).map(|i| {
            let (running, peak) = (&running, &peak);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Later jobs finish first.
                for _ in 0..(10 - i) {
                    tokio::task::yield_now().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                i
            }
        });
        let out: Vec<u64> = in_order(jobs, 3).collect().await;
        assert_eq!(out, (0..10).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
