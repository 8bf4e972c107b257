//! knet's one integration-test binary (ripgrep/jj style: the crate links once).
//! Each area has its own module; helpers are in `util`.

mod util;

mod test_completion;
mod test_net_list;
mod test_net_daemon;
mod test_net_parity;
mod test_shell;
mod test_startup;
mod test_validate;
