//! The libvirt XML model (see issue: foundation).
