//! Running a plugin executable: one command argument, the JSON request on stdin, the JSON
//! response on stdout, the error object on stderr (plugins.md §2).

use super::proto::{RequestError, Response};
use super::PluginError;
use serde::Serialize;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Each of stdout and stderr is captured up to this many bytes.
pub(crate) const MAX_OUTPUT_BYTES: u64 = 64 << 20;

/// Run `path command` with `request` and decode its response.
pub fn run<Req: Serialize, Resp: Response>(
    path: &Path,
    command: &str,
    request: &Req,
) -> Result<Resp, PluginError> {
    let data = serde_json::to_vec(request).expect("plugin requests always serialize");
    log::debug!(
        "Plugin {command} request: {}",
        String::from_utf8_lossy(&data)
    );
    let (status, stdout, stderr) = match execute(path, command, &data) {
        Ok(out) => out,
        // Go reports a plugin that cannot be started like one that failed silently.
        Err(PluginError::Exec {
            path,
            error,
            bad_format,
        }) => {
            let status = format!("fork/exec {}: {error}", path.display());
            log_failure(command, &status, b"");
            let generic = decode_failure(&status, b"");
            return Err(if bad_format {
                PluginError::NotExecutable {
                    path,
                    error,
                    generic: Box::new(generic),
                }
            } else {
                generic
            });
        }
        Err(e) => return Err(e),
    };
    if !status.success() {
        log_failure(command, &exit_text(status), &stderr);
        return Err(decode_failure(&exit_text(status), &stderr));
    }
    log::debug!(
        "Plugin {command} response: {}",
        String::from_utf8_lossy(&stdout)
    );
    Resp::unmarshal(&stdout).map_err(|_| PluginError::NotCompliant)
}

/// notation-go's debug lines for a plugin that failed.
fn log_failure(command: &str, status: &str, stderr: &[u8]) {
    log::debug!("plugin {command} execution status: {status}");
    log::debug!(
        "Plugin {command} returned error: {}",
        String::from_utf8_lossy(stderr)
    );
}

/// Go's `exec.ExitError` text.
fn exit_text(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("signal: {}", signal_name(sig));
        }
    }
    format!("exit status {}", status.code().unwrap_or(-1))
}

#[cfg(unix)]
fn signal_name(sig: i32) -> String {
    match sig {
        9 => "killed".into(),
        15 => "terminated".into(),
        6 => "aborted".into(),
        11 => "segmentation fault".into(),
        n => format!("signal {n}"),
    }
}

/// notation-go `run`: stderr must be the error object; anything else is a generic error.
fn decode_failure(status: &str, stderr: &[u8]) -> PluginError {
    match RequestError::unmarshal(stderr) {
        Ok(e) if !(e.code.is_empty() && e.message.is_empty() && e.metadata.is_none()) => {
            PluginError::Request(e)
        }
        _ => PluginError::Request(RequestError {
            code: "ERROR".into(),
            message: format!(
                "response is not in JSON format. error: {status}, stderr: {}",
                String::from_utf8_lossy(stderr)
            ),
            metadata: None,
        }),
    }
}

/// Linux's and the BSDs' `ENOEXEC`.
const ENOEXEC: i32 = 8;

type Output = (std::process::ExitStatus, Vec<u8>, Vec<u8>);

fn execute(path: &Path, command: &str, stdin_data: &[u8]) -> Result<Output, PluginError> {
    let exec_err = |e: std::io::Error| PluginError::Exec {
        path: path.to_path_buf(),
        error: crate::go::os::errno_text(&e),
        bad_format: e.raw_os_error() == Some(ENOEXEC),
    };
    let mut child = Command::new(path)
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(exec_err)?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let (out, err) = std::thread::scope(|s| {
        // A plugin that ignores its input must not block us: write errors are ignored.
        s.spawn(move || {
            let _ = stdin.write_all(stdin_data);
        });
        let out = s.spawn(move || read_limited(&mut stdout));
        let err = read_limited(&mut stderr);
        (out.join().unwrap_or(Ok(None)), err)
    });
    let status = child.wait().map_err(exec_err)?;
    let (Some(out), Some(err)) = (out.map_err(exec_err)?, err.map_err(exec_err)?) else {
        return Err(PluginError::OutputTooLarge);
    };
    Ok((status, out, err))
}

/// Read to EOF; `None` when more than [`MAX_OUTPUT_BYTES`] arrive (the rest is drained so
/// the plugin does not block on a full pipe).
fn read_limited(r: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    r.by_ref()
        .take(MAX_OUTPUT_BYTES + 1)
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_OUTPUT_BYTES {
        std::io::copy(r, &mut std::io::sink())?;
        return Ok(None);
    }
    Ok(Some(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stderr_error_object_or_generic_error() {
        let e = decode_failure(
            "exit status 1",
            br#"{"errorCode":"VALIDATION_ERROR","errorMessage":"key not found"}"#,
        );
        assert_eq!(e.to_string(), "VALIDATION_ERROR: key not found");
        let e = decode_failure("exit status 2", b"boom");
        assert_eq!(
            e.to_string(),
            "ERROR: response is not in JSON format. error: exit status 2, stderr: boom"
        );
        let e = decode_failure("exit status 1", b"{}");
        assert!(e.to_string().starts_with("ERROR: response is not in JSON"));
    }
}
