//! Helpers shared by every integration test module.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The light `knet` binary, with a clean libvirt environment.
pub fn knet() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_knet"));
    clean_env(&mut c);
    c.env("KNET_LIBVIRT_BIN", env!("CARGO_BIN_EXE_knet-libvirt"));
    c
}

/// A `knet` binary at `path` (an install layout a test built), with a clean
/// libvirt environment and no `KNET_LIBVIRT_BIN`: it finds its companion itself.
pub fn knet_at(path: &Path) -> Command {
    let mut c = Command::new(path);
    clean_env(&mut c);
    c.env_remove("KNET_LIBVIRT_BIN");
    c
}

/// The real virsh, for "same output as virsh" checks.
pub fn virsh() -> Command {
    let mut c = Command::new("virsh");
    clean_env(&mut c);
    c
}

fn clean_env(c: &mut Command) {
    c.env_remove("LIBVIRT_DEFAULT_URI").env("LC_ALL", "C").env_remove("VISUAL").env_remove("EDITOR");
    c.env("XDG_STATE_HOME", state_home()).env("TMPDIR", run_dir().join("tmp"));
}

/// This run's own directory: `/tmp/knet-test-PID`, holding every
/// [`tempdir_short`] and the default state directory. Removed when the test
/// binary exits, passed or failed (the harness ends through exit(3), which
/// runs atexit handlers); directories of earlier runs killed outright are
/// removed when the next run starts. The first call also points this
/// process's own XDG_STATE_HOME there, so every child started by any test
/// (sandbox scripts, shells, tmux) inherits it and nothing ever writes into
/// the tester's ~/.local/state/knet; TMPDIR likewise points inside it.
pub fn run_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        remove_stale_run_dirs();
        let d = PathBuf::from(format!("/tmp/knet-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("state")).unwrap();
        std::fs::create_dir_all(d.join("tmp")).unwrap();
        // std's env lock orders this against every Command spawn; TMPDIR
        // too, for what knet itself keeps in a temporary directory (an
        // edit net-edit could not define)
        std::env::set_var("XDG_STATE_HOME", d.join("state"));
        std::env::set_var("TMPDIR", d.join("tmp"));
        // tmux's sockets (-L NAME), for the tests driving a terminal
        std::env::set_var("TMUX_TMPDIR", d.join("tmp"));
        extern "C" fn cleanup() {
            let _ = std::fs::remove_dir_all(format!("/tmp/knet-test-{}", std::process::id()));
        }
        // SAFETY: registers a plain extern "C" fn with no captured state.
        unsafe { libc::atexit(cleanup) };
        d
    })
}

/// The state directory (XDG_STATE_HOME) knet uses in tests that do not make
/// their own.
pub fn state_home() -> PathBuf {
    run_dir().join("state")
}

fn remove_stale_run_dirs() {
    let Ok(entries) = std::fs::read_dir("/tmp") else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("knet-test-")).and_then(|p| p.parse::<i32>().ok()) else { continue };
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Run and capture; stdin is empty (never a terminal).
pub fn run(c: &mut Command) -> Out {
    run_dir();
    let o = c.stdin(std::process::Stdio::null()).output().expect("spawn");
    Out::from(o)
}

#[derive(Debug, Clone)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Out {
    fn from(o: Output) -> Out {
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Out {
    #[track_caller]
    pub fn ok(self) -> Out {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    #[track_caller]
    pub fn code(self, code: i32) -> Out {
        assert_eq!(self.code, code, "expected exit {code}\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus` beside the checkout (CI clones main with shared/ beside it);
/// `$KNET_CORPUS` overrides it (a worktree elsewhere).
pub fn corpus() -> PathBuf {
    match std::env::var_os("KNET_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => repo().join("../shared/corpus"),
    }
}

/// A `test:///ABS/PATH` URI for a node fixture under tests/fixtures.
pub fn test_uri(fixture: &str) -> String {
    let p = repo().join("tests/fixtures").join(fixture);
    assert!(p.exists(), "missing fixture {}", p.display());
    format!("test://{}", p.display())
}

/// A private, real libvirtd in its own network and mount namespace
/// (tests/sandbox/sandbox.sh). Stopped and removed on drop, also when the test
/// panics.
pub struct Sandbox {
    pub dir: PathBuf,
    pub uri: String,
}

impl Sandbox {
    pub fn start() -> Sandbox {
        Self::start_with(&[])
    }

    pub fn start_with(env: &[(&str, &str)]) -> Sandbox {
        let dir = tempdir_short("knet-sb");
        let out = run(Command::new(sandbox_sh()).arg("start").arg(&dir).envs(env.iter().copied()));
        assert_eq!(out.code, 0, "sandbox start failed:\n{}", out.stderr);
        Sandbox { dir, uri: out.stdout.trim().to_string() }
    }

    /// Run a command inside the sandbox's network namespace.
    pub fn exec(&self, args: &[&str]) -> Out {
        run(Command::new(sandbox_sh()).arg("exec").arg(&self.dir).args(args))
    }

    /// `knet -c URI ARGS...` run inside the sandbox's network namespace, so
    /// host-side facts (bridges, routes, sysctls, firewall) are the sandbox's.
    pub fn knet_in_ns(&self, args: &[&str]) -> Out {
        self.knet_in_ns_env(&[], args)
    }

    /// [`Sandbox::knet_in_ns`] with extra `VAR=value` environment entries.
    pub fn knet_in_ns_env(&self, env: &[&str], args: &[&str]) -> Out {
        let mut v = vec!["env", "LC_ALL=C", concat!("KNET_LIBVIRT_BIN=", env!("CARGO_BIN_EXE_knet-libvirt"))];
        v.extend_from_slice(env);
        v.extend_from_slice(&[env!("CARGO_BIN_EXE_knet"), "-c", &self.uri]);
        v.extend_from_slice(args);
        self.exec(&v)
    }

    /// `knet -c URI ...`
    pub fn knet(&self) -> Command {
        let mut c = knet();
        c.arg("-c").arg(&self.uri);
        c
    }

    /// `virsh -c URI ...`
    pub fn virsh(&self) -> Command {
        let mut c = virsh();
        c.arg("-c").arg(&self.uri);
        c
    }

    /// Stop the daemon (keeps definitions, like a host shutdown).
    pub fn stop_daemon(&self) {
        run(Command::new(sandbox_sh()).arg("stop").arg(&self.dir)).ok();
    }

    /// Start it again after [`Sandbox::stop_daemon`].
    pub fn restart_daemon(&self) {
        run(Command::new(sandbox_sh()).arg("start").arg(&self.dir)).ok();
    }

    /// The daemon's PID, e.g. to kill it mid-operation in fault tests.
    pub fn daemon_pid(&self) -> i32 {
        std::fs::read_to_string(self.dir.join("libvirtd.pid")).unwrap().trim().parse().unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = Command::new(sandbox_sh()).arg("purge").arg(&self.dir).output();
    }
}

pub fn sandbox_sh() -> PathBuf {
    repo().join("tests/sandbox/sandbox.sh")
}

pub fn sandbox_xml(name: &str) -> PathBuf {
    repo().join("tests/sandbox/xml").join(name)
}

/// A fresh directory with a short path (unix socket paths are limited),
/// inside [`run_dir`] so it is removed with it even when its test fails.
pub fn tempdir_short(prefix: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = run_dir().join(format!("{prefix}-{}", N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Assert that one `knet ...` command line, already split into words, parses
/// with knet's own clap tree. A line whose last word is a command sequence
/// (`knet -c URI "a; b"`, run by knet's shell) must be global options only
/// before it, and each command of the sequence must parse. `what` names the
/// line in failures. Shared by the man-page and README example tests.
pub fn assert_knet_parses(words: &[String], what: &str) {
    use clap::Parser;
    use knet::cli::Cli;
    assert_eq!(words.first().map(String::as_str), Some("knet"), "{what}: not a knet command line");
    // the shared commands go through virsh's grammar first, as in knet
    let canonical = |words: &[String]| -> Vec<String> {
        let Some(i) = knet::virsh_args::command_index(words) else { return words.to_vec() };
        match knet::virsh_args::normalize(&words[i..]) {
            Ok(knet::virsh_args::Parsed::Words(w)) => words[..i].iter().cloned().chain(w).collect(),
            Ok(knet::virsh_args::Parsed::AsTyped) => words.to_vec(),
            Err(lines) => panic!("{what}: {}", lines.join("; ")),
        }
    };
    let err = match Cli::try_parse_from(canonical(words)) {
        Ok(_) => return,
        Err(e) => e,
    };
    let (seq, before) = words.split_last().unwrap();
    let globals_only = Cli::try_parse_from(before).is_ok_and(|c| c.command.is_none());
    let parts = knet::shell::split(seq).unwrap_or_default();
    assert!(globals_only && !parts.is_empty(), "{what}: {err}");
    for p in parts {
        let argv: Vec<String> = std::iter::once("knet".to_string()).chain(p).collect();
        Cli::try_parse_from(canonical(&argv)).unwrap_or_else(|e| panic!("{what}: in its sequence: {e}"));
    }
}

/// [`run`] with a watchdog: a command still running after `limit` is killed
/// (by the PID this started) and the test fails as hung. Also how long it
/// took. `limit` is a generous bound that turns a hang into a failure, not a
/// speed check.
pub fn run_within(c: &mut Command, limit: std::time::Duration) -> (Out, std::time::Duration) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    run_dir();
    let start = std::time::Instant::now();
    let child = c.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().expect("spawn");
    let pid = child.id() as i32;
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let dog = std::thread::spawn(move || {
        while !d.load(Ordering::SeqCst) {
            if start.elapsed() > limit {
                // SAFETY: kill(2) of the child this function started and has not reaped yet.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        false
    });
    let o = child.wait_with_output().expect("wait");
    done.store(true, Ordering::SeqCst);
    let took = start.elapsed();
    let out = Out::from(o);
    assert!(!dog.join().unwrap(), "hung: killed after {limit:?}\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    (out, took)
}

/// A daemon stopped with SIGSTOP (it accepts connections and never
/// answers, like a hung host) for as long as this lives; SIGCONT on drop,
/// also when the test fails.
pub struct Frozen(pub i32);

impl Frozen {
    pub fn new(pid: i32) -> Frozen {
        // SAFETY: kill(2) of a daemon the test started (Sandbox::daemon_pid).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0, "SIGSTOP {pid}");
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        // SAFETY: as in Frozen::new.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}
