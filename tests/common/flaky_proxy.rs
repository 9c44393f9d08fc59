//! An HTTP/1.1 proxy in front of a real registry that drops chosen requests mid-body, to
//! test what the client does when a connection dies during an upload.
//!
//! Each client connection carries one request: the proxy reads it (headers and a
//! `Content-Length` body), then either forwards it to the registry with
//! `Connection: close` and relays the answer, or, when the rule says so, reads only half the
//! body and closes the connection without forwarding anything (the registry never sees the
//! request, as when a connection breaks before the body arrives).
//!
//! Started with [`FlakyProxy::refusing`], it answers the chosen requests itself with a
//! status (after reading their body), as a proxy with a body size limit does.
//!
//! Started with [`FlakyProxy::rewriting`], it drops nothing and instead passes every answer
//! through a function that may alter it: a registry that serves content other than what was
//! asked for.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Decides, per request (`method`, `path`, how many earlier requests matched the same
/// method), whether to drop it.
pub type Rule = Box<dyn Fn(&str, &str, usize) -> bool + Send + Sync>;

/// Turns the registry's raw answer (status line, headers, body) to a request (`method`,
/// `path`) into the one the client gets.
pub type Rewrite = Box<dyn Fn(&str, &str, Vec<u8>) -> Vec<u8> + Send + Sync>;

pub struct FlakyProxy {
    pub port: u16,
    stop: Arc<AtomicBool>,
    /// `METHOD path` of every request seen, and whether it was dropped.
    pub log: Arc<Mutex<Vec<(String, bool)>>>,
}

impl FlakyProxy {
    /// Listen on 127.0.0.1 and forward to `127.0.0.1:upstream_port`.
    pub fn start(upstream_port: u16, rule: Rule) -> FlakyProxy {
        FlakyProxy::with(upstream_port, rule, Box::new(|_, _, answer| answer))
    }

    /// Forward every request to `127.0.0.1:upstream_port` and answer with `rewrite` of
    /// the registry's answer.
    pub fn rewriting(upstream_port: u16, rewrite: Rewrite) -> FlakyProxy {
        FlakyProxy::with(upstream_port, Box::new(|_, _, _| false), rewrite)
    }

    /// Answer the requests `rule` picks with `status` and an empty body, without
    /// forwarding them; forward the others.
    pub fn refusing(upstream_port: u16, rule: Rule, status: u16) -> FlakyProxy {
        FlakyProxy::build(
            upstream_port,
            rule,
            Box::new(|_, _, answer| answer),
            Some(status),
        )
    }

    fn with(upstream_port: u16, rule: Rule, rewrite: Rewrite) -> FlakyProxy {
        FlakyProxy::build(upstream_port, rule, rewrite, None)
    }

    fn build(upstream_port: u16, rule: Rule, rewrite: Rewrite, refuse: Option<u16>) -> FlakyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let counts = Arc::new(Mutex::new(std::collections::HashMap::<String, usize>::new()));
        let rule = Arc::new(rule);
        let rewrite = Arc::new(rewrite);
        let (stop2, log2) = (stop.clone(), log.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let (rule, log, counts) = (rule.clone(), log2.clone(), counts.clone());
                let rewrite = rewrite.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream_port, &rule, &rewrite, refuse, &log, &counts);
                });
            }
        });
        FlakyProxy { port, stop, log }
    }

    /// `localhost:<port>`: plain HTTP by notation's rule.
    pub fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// How many requests were dropped.
    pub fn dropped(&self) -> usize {
        self.log.lock().unwrap().iter().filter(|(_, d)| *d).count()
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(
    conn: TcpStream,
    upstream_port: u16,
    rule: &Rule,
    rewrite: &Rewrite,
    refuse: Option<u16>,
    log: &Mutex<Vec<(String, bool)>>,
    counts: &Mutex<std::collections::HashMap<String, usize>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut head = String::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                content_length = v.trim().parse().unwrap_or(0);
            }
            if k.eq_ignore_ascii_case("connection") {
                continue;
            }
        }
        head.push_str(&line);
    }
    let request_line = head.lines().next().unwrap_or("").to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let nth = {
        let mut c = counts.lock().unwrap();
        let n = c.entry(method.clone()).or_insert(0);
        *n += 1;
        *n - 1
    };
    let drop_it = rule(&method, &path, nth);
    log.lock()
        .unwrap()
        .push((format!("{method} {path}"), drop_it));
    if let (true, Some(status)) = (drop_it, refuse) {
        let mut body = vec![0u8; content_length];
        reader.read_exact(&mut body)?;
        let mut conn = conn;
        write!(
            conn,
            "HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        return conn.shutdown(Shutdown::Both);
    }
    if drop_it {
        let mut half = vec![0u8; content_length / 2];
        reader.read_exact(&mut half)?;
        conn.shutdown(Shutdown::Both)?;
        return Ok(());
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;
    let mut upstream = TcpStream::connect(("127.0.0.1", upstream_port))?;
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(b"Connection: close\r\n\r\n")?;
    upstream.write_all(&body)?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    let answer = rewrite(&method, &path, answer);
    let mut conn = conn;
    conn.write_all(&answer)?;
    conn.shutdown(Shutdown::Both)
}
