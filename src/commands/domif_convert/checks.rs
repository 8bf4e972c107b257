//! Checks on the target before any guest is touched: a libvirt network
//! that exists, or a host bridge that is really a bridge, is not a libvirt
//! network's own bridge, and has no Wi-Fi uplink. Facts about this machine
//! come only from src/host.rs (so `KNET_SYSFS_ROOT` and the local-URI rule
//! apply here as everywhere), and only when the URI is this machine's.
//!
//! Never changes anything on the host or in libvirt.

use anyhow::{bail, Result};

use crate::host;
use crate::libvirt::{code, Conn};
use crate::xml::edit::Target;

/// Refuse targets that cannot work: a libvirt network's own bridge used as
/// a host bridge, a bridge the host lacks (unless --force), something that
/// is not a bridge, a wireless interface or uplink.
pub(super) fn check_target(conn: &dyn Conn, target: &Target, force: bool) -> Result<()> {
    let br = match target {
        Target::Network(net) => {
            conn.resolve_network(net).map_err(|e| anyhow::Error::new(e).context(format!("failed to get network '{net}'")))?;
            return Ok(());
        }
        Target::Bridge(br) => br,
    };
    // Only a running network owns its bridge (libvirt creates it on start
    // and deletes it on stop): one listing of the active ones, whose handles
    // it keeps, then one bridge-name call each. Over a link every call is a
    // round trip; the inactive networks, their autostart and persistence
    // (list_networks' three more listings) say nothing here.
    for name in conn.network_names(Some(true))? {
        if conn.network_bridge(&name)?.as_deref() != Some(br.as_str()) {
            continue;
        }
        let xml = conn.network_xml(&name, false)?;
        let mode = crate::xml::facts::network(&xml).forward;
        // a forward mode='bridge' network merely names a host bridge
        if mode.as_deref() != Some("bridge") {
            bail!(
                "'{br}' is the bridge of libvirt network '{}' ({}): guests plugged into it directly bypass libvirt's DHCP and firewall set-up; use --to-network {} or a host bridge",
                name,
                mode.map_or("isolated".to_string(), |m| format!("forward mode {m}")),
                name
            );
        }
    }
    let uri = conn.uri()?;
    // the test driver has no host: nothing to check against
    if host::is_test_uri(&uri) {
        return Ok(());
    }
    let local = host::is_local_uri(&uri);
    let kind = match conn.host_interface_type(br) {
        Ok(k) => k,
        // no netcf/udev interface backend: this machine's sysfs knows
        Err(e) if e.is(code::NO_SUPPORT) && local => host::iface_exists(br).then(|| if host::is_bridge(br) { "bridge" } else { "ethernet" }.to_string()),
        Err(e) if e.is(code::NO_SUPPORT) => return Ok(()),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot check host interface '{br}'"))),
    };
    if local {
        if host::is_wireless(br) {
            bail!("'{br}' is a wireless interface: Wi-Fi links cannot be bridged (access points drop frames from guest MACs); keep such guests on NAT or use a routed network");
        }
        if let Some(port) = host::bridge_ports(br).into_iter().find(|p| host::is_wireless(p)) {
            bail!("bridge '{br}' has the wireless uplink '{port}': Wi-Fi links cannot be bridged (access points drop frames from guest MACs)");
        }
    }
    match kind.as_deref() {
        Some("bridge") => {}
        Some(other) if !force => bail!("host interface '{br}' is {} {other} interface, not a bridge (use --force to convert anyway)", crate::output::article(other)),
        None if !force => bail!("the host has no bridge '{br}' (create it first, or use --force to convert anyway)"),
        _ => {}
    }
    Ok(())
}
