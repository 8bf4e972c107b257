//! The libvirt XML model (see issue: foundation).
pub mod edit;
