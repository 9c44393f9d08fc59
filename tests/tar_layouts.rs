//! Tar layouts under damage and interruption: a truncated or corrupted archive is never
//! replaced, signing through a symlink signs the archive it points to, and the temp files of
//! an interrupted write are removed (on SIGINT/SIGTERM at once, after `kill -9` by the next
//! write, never while their writer lives).

mod common;

use common::{notation, notation_process, testdata_layout, ConfigHome};
use sha2::{Digest as _, Sha256};
use std::fs::{self, File};
use std::io::{self, BufRead, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output};
use std::time::{Duration, SystemTime};

/// Names of notation's temp files and staging directories in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".notation-"))
        .collect();
    names.sort();
    names
}

fn sign(dir: &Path, home: &ConfigHome, reference: &str) -> Output {
    notation(dir, home)
        .args(["sign", "--oci-layout", reference])
        .output()
        .unwrap()
}

fn signature_count(dir: &Path, home: &ConfigHome, reference: &str) -> usize {
    let out = notation(dir, home)
        .args(["list", "--oci-layout", reference])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.matches("── sha256:").count()
}

/// A refused sign: exit 1, one `Error:` line (warnings aside) that says its reason once,
/// and no success message. Returns the error line.
fn assert_refused(out: &Output, context: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{context}: {stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("Warning:"))
        .collect();
    assert_eq!(lines.len(), 1, "{context}: {stderr}");
    let line = lines[0];
    assert!(line.starts_with("Error: "), "{context}: {stderr}");
    let reason = line.rsplit(": ").next().unwrap();
    assert_eq!(line.matches(reason).count(), 1, "{context}: {line}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Successfully"));
    line.to_string()
}

/// `testdata/layouts/single-platform.tar` signed once.
fn signed_tar(home: &ConfigHome) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        testdata_layout("single-platform.tar"),
        dir.path().join("s.tar"),
    )
    .unwrap();
    assert!(sign(dir.path(), home, "s.tar:v1").status.success());
    fs::read(dir.path().join("s.tar")).unwrap()
}

/// One archive entry: name (without `./`), where its data starts, its content.
struct Entry {
    name: String,
    offset: u64,
    data: Vec<u8>,
}

/// Every entry of a well-formed tar (each read in full), and where the last one's padded
/// data ends.
fn entries(archive: &[u8]) -> (Vec<Entry>, u64) {
    let mut a = tar::Archive::new(archive);
    let mut out = Vec::new();
    let mut end = 0;
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let offset = e.raw_file_position();
        end = (offset + e.size()).div_ceil(512) * 512;
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        assert_eq!(data.len() as u64, e.size(), "{name}: short entry");
        out.push(Entry {
            name: name.trim_start_matches("./").to_string(),
            offset,
            data,
        });
    }
    (out, end)
}

/// A signed archive is whole: it holds every entry of `original` and each blob hashes to
/// its name.
fn assert_whole(archive: &[u8], original: &[Entry], context: &str) {
    let (got, _) = entries(archive);
    for want in original {
        assert!(
            got.iter().any(|e| e.name == want.name),
            "{context}: {} lost",
            want.name
        );
    }
    for e in &got {
        if let Some(hex) = e
            .name
            .strip_prefix("blobs/sha256/")
            .filter(|h| !h.is_empty())
        {
            assert_eq!(hex::encode(Sha256::digest(&e.data)), hex, "{context}");
        }
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut plain)
        .unwrap();
    plain
}

#[test]
fn every_truncation_point_of_a_signed_tar_is_refused_or_signed_whole() {
    let home = ConfigHome::signing();
    let signed = signed_tar(&home);
    let (original, content_end) = entries(&signed);
    let dir = tempfile::tempdir().unwrap();
    let len = signed.len();
    let mut cuts: Vec<usize> = (0..len).step_by(512).collect();
    cuts.extend([1, 100, 511, 513, 1000, 11200, 20000, len - 513, len - 1]);
    let mut signed_whole = 0;
    for cut in cuts {
        let context = format!("cut at {cut} of {len}");
        let damaged = &signed[..cut];
        fs::write(dir.path().join("t.tar"), damaged).unwrap();
        let out = sign(dir.path(), &home, "t.tar:v1");
        if out.status.success() {
            // Only the end-of-archive blocks may have been cut.
            assert!(cut as u64 >= content_end, "{context}");
            assert_whole(
                &fs::read(dir.path().join("t.tar")).unwrap(),
                &original,
                &context,
            );
            assert_eq!(
                signature_count(dir.path(), &home, "t.tar:v1"),
                2,
                "{context}"
            );
            signed_whole += 1;
        } else {
            let line = assert_refused(&out, &context);
            if cut == 11200 {
                // The issue's repro: the entry cut in the middle is named.
                assert!(
                    line.contains("t.tar: invalid tar archive: entry blobs/sha256/"),
                    "{line}"
                );
                assert!(line.contains("truncated"), "{line}");
            }
            assert!(
                fs::read(dir.path().join("t.tar")).unwrap() == damaged,
                "{context}"
            );
        }
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "{context}");
    }
    // Cutting into the trailing zero blocks leaves a readable archive, which is signed.
    assert!(signed_whole >= 2, "{signed_whole}");
}

#[test]
fn every_truncation_point_of_a_signed_tar_gz_is_refused() {
    let home = ConfigHome::signing();
    let signed = signed_tar(&home);
    let (original, _) = entries(&signed);
    let gz = gzip(&signed);
    let dir = tempfile::tempdir().unwrap();
    let len = gz.len();
    let mut cuts: Vec<usize> = (1..len).step_by(512).collect();
    cuts.extend([10, 100, len - 9, len - 8, len - 4, len - 1]);
    for cut in cuts {
        let context = format!("cut at {cut} of {len}");
        let damaged = &gz[..cut];
        fs::write(dir.path().join("t.tar.gz"), damaged).unwrap();
        assert_refused(&sign(dir.path(), &home, "t.tar.gz:v1"), &context);
        assert!(
            fs::read(dir.path().join("t.tar.gz")).unwrap() == damaged,
            "{context}"
        );
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "{context}");
    }
    // The whole archive signs, stays gzip, and reads back whole.
    fs::write(dir.path().join("t.tar.gz"), &gz).unwrap();
    assert!(sign(dir.path(), &home, "t.tar.gz:v1").status.success());
    let new = fs::read(dir.path().join("t.tar.gz")).unwrap();
    assert_whole(&gunzip(&new), &original, "whole gzip");
    assert_eq!(signature_count(dir.path(), &home, "t.tar.gz:v1"), 2);
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn an_archive_with_a_corrupted_blob_is_not_rewritten() {
    let home = ConfigHome::signing();
    let signed = signed_tar(&home);
    let (original, _) = entries(&signed);
    // The largest blob: a layer, which signing itself never reads.
    let layer = original
        .iter()
        .filter(|e| e.name.starts_with("blobs/sha256/"))
        .max_by_key(|e| e.data.len())
        .unwrap();
    let mut corrupted = signed.clone();
    corrupted[layer.offset as usize + 100] ^= 0x20; // same length, other content
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("t.tar", corrupted.clone()), ("t.tar.gz", gzip(&corrupted))] {
        fs::write(dir.path().join(name), &bytes).unwrap();
        let line = assert_refused(&sign(dir.path(), &home, &format!("{name}:v1")), name);
        assert_eq!(
            line,
            format!(
                "Error: failed to push signature to registry with error: {name}: invalid tar archive: entry {}: content does not match its digest",
                layer.name
            )
        );
        assert!(fs::read(dir.path().join(name)).unwrap() == bytes, "{name}");
        assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    }
}

#[test]
fn signing_through_a_symlink_signs_the_archive_it_points_to() {
    let home = ConfigHome::signing();
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("real");
    fs::create_dir(&real_dir).unwrap();
    let real = real_dir.join("image.tar");
    fs::copy(testdata_layout("single-platform.tar"), &real).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::symlink("real/image.tar", dir.path().join("link.tar")).unwrap();

    assert!(sign(dir.path(), &home, "link.tar:v1").status.success());

    let link = dir.path().join("link.tar");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("real/image.tar"));
    assert_eq!(signature_count(dir.path(), &home, "real/image.tar:v1"), 1);
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    assert_eq!(leftovers(&real_dir), Vec::<String>::new());
}

/// A copy of the single-platform layout tar with an extra 128 MiB blob, so that rewriting
/// it takes long enough to be interrupted for real.
fn big_tar(dir: &Path) -> PathBuf {
    const SIZE: u64 = 128 << 20;
    let path = dir.join("big.tar");
    let mut builder = tar::Builder::new(io::BufWriter::new(File::create(&path).unwrap()));
    let src = fs::read(testdata_layout("single-platform.tar")).unwrap();
    let mut archive = tar::Archive::new(&src[..]);
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let mut header = e.header().clone();
        let name = e.path().unwrap().into_owned();
        builder.append_data(&mut header, name, &mut e).unwrap();
    }
    let mut hasher = Sha256::new();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..SIZE >> 20 {
        hasher.update(&zeros);
    }
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(SIZE);
    let name = format!("blobs/sha256/{}", hex::encode(hasher.finalize()));
    builder
        .append_data(&mut header, name, io::repeat(0).take(SIZE))
        .unwrap();
    builder.into_inner().unwrap().flush().unwrap();
    path
}

fn file_digest(path: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut file = io::BufReader::with_capacity(1 << 20, File::open(path).unwrap());
    loop {
        let chunk = file.fill_buf().unwrap();
        if chunk.is_empty() {
            return hex::encode(hasher.finalize());
        }
        hasher.update(chunk);
        let n = chunk.len();
        file.consume(n);
    }
}

/// Run notation with `args` in `dir`, wait until it has made a temp file or staging
/// directory whose name starts with `started` there, send it `signal`, and return how it
/// ended.
fn interrupt(
    dir: &Path,
    home: &ConfigHome,
    args: &[&str],
    started: &str,
    signal: i32,
) -> ExitStatus {
    let mut cmd = notation_process(dir, home);
    cmd.args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // A run started with SIGINT ignored keeps it ignored (as Go does); the test runner may
    // have been started that way (a background job of a script), so give the child the default.
    // SAFETY: signal(2) is async-signal-safe, as pre_exec requires.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    while !leftovers(dir).iter().any(|n| n.starts_with(started)) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{args:?} ended ({status}) before it could be interrupted");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: kill(2) on our own child, which has not been waited for, so its pid is live.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "kill: {}", io::Error::last_os_error());
    child.wait().unwrap()
}

/// Interrupt `sign` on `big.tar` while it rewrites the archive (its temp file is there).
fn interrupt_sign(dir: &Path, home: &ConfigHome, signal: i32) -> ExitStatus {
    let args = ["sign", "--oci-layout", "big.tar:v1"];
    interrupt(dir, home, &args, ".notation-tmp-", signal)
}

/// Turn a leftover's clock back ten minutes, as if it had been left that long ago.
fn age(path: &Path) {
    let then = SystemTime::now() - Duration::from_secs(600);
    File::open(path).unwrap().set_modified(then).unwrap();
}

#[test]
fn a_killed_sign_leaves_temp_files_that_the_next_sign_removes() {
    let home = ConfigHome::signing();
    let dir = tempfile::tempdir().unwrap();
    let tar = big_tar(dir.path());
    let before = file_digest(&tar);

    let status = interrupt_sign(dir.path(), &home, libc::SIGKILL);
    assert_eq!(status.signal(), Some(9), "{status}");
    let left = leftovers(dir.path());
    assert!(
        left.iter().any(|n| n.starts_with(".notation-tmp-")),
        "{left:?}"
    );
    assert!(
        left.iter().any(|n| n.starts_with(".notation-staging-")),
        "{left:?}"
    );
    assert_eq!(file_digest(&tar), before);

    for name in &left {
        age(&dir.path().join(name));
    }
    let out = sign(dir.path(), &home, "big.tar:v1");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    assert_eq!(signature_count(dir.path(), &home, "big.tar:v1"), 1);
}

#[test]
fn sigterm_or_sigint_during_sign_leaves_nothing_and_dies_by_the_signal() {
    let home = ConfigHome::signing();
    let dir = tempfile::tempdir().unwrap();
    let tar = big_tar(dir.path());
    let before = file_digest(&tar);
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let status = interrupt_sign(dir.path(), &home, signal);
        assert_eq!(status.signal(), Some(signal), "{signal}: {status}");
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "{signal}");
        assert_eq!(file_digest(&tar), before, "{signal}");
    }
}

#[test]
fn a_live_writers_temp_file_is_not_removed() {
    let home = ConfigHome::signing();
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        testdata_layout("single-platform.tar"),
        dir.path().join("image.tar"),
    )
    .unwrap();
    let held = dir.path().join(".notation-tmp-held");
    let dead = dir.path().join(".notation-tmp-dead");
    fs::write(&held, b"a live writer's partial archive").unwrap();
    fs::write(&dead, b"a killed writer's partial archive").unwrap();
    age(&held);
    age(&dead);
    // Another process holds the lock on `held`, as a writer does on its temp file.
    let mut holder = std::process::Command::new("flock")
        .args(["--no-fork", "--exclusive"])
        .arg(&held)
        .args(["sleep", "600"])
        .spawn()
        .unwrap();
    while File::open(&held).unwrap().try_lock().is_ok() {
        assert!(holder.try_wait().unwrap().is_none(), "flock ended early");
        std::thread::sleep(Duration::from_millis(1));
    }

    assert!(sign(dir.path(), &home, "image.tar:v1").status.success());
    assert_eq!(
        leftovers(dir.path()),
        vec![".notation-tmp-held".to_string()]
    );

    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(sign(dir.path(), &home, "image.tar:v1").status.success());
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

#[test]
fn a_write_to_a_layout_directory_removes_abandoned_temp_files() {
    let home = ConfigHome::signing();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    common::copy_tree(&testdata_layout("single-platform"), &layout);
    let blobs = layout.join("blobs/sha256");
    let dead_blob = blobs.join(".notation-tmp-dead");
    let dead_index = layout.join(".notation-tmp-index");
    let young = blobs.join(".notation-tmp-young");
    for p in [&dead_blob, &dead_index, &young] {
        fs::write(p, b"partial").unwrap();
    }
    age(&dead_blob);
    age(&dead_index);

    assert!(sign(dir.path(), &home, "layout:v1").status.success());

    assert_eq!(leftovers(&layout), Vec::<String>::new());
    // A temp file this fresh may belong to a writer that has not locked it yet.
    assert_eq!(leftovers(&blobs), vec![".notation-tmp-young".to_string()]);
}

#[test]
fn an_archive_with_an_entry_outside_it_is_not_rewritten() {
    let home = ConfigHome::signing();
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = fs::read(testdata_layout("single-platform.tar")).unwrap();
    // Replace the end blocks by an entry named `../evil` (tar's builder refuses to write one).
    let (_, end) = entries(&bytes);
    bytes.truncate(end as usize);
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..7].copy_from_slice(b"../evil");
    header.set_mode(0o644);
    header.set_size(1);
    header.set_cksum();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(b"x");
    bytes.resize(bytes.len() + 511 + 1024, 0);
    fs::write(dir.path().join("t.tar"), &bytes).unwrap();

    let line = assert_refused(&sign(dir.path(), &home, "t.tar:v1"), "../evil");
    assert!(
        line.ends_with("t.tar: invalid tar archive: entry ../evil: path is absolute or has `..`"),
        "{line}"
    );
    assert!(fs::read(dir.path().join("t.tar")).unwrap() == bytes);
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}

/// A layout directory at `dir` whose `v1` is an image with a 128 MiB layer, so that copying
/// it takes long enough to be interrupted for real.
fn big_layout_dir(dir: &Path) {
    const SIZE: usize = 128 << 20;
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let hex = hex::encode(Sha256::digest(data));
        fs::write(blobs.join(&hex), data).unwrap();
        format!("sha256:{hex}")
    };
    let layer = put(&vec![0u8; SIZE]);
    let config = put(b"{}");
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": SIZE}],
    })
    .to_string();
    let digest = put(manifest.as_bytes());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
        "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]});
    fs::write(dir.join("index.json"), index.to_string()).unwrap();
    fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn an_interrupted_copy_to_a_tar_leaves_nothing_or_is_cleaned_up_by_the_next_copy() {
    let home = ConfigHome::signing();
    let dir = tempfile::tempdir().unwrap();
    big_layout_dir(&dir.path().join("src"));
    let args = [
        "copy",
        "--from-oci-layout",
        "src:v1",
        "--to-oci-layout",
        "out.tar:v1",
    ];

    let status = interrupt(
        dir.path(),
        &home,
        &args,
        ".notation-staging-",
        libc::SIGTERM,
    );
    assert_eq!(status.signal(), Some(15), "{status}");
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());

    let status = interrupt(
        dir.path(),
        &home,
        &args,
        ".notation-staging-",
        libc::SIGKILL,
    );
    assert_eq!(status.signal(), Some(9), "{status}");
    let left = leftovers(dir.path());
    assert!(!left.is_empty());
    for name in &left {
        age(&dir.path().join(name));
    }
    let out = notation(dir.path(), &home).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
    let (copied, _) = entries(&fs::read(dir.path().join("out.tar")).unwrap());
    assert!(copied.iter().any(|e| e.data.len() == 128 << 20));
}
