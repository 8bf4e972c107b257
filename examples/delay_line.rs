//! A delay line for the remote benchmark (scripts/bench/remote.sh): a TCP
//! proxy that holds every byte for a fixed time in each direction, so a
//! client on one machine sees a daemon as if it were a round trip away. This
//! kernel has no netem, hence a proxy of our own.
//!
//! It also counts libvirt RPCs: each message the client sends is parsed from
//! the stream (libvirt's framing: a 4-byte length, then program, version,
//! procedure, type, serial, status) and every call (type CALL or
//! CALL_WITH_FDS) is appended to LOG as one line "PROGRAM PROCEDURE".
//!
//! Data is forwarded in the order read, as soon as its delay expires, with
//! TCP_NODELAY on both sides, so the proxy adds the delay and nothing else
//! (no batching, no Nagle stalls). It must never be used outside a benchmark:
//! no limits, no authentication, one thread pair per connection.
//!
//!     delay_line LISTEN_ADDR TARGET_ADDR ONE_WAY_MS [LOG]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

type Log = Arc<Mutex<Option<std::fs::File>>>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: delay_line LISTEN_ADDR TARGET_ADDR ONE_WAY_MS [LOG]");
        std::process::exit(2);
    }
    let listener = TcpListener::bind(&args[1]).expect("bind");
    let target = args[2].clone();
    let delay = Duration::from_micros((args[3].parse::<f64>().expect("ONE_WAY_MS") * 1000.0) as u64);
    let log: Log = Arc::new(Mutex::new(args.get(4).map(|p| {
        std::fs::OpenOptions::new().create(true).append(true).open(p).expect("log")
    })));
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        let Ok(server) = TcpStream::connect(&target) else { continue };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (c2, s2) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
        pipe(client, server, delay, Some(log.clone()));
        pipe(s2, c2, delay, None);
    }
}

/// Forwards `from` to `to`, each chunk held until `delay` after it was read.
/// A reader thread stamps chunks and a writer thread releases them, so a slow
/// release never stops reading (the line holds many messages in flight).
fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration, log: Option<Log>) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::spawn(move || {
        let mut counter = Counter::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Some(log) = &log {
                        counter.feed(&buf[..n], log);
                    }
                    if tx.send((Instant::now() + delay, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
        // dropping tx ends the writer once it has delivered everything
    });
    thread::spawn(move || {
        for (at, chunk) in rx {
            let now = Instant::now();
            if at > now {
                thread::sleep(at - now);
            }
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Splits the client's byte stream into libvirt messages and logs the calls.
#[derive(Default)]
struct Counter {
    pending: Vec<u8>,
    /// bytes of a message already counted that are still to come
    skip: usize,
}

impl Counter {
    fn feed(&mut self, data: &[u8], log: &Log) {
        let skipped = self.skip.min(data.len());
        self.skip -= skipped;
        self.pending.extend_from_slice(&data[skipped..]);
        let mut lines = String::new();
        loop {
            if self.pending.len() < 4 {
                break;
            }
            let len = u32::from_be_bytes(self.pending[..4].try_into().unwrap()) as usize;
            if len < 28 {
                // not libvirt's framing: stop counting rather than guess
                self.pending.clear();
                break;
            }
            if self.pending.len() < 28 {
                break;
            }
            let word = |i: usize| u32::from_be_bytes(self.pending[4 + 4 * i..8 + 4 * i].try_into().unwrap());
            let (prog, proc_, kind) = (word(0), word(2), word(3));
            if kind == 0 || kind == 4 {
                lines.push_str(&format!("{prog:x} {proc_}\n"));
            }
            if self.pending.len() < len {
                // the rest of this message has not arrived; keep only what is
                // needed to skip it (its header is already counted)
                let skip = len - self.pending.len();
                self.pending.clear();
                self.skip = skip;
                break;
            }
            self.pending.drain(..len);
        }
        if !lines.is_empty() {
            if let Some(f) = log.lock().unwrap().as_mut() {
                let _ = f.write_all(lines.as_bytes());
            }
        }
    }
}
