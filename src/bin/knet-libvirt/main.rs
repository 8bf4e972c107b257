//! `knet-libvirt`: knet with libvirt linked in. Users run `knet`; `knet` execs
//! this binary with the same arguments when a command needs a connection.
//!
//! Nothing else lives here: never command logic (that is the library's).

mod backend;

fn main() {
    // libvirt's default error handler prints every error to stderr itself;
    // knet reports errors once, virsh-style.
    virt::error::clear_error_callback();
    std::process::exit(knet::cli::main(&backend::Virt));
}
