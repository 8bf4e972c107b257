//! What the `net-*` commands share: virsh's network lookup with its error
//! line, virsh's success message plus blank line, and reading an XML file
//! with virsh's error text. Never prints before the connection is open.

use anyhow::{Context as _, Result};

use crate::context::Ctx;
use crate::libvirt::{Conn, NetworkInfo, VirtResult};
use crate::output;

/// virsh's `vshCommandOptNetwork`: by UUID, then by name; on failure
/// `error: failed to get network 'X'` then libvirt's reason.
pub fn lookup(ctx: &Ctx, name: &str) -> Result<NetworkInfo> {
    crate::virsh_args::non_empty("network", Some(name))?;
    ctx.conn()?.lookup_network(name).with_context(|| not_found(name))
}

/// Like [`lookup`] but only resolves the name (one RPC); returns the
/// network's own name.
pub fn resolve(ctx: &Ctx, name: &str) -> Result<String> {
    crate::virsh_args::non_empty("network", Some(name))?;
    ctx.conn()?.resolve_network(name).with_context(|| not_found(name))
}

/// A network's name (as libvirt spells it), whether it runs and whether it
/// is persistent: [`resolve`] plus two RPCs, for commands that need no more.
pub fn state(ctx: &Ctx, name: &str) -> Result<(String, bool, bool)> {
    let name = resolve(ctx, name)?;
    let conn = ctx.conn()?;
    Ok((name.clone(), conn.network_is_active(&name)?, conn.network_is_persistent(&name)?))
}

/// net-start, net-destroy and net-undefine (virsh's cmdNetworkStart and
/// friends): resolve the network, make the one call, and name the network
/// as the user typed it in both the failure (`Failed to VERB network X`) and
/// the success message (`Network X DONE`), as virsh does.
/// With `--json`: `{network, changed, message}` (each of these fails rather
/// than finding nothing to do, so `changed` is always true).
pub fn change(ctx: &Ctx, typed: &str, verb: &str, done_msg: &str, call: impl FnOnce(&dyn Conn, &str) -> VirtResult<()>) -> Result<()> {
    let name = resolve(ctx, typed)?;
    call(ctx.conn()?, &name).with_context(|| format!("Failed to {verb} network {typed}"))?;
    report(ctx, &format!("Network {typed} {done_msg}"), true, serde_json::json!({ "network": name }))
}

/// How a write command ends: virsh's success message ([`done`]), or with
/// `--json` its report ([`output::print_change`]: `fields` plus `changed`
/// and `message`).
pub fn report(ctx: &Ctx, msg: &str, changed: bool, fields: serde_json::Value) -> Result<()> {
    if ctx.json() {
        return output::print_change(fields, changed, msg);
    }
    done(ctx, msg)
}

/// The libvirt release knet validates a network for before sending it over
/// `conn`: the daemon's own (virConnectGetLibVersion), else the default of
/// `knet validate`. For a daemon newer than any release knet knows, knet's
/// unknown-name findings are warnings and the daemon's schema check
/// (VIR_NETWORK_DEFINE_VALIDATE, which every define passes) decides.
pub fn daemon_release(conn: &dyn Conn) -> crate::validate::Version {
    conn.lib_version().unwrap_or_else(|_| crate::validate::version::default_target())
}

pub fn not_found(name: &str) -> String {
    format!("failed to get network '{name}'")
}

/// A success message the way virsh prints it (`vshPrintExtra`): the line,
/// then the blank line virsh ends every command with; nothing with `-q`.
pub fn done(ctx: &Ctx, msg: &str) -> Result<()> {
    if ctx.quiet() {
        return Ok(());
    }
    // a name from libvirt may hold control characters: never a terminal escape
    output::print(&format!("{}\n\n", output::escape_text(msg)))?;
    Ok(())
}

/// Command output (always printed) followed by virsh's closing blank line
/// unless `-q`.
/// `net-uuid`/`net-name`'s answer: the other half of the pair, as virsh
/// prints it, or both halves with `--json`.
pub fn print_id(ctx: &Ctx, id: &crate::libvirt::NetworkId, text: &str) -> Result<()> {
    if ctx.json() {
        return output::print_json(&serde_json::json!({ "name": id.name, "uuid": id.uuid }));
    }
    print_then_blank(ctx, &format!("{text}\n"))
}

pub fn print_then_blank(ctx: &Ctx, body: &str) -> Result<()> {
    let mut s = body.to_string();
    if !ctx.quiet() {
        s.push('\n');
    }
    output::print(&s)?;
    Ok(())
}

/// Read an XML file the user named (`-` is standard input), bounded and
/// with virsh's messages (see [`crate::input`]).
pub fn read_file(path: &str) -> Result<String> {
    let bytes = crate::input::read_bytes(path)?;
    // decoded as libvirt's libxml2 would (its XML declaration's encoding)
    match crate::xml::encoding::decode(&bytes) {
        Ok(text) => Ok(text.into_owned()),
        Err(e) => Err(anyhow::anyhow!("file '{path}': {e}; {}", crate::xml::encoding::HELP)),
    }
}

/// `--live/--config/--current` as virsh checks them: `--current` excludes
/// the other two (tools/virsh-network.c, VSH_EXCLUSIVE_OPTIONS).
pub fn check_current_exclusive(current: bool, live: bool, config: bool) -> Result<()> {
    for (set, other) in [(live, "--live"), (config, "--config")] {
        if current && set {
            anyhow::bail!("Options --current and {other} are mutually exclusive");
        }
    }
    Ok(())
}
