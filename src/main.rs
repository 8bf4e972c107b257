//! `knet`: the front door. It never links libvirt (see Cargo.toml); when a
//! command asks for a connection it becomes `knet-libvirt` (same arguments,
//! same process id, via exec), which does link it.

use std::os::unix::process::CommandExt;

use knet::libvirt::{Conn, Connector};

struct ExecLibvirt;

impl Connector for ExecLibvirt {
    fn open(&self, _uri: Option<&str>, _readonly: bool) -> anyhow::Result<Box<dyn Conn>> {
        self.link()?;
        unreachable!("link() execs or fails")
    }

    fn link(&self) -> anyhow::Result<()> {
        let bin = knet::libvirt_binary()?;
        // argv[0] stays `knet`: clap names the program after it in usage
        // lines, and the user typed `knet`
        let err = std::process::Command::new(&bin).arg0("knet").args(std::env::args_os().skip(1)).exec();
        Err(anyhow::anyhow!("cannot run {}: {err}", bin.display()))
    }
}

fn main() {
    std::process::exit(knet::cli::main(&ExecLibvirt));
}
