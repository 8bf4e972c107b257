//! knet's one integration-test binary (ripgrep/jj style: the crate links once).
//! Each area has its own module; helpers are in `util`.

mod util;

mod test_attach;
mod test_domif_convert;
mod test_domif_virtxml;
mod test_domiflist;
mod test_faults;
mod test_fuzz;
mod test_fleet;
mod test_completion;
mod test_consistency;
mod test_differential;
mod test_net_list;
mod test_net_live;
mod test_host_bridge_config;
mod test_host_dns;
mod test_host_doctor;
mod test_host_mac_net_new;
mod test_host_port_forward;
mod test_json;
mod test_man;
mod test_net_daemon;
mod test_net_parity;
mod test_readme;
mod test_security;
mod test_shell;
mod test_startup;
mod test_validate;
