//! The modules of `src/` import downwards only: no two sibling modules (top-level modules of
//! the library or the binary, or submodules of one module, at any depth) reach each other,
//! directly or through others. Found by reading the `crate::` and `super::` paths of every source file,
//! leaving out `#[cfg(test)]` code; a failure names the whole cycle and where each step of it
//! is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A module's path from its crate root (`["x509", "chain"]`); the library and the binary share
/// the empty root, which is fine since the binary's only module is `cli`.
type ModPath = Vec<String>;

/// One use of another module: where it is written and the path as written.
#[derive(Clone, Debug)]
struct Site {
    file: String,
    line: usize,
    path: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Tokens with their line numbers; comments, strings and char literals dropped.
fn tokenize(src: &str) -> Vec<(Tok, usize)> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        line += usize::from(b[i] == b'\n');
                        i += 1;
                    }
                }
            }
            b'"' => i = skip_string(b, i + 1, &mut line),
            b'r' | b'b' if raw_string_hashes(b, i).is_some() => {
                let (start, hashes) = raw_string_hashes(b, i).unwrap();
                let mut close = vec![b'"'];
                close.extend(std::iter::repeat_n(b'#', hashes));
                i = start;
                while i < b.len() && !b[i..].starts_with(&close) {
                    line += usize::from(b[i] == b'\n');
                    i += 1;
                }
                i += close.len();
            }
            b'b' if b.get(i + 1) == Some(&b'"') => i = skip_string(b, i + 2, &mut line),
            b'b' if b.get(i + 1) == Some(&b'\'') => i = skip_char(b, i + 1),
            b'\'' => i = skip_char(b, i),
            _ if c == b'_' || c.is_ascii_alphabetic() => {
                let start = i;
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                out.push((Tok::Ident(src[start..i].to_string()), line));
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                out.push((Tok::PathSep, line));
                i += 2;
            }
            _ if c.is_ascii_whitespace() || c.is_ascii_digit() => i += 1,
            _ => {
                out.push((Tok::Punct(c as char), line));
                i += 1;
            }
        }
    }
    out
}

/// Index after the closing quote of a string whose body starts at `i`.
fn skip_string(b: &[u8], mut i: usize, line: &mut usize) -> usize {
    while i < b.len() && b[i] != b'"' {
        *line += usize::from(b[i] == b'\n');
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

/// `r"`, `r#"`, `br#"`…: the index where the body starts and the number of `#`.
fn raw_string_hashes(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut j = i + usize::from(b[i] == b'b');
    if b.get(j) != Some(&b'r') || (i > 0 && (b[i - 1] == b'_' || b[i - 1].is_ascii_alphanumeric()))
    {
        return None;
    }
    j += 1;
    let hashes = b[j..].iter().take_while(|&&c| c == b'#').count();
    (b.get(j + hashes) == Some(&b'"')).then_some((j + hashes + 1, hashes))
}

/// A char literal starting at the quote `i`, or a lifetime (whose name is then read as an
/// identifier, which is harmless).
fn skip_char(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) == Some(&b'\\') {
        let mut j = i + 2;
        while j < b.len() && b[j] != b'\'' {
            j += 1;
        }
        return j + 1;
    }
    // 'x' is a char; 'abc (no closing quote right after one char) is a lifetime.
    let ch_len = std::str::from_utf8(&b[i + 1..(i + 5).min(b.len())])
        .ok()
        .or_else(|| std::str::from_utf8(&b[i + 1..(i + 2).min(b.len())]).ok())
        .and_then(|s| s.chars().next())
        .map_or(1, char::len_utf8);
    if b.get(i + 1 + ch_len) == Some(&b'\'') {
        i + 2 + ch_len
    } else {
        i + 1
    }
}

/// Whether the tokens at `i` are exactly `#[cfg(test)]`.
fn is_cfg_test(t: &[(Tok, usize)], i: usize) -> bool {
    let want = [
        Tok::Punct('#'),
        Tok::Punct('['),
        Tok::Ident("cfg".into()),
        Tok::Punct('('),
        Tok::Ident("test".into()),
        Tok::Punct(')'),
        Tok::Punct(']'),
    ];
    t.len() >= i + want.len() && t[i..i + want.len()].iter().map(|(k, _)| k).eq(want.iter())
}

/// Index after the item starting at `i`: its attributes, then up to a `;` outside brackets or
/// the end of its first top-level `{}` block.
fn skip_item(t: &[(Tok, usize)], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < t.len() {
        match t[i].0 {
            Tok::Punct('(' | '[') => depth += 1,
            Tok::Punct(')' | ']') => depth -= 1,
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            Tok::Punct(';') if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// The paths one file names, resolved from the crate root, with the module each is written in
/// (the file's own module, or an inline `mod` in it). Also the `#[cfg(test)] mod x;` files.
struct FileUses {
    uses: Vec<(ModPath, ModPath, usize, String)>,
    test_mods: Vec<String>,
    inline_mods: Vec<ModPath>,
}

fn scan_file(module: &ModPath, src: &str) -> FileUses {
    let t = tokenize(src);
    let mut res = FileUses {
        uses: Vec::new(),
        test_mods: Vec::new(),
        inline_mods: Vec::new(),
    };
    // Inline modules open at a brace depth; `scopes` holds (name, depth inside it).
    let mut scopes: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < t.len() {
        if is_cfg_test(&t, i) {
            let end = skip_item(&t, i + 7);
            if let [.., (Tok::Ident(m), _), (Tok::Ident(name), _), (Tok::Punct(';'), _)] =
                &t[i..end]
            {
                if m == "mod" {
                    res.test_mods.push(name.clone());
                }
            }
            i = end;
            continue;
        }
        let here: ModPath = module
            .iter()
            .cloned()
            .chain(scopes.iter().map(|s| s.0.clone()))
            .collect();
        match &t[i].0 {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                if scopes.last().is_some_and(|s| s.1 == depth) {
                    scopes.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Punct('{'), _))) =
                    (t.get(i + 1), t.get(i + 2))
                {
                    let mut inner = here.clone();
                    inner.push(name.clone());
                    res.inline_mods.push(inner);
                    scopes.push((name.clone(), depth + 1));
                    depth += 1;
                    i += 3;
                    continue;
                }
            }
            // A path from `crate` or `super`, not the tail of a longer path.
            Tok::Ident(root)
                if (root == "crate" || root == "super")
                    && t.get(i + 1).map(|x| &x.0) == Some(&Tok::PathSep)
                    && (i == 0 || t[i - 1].0 != Tok::PathSep) =>
            {
                let line = t[i].1;
                let mut paths = Vec::new();
                let end = read_path_tree(&t, i, Vec::new(), &mut paths);
                for p in paths {
                    if let Some(abs) = resolve(&here, &p) {
                        res.uses.push((here.clone(), abs, line, p.join("::")));
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    res
}

/// Reads a path or `use` tree at `i` (`a::b::{c, d::{e, f}}`), pushing every full path under
/// `prefix`; returns the index after it.
fn read_path_tree(
    t: &[(Tok, usize)],
    mut i: usize,
    mut prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    loop {
        match t.get(i).map(|x| &x.0) {
            Some(Tok::Ident(seg)) => {
                // `a::{self, b}`: `self` is `a` itself.
                if seg != "self" {
                    prefix.push(seg.clone());
                }
                i += 1;
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                loop {
                    match t.get(i).map(|x| &x.0) {
                        Some(Tok::Punct('}')) | None => return i + 1,
                        Some(Tok::Punct(',')) => i += 1,
                        _ => {
                            let before = i;
                            i = read_path_tree(t, i, prefix.clone(), out);
                            // `as alias` and anything else unexpected: step over it.
                            while let Some(Tok::Ident(_) | Tok::Punct('*')) = t.get(i).map(|x| &x.0)
                            {
                                i += 1;
                            }
                            if i == before {
                                i += 1;
                            }
                        }
                    }
                }
            }
            _ => {
                out.push(prefix);
                return i;
            }
        }
        if t.get(i).map(|x| &x.0) == Some(&Tok::PathSep) {
            i += 1;
        } else {
            out.push(prefix);
            return i;
        }
    }
}

/// The path from the crate root that `path` (starting with `crate` or `super`) names, written
/// in module `here`.
fn resolve(here: &ModPath, path: &[String]) -> Option<ModPath> {
    let mut segs = path.iter().peekable();
    let mut base = here.clone();
    if segs.peek().map(|s| s.as_str()) == Some("crate") {
        segs.next();
        base.clear();
    } else {
        while segs.peek().map(|s| s.as_str()) == Some("super") {
            segs.next();
            base.pop()?;
        }
    }
    base.extend(segs.filter(|s| s.as_str() != "self").cloned());
    Some(base)
}

/// The module a resolved path lands in: its longest prefix that is a module.
fn owning_module(modules: &BTreeSet<ModPath>, path: &ModPath) -> ModPath {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

/// Module path of a file under `src/`, and whether it is a file of its own (not `mod.rs`).
fn module_of(rel: &Path) -> ModPath {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Edges between sibling modules, each with the places that make it.
type Graph = BTreeMap<ModPath, BTreeMap<ModPath, Vec<Site>>>;

/// Builds the sibling graph of a source tree given as (path relative to `src/`, text).
fn build_graph(files: &[(PathBuf, String)]) -> Graph {
    let mut modules: BTreeSet<ModPath> = files.iter().map(|(p, _)| module_of(p)).collect();
    let scans: Vec<_> = files
        .iter()
        .map(|(p, src)| (p, module_of(p), scan_file(&module_of(p), src)))
        .collect();
    let mut test_only = BTreeSet::new();
    for (_, m, s) in &scans {
        modules.extend(s.inline_mods.iter().cloned());
        for name in &s.test_mods {
            let mut child = m.clone();
            child.push(name.clone());
            test_only.insert(child);
        }
    }
    let mut graph = Graph::new();
    for (file, m, s) in &scans {
        if test_only.contains(m) {
            continue;
        }
        for (from, target, line, written) in &s.uses {
            let to = owning_module(&modules, target);
            let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            // A module and its ancestors or descendants are not siblings.
            if common == from.len() || common == to.len() {
                continue;
            }
            let site = Site {
                file: format!("src/{}", file.display()),
                line: *line,
                path: written.clone(),
            };
            graph
                .entry(from[..=common].to_vec())
                .or_default()
                .entry(to[..=common].to_vec())
                .or_default()
                .push(site);
        }
    }
    graph
}

/// Every cycle of the graph, one per strongly connected component, as a closed path of nodes.
fn cycles(graph: &Graph) -> Vec<Vec<ModPath>> {
    let nodes: BTreeSet<&ModPath> = graph
        .keys()
        .chain(graph.values().flat_map(|e| e.keys()))
        .collect();
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for &start in &nodes {
        if seen.contains(start) {
            continue;
        }
        if let Some(cycle) = shortest_cycle_through(graph, start) {
            seen.extend(cycle.iter().cloned());
            found.push(cycle);
        }
    }
    found
}

/// Breadth-first search from `start` back to itself.
fn shortest_cycle_through(graph: &Graph, start: &ModPath) -> Option<Vec<ModPath>> {
    let mut parent: BTreeMap<&ModPath, &ModPath> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flat_map(|e| e.keys()) {
            if next == start {
                let mut path = vec![start.clone(), node.clone()];
                let mut cur = node;
                while cur != start {
                    cur = parent[cur];
                    path.push(cur.clone());
                }
                path.reverse();
                return Some(path);
            }
            if !parent.contains_key(next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

fn describe(graph: &Graph, found: &[Vec<ModPath>]) -> String {
    let mut msg = String::new();
    for cycle in found {
        let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
        writeln!(msg, "cycle: {}", names.join(" -> ")).unwrap();
        for pair in cycle.windows(2) {
            let sites = &graph[&pair[0]][&pair[1]];
            writeln!(msg, "  {} -> {}:", pair[0].join("::"), pair[1].join("::")).unwrap();
            for s in sites.iter().take(5) {
                writeln!(msg, "    {}:{} {}", s.file, s.line, s.path).unwrap();
            }
            if sites.len() > 5 {
                writeln!(msg, "    … and {} more", sites.len() - 5).unwrap();
            }
        }
    }
    msg
}

/// Cycles that exist today and are being taken apart elsewhere, as their sorted modules.
/// The test fails when one of them is gone too, so that this list only shrinks.
const KNOWN_CYCLES: &[&[&str]] = &[];

#[test]
fn modules_import_downwards_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(PathBuf, String)> = paths
        .iter()
        .map(|p| {
            (
                p.strip_prefix(&src).unwrap().to_path_buf(),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    let graph = build_graph(&files);
    assert!(
        graph.len() > 10,
        "the scan found almost no module uses: {graph:?}"
    );
    let names = |c: &Vec<ModPath>| {
        let mut n: Vec<String> = c[1..].iter().map(|m| m.join("::")).collect();
        n.sort();
        n
    };
    let (known, found): (Vec<_>, Vec<_>) = cycles(&graph)
        .into_iter()
        .partition(|c| KNOWN_CYCLES.iter().any(|k| names(c) == *k));
    for k in KNOWN_CYCLES {
        assert!(
            known.iter().any(|c| names(c) == *k),
            "the cycle {k:?} is gone: remove it from KNOWN_CYCLES"
        );
    }
    assert!(
        found.is_empty(),
        "modules import each other in a cycle:\n{}",
        describe(&graph, &found)
    );
}

#[test]
fn a_cycle_is_reported_with_its_whole_path() {
    let file = |p: &str, s: &str| (PathBuf::from(p), s.to_string());
    let files = [
        file("lib.rs", "pub mod a; pub mod b; pub mod c;"),
        file("a.rs", "use crate::b::{Thing, other::{X as Y}};\n"),
        file("b/mod.rs", "pub mod other; pub mod inner; mod deep;"),
        file("b/deep/mod.rs", "mod x; mod y;"),
        file("b/deep/x.rs", "use super::y::A;"),
        file("b/deep/y.rs", "fn f() -> crate::b::deep::x::B { todo!() }"),
        file("b/other.rs", "fn f() { let s = \"crate::a::X\"; crate::c::g(); }"),
        file("b/inner.rs", "use super::other::X; // crate::a"),
        file("c.rs", "/* crate::a */ pub fn g() { super::a::h() }\n#[cfg(test)]\nmod tests { use crate::b::X; }"),
    ];
    let graph = build_graph(&files);
    let found = cycles(&graph);
    let text = describe(&graph, &found);
    assert_eq!(found.len(), 2, "{text}");
    assert!(text.starts_with("cycle: a -> b -> c -> a\n"), "{text}");
    assert!(
        text.contains("cycle: b::deep::x -> b::deep::y -> b::deep::x\n"),
        "{text}"
    );
    assert!(text.contains("src/c.rs:1 super::a::h"), "{text}");
    assert!(text.contains("src/b/other.rs:1 crate::c::g"), "{text}");
    // b::inner -> b::other is a sibling edge but no cycle; test code and comments are not read.
    assert!(graph[&vec!["b".to_string(), "inner".to_string()]]
        .contains_key(&vec!["b".to_string(), "other".to_string()]));
    assert!(!graph
        .get(&vec!["c".to_string()])
        .unwrap()
        .contains_key(&vec!["b".to_string()]));
}
