#[test]
fn gzip_expansion_is_bounded() {
    use std::io::Write as _;
    assert_eq!(super::max_decompressed(1000), super::MIN_GZIP_EXPANSION);
    assert_eq!(super::max_decompressed(1 << 30), 100 << 30);
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.tar.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&vec![0u8; 1 << 20]).unwrap();
    gz.finish().unwrap();
    let open = |limit| super::gunzip_to_temp(std::fs::File::open(&bomb).unwrap(), &bomb, limit);
    let err = open(1 << 19).unwrap_err().to_string();
    assert!(
        err.contains("refused as a likely decompression bomb"),
        "{err}"
    );
    assert_eq!(open(1 << 20).unwrap().metadata().unwrap().len(), 1 << 20);
}

use super::*;

fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = new_header(data.len() as u64);
        b.append_data(&mut header, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn index(bytes: &[u8]) -> io::Result<HashMap<String, Span>> {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(bytes).unwrap();
    index_entries(&f).map(|(entries, _)| entries)
}

fn message(e: io::Error) -> String {
    e.get_ref()
        .and_then(|r| r.downcast_ref::<Damaged>())
        .map(|d| d.to_string())
        .unwrap_or_else(|| panic!("not a damaged-entry error: {e}"))
}

#[test]
fn indexing_refuses_every_kind_of_cut() {
    let whole = archive(&[("index.json", b"{}"), ("blobs/sha256/ab", &[7u8; 700])]);
    assert_eq!(index(&whole).unwrap().len(), 2);
    // Inside the last entry's data.
    let err = index(&whole[..512 * 3 + 100]).unwrap_err();
    assert_eq!(
        message(err),
        "entry blobs/sha256/ab: truncated: 700 bytes declared, 100 in the archive"
    );
    // At an entry boundary: the entries left are whole, but the end block is missing.
    let err = index(&whole[..512 * 2]).unwrap_err();
    assert_eq!(
        message(err),
        "truncated after entry index.json: no end-of-archive block"
    );
    // A hostile name cannot break the message into lines.
    let named = archive(&[("x\n\u{1b}[31my", &[1u8; 10])]);
    let err = index(&named[..512 + 5]).unwrap_err();
    assert_eq!(
        message(err),
        "entry x\\n\\u{1b}[31my: truncated: 10 bytes declared, 5 in the archive"
    );
    // One end block is enough.
    let end = 512 * 5;
    assert!(index(&whole[..end + 512]).is_ok());
    assert!(index(&whole[..end]).is_err());
}

#[test]
fn checked_entries_refuse_short_reads_and_other_content() {
    let data = b"hello";
    let digest = Digest::sha256(data);
    let copy = |input: &[u8], len: u64| {
        let mut out = Vec::new();
        let mut r = CheckedEntry::new(input, "blobs/x", len, Some(digest.clone()));
        io::copy(&mut r, &mut out).map(|_| out).map_err(message)
    };
    assert_eq!(copy(data, 5).unwrap(), data);
    assert_eq!(
        copy(b"hel", 5).unwrap_err(),
        "entry blobs/x: truncated: 5 bytes declared, 3 in the archive"
    );
    assert_eq!(
        copy(b"jello", 5).unwrap_err(),
        "entry blobs/x: content does not match its digest"
    );
    // Never more than declared.
    assert_eq!(
        copy(b"hello world", 5).unwrap(),
        data,
        "reads stop at the declared length"
    );
}

#[test]
fn read_back_refuses_an_archive_that_is_not_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let index = br#"{"schemaVersion":2,"manifests":[]}"#;
    let blob = b"blob content";
    let digest = Digest::sha256(blob);
    let name = blob_name(&digest);
    let write = |file: &str, entries: &[(&str, &[u8])]| {
        let path = dir.path().join(file);
        std::fs::write(&path, archive(entries)).unwrap();
        path
    };
    let good = write("good.tar", &[("index.json", index), (&name, blob)]);
    let store = TarStore::open(&good).unwrap();
    let written = [(digest.clone(), blob.len() as u64)];
    store.read_back(&good, index, &written).unwrap();

    type Entries<'a> = &'a [(&'a str, &'a [u8])];
    let cases: [(&str, Entries, &str); 4] = [
        (
            "other-index.tar",
            &[("index.json", br#"{"schemaVersion":2}"#), (&name, blob)],
            "index.json differs",
        ),
        ("no-blob.tar", &[("index.json", index)], "is missing"),
        (
            "short.tar",
            &[("index.json", index), (&name, b"blob")],
            "4 bytes, 12 written",
        ),
        (
            "other.tar",
            &[("index.json", index), (&name, b"blob_content")],
            "content does not match its digest",
        ),
    ];
    for (file, entries, want) in cases {
        let bad = write(file, entries);
        let err = store
            .read_back(&bad, index, &written)
            .unwrap_err()
            .to_string();
        assert!(err.contains("did not read back intact"), "{file}: {err}");
        assert!(err.contains(want), "{file}: {err}");
    }
}

#[test]
fn blob_entry_names_map_to_digests() {
    let hex = "a".repeat(64);
    assert_eq!(
        blob_digest(&format!("blobs/sha256/{hex}")).map(|d| d.to_string()),
        Some(format!("sha256:{hex}"))
    );
    assert!(blob_digest("blobs/sha256/xyz").is_none());
    assert!(blob_digest("index.json").is_none());
}

#[test]
fn on_all_cores_does_every_item_once_and_reports_a_failure() {
    let items: Vec<usize> = (0..50).collect();
    let done = Mutex::new(Vec::new());
    on_all_cores(&items, |i| {
        done.lock().unwrap().push(*i);
        Ok(())
    })
    .unwrap();
    let mut done = done.into_inner().unwrap();
    done.sort_unstable();
    assert_eq!(done, items);

    let err = on_all_cores(&items, |i| match i {
        17 => Err(io::Error::other("item 17 failed")),
        _ => Ok(()),
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "item 17 failed");
    assert!(on_all_cores(&[] as &[usize], |_| Ok(())).is_ok());
}
