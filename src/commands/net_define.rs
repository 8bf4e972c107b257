//! `knet net-define`: virsh's `net-define` (cmdNetworkDefine), safer.
//!
//! knet's validator runs first, for the release of libvirt the connected
//! daemon runs, and nothing reaches libvirt when it finds an error; libvirt
//! is then asked to check its own schema too
//! (`VIR_NETWORK_DEFINE_VALIDATE`, which plain virsh does not pass: without
//! it libvirt silently drops unknown elements). Redefining an existing
//! network from a file without `<uuid>` keeps the network's UUID (virsh
//! fails there with "already exists with uuid"). A NAT or routed subnet
//! that overlaps another network or a host route is warned about (libvirt
//! would refuse to start it). `net-create` shares this code. `--apply`
//! brings a running network's new definition live
//! (src/commands/net_apply.rs).

use anyhow::{Context as _, Result};

use super::net_shared;
use crate::context::Ctx;
use crate::host;
use crate::ipnet::Subnet;
use crate::output;
use crate::validate::{validate_for, DocKind};
use crate::xml::facts;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub apply: super::net_apply::ApplyArgs,
}

/// The document and its checks: net-define's and net-create's arguments.
#[derive(Debug, clap::Args)]
pub struct Source {
    /// File containing an XML network description
    #[arg(value_hint = clap::ValueHint::FilePath)]
    pub file: String,
    /// Validate against libvirt's schema (virsh's flag; knet always asks
    /// libvirt to, so this changes nothing)
    #[arg(long)]
    pub validate: bool,
    /// Skip knet's own checks (libvirt still validates against its schema)
    #[arg(long)]
    pub no_validate: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    define_or_create(args.source, &args.apply, ctx, false)
}

/// The shared body of `net-define` (`create == false`) and `net-create`
/// (whose `apply` is the default: off).
pub(crate) fn define_or_create(args: Source, apply: &super::net_apply::ApplyArgs, ctx: &Ctx, create: bool) -> Result<()> {
    crate::virsh_args::non_empty("file", Some(&args.file))?;
    let src = net_shared::read_file(&args.file)?;
    // Connected first (as virsh is before it reads the file): the XML is
    // checked for the release the daemon runs, which only it can tell.
    let conn = ctx.conn()?;
    if !args.no_validate {
        let r = validate_for(&src, &args.file, Some(DocKind::Network), net_shared::daemon_release(conn));
        eprint!("{}", r.render());
        if r.has_errors() {
            anyhow::bail!("{} is not a valid network definition; nothing was sent to libvirt", args.file);
        }
        for w in overlaps(ctx, &src)? {
            eprintln!("warning: {}", output::escape(&w));
        }
    }
    // only a redefinition keeps the UUID: net-create of a name in use is
    // refused as virsh has it, never turned into starting the other network
    let xml = if create { src.clone() } else { keep_existing_uuid(ctx, &src) };
    let before_apply = apply.apply.then(|| super::net_apply::before(conn, &xml)).flatten();
    // --json's `changed` for a redefinition: the persistent XML before and
    // after (libvirt's canonical form, so a reformatted file is no change).
    // Fetched only with --json: the plain path makes virsh's calls.
    let before = if ctx.json() && !create && !apply.apply { doc_name(&src).and_then(|n| conn.network_xml(&n, true).ok()) } else { None };
    let (verb, failed) = if create { ("created", "create") } else { ("defined", "define") };
    // a read-only connection refuses the call before libvirt reads the
    // XML: make virsh's call then, so the refusal names virsh's API
    let schema = args.validate || !ctx.opts.readonly;
    let result = if create { conn.create_network(&xml, schema) } else { conn.define_network(&xml, schema) };
    let name = result.with_context(|| format!("Failed to {failed} network from {}", args.file))?;
    let msg = format!("Network {name} {verb} from {}", args.file);
    if apply.apply {
        // --json --apply prints the apply's JSON alone
        if !ctx.json() {
            net_shared::done(ctx, &msg)?;
        }
        return match before_apply {
            Some(b) => super::net_apply::apply(ctx, &b, apply.yes, &|| None),
            None => super::net_apply::not_running(ctx, &name),
        };
    }
    if !ctx.json() {
        return net_shared::done(ctx, &msg);
    }
    let after = conn.network_xml(&name, true).ok();
    // libvirt gives the bridge a fresh MAC at every define of a file without
    // one: not a change the file asked for
    let asked = |x: &Option<String>| x.as_deref().map(|x| if doc_has_mac(&src) { x.to_string() } else { without_mac(x) });
    let changed = create || before.is_none() || asked(&after) != asked(&before);
    net_shared::report(ctx, &msg, changed, serde_json::json!({ "network": name, "file": args.file }))
}

/// Whether a network document gives its bridge's `<mac>`.
fn doc_has_mac(src: &str) -> bool {
    crate::xml::parse(src).is_ok_and(|d| crate::xml::kid(d.root_element(), "mac").is_some())
}

/// A network's XML without its top-level `<mac>` element.
fn without_mac(xml: &str) -> String {
    let Ok(doc) = crate::xml::parse(xml) else { return xml.to_string() };
    match crate::xml::kid(doc.root_element(), "mac") {
        Some(m) => format!("{}{}", &xml[..m.range().start], &xml[m.range().end..]),
        None => xml.to_string(),
    }
}

/// The `<name>` a network document gives, if it parses.
fn doc_name(src: &str) -> Option<String> {
    let doc = crate::xml::parse(src).ok()?;
    let name = crate::xml::kid(doc.root_element(), "name")?.text()?.trim().to_string();
    Some(name)
}

/// What `net-new` refuses when it picks a subnet, as warnings here: a NAT or
/// routed subnet that overlaps another network of the hypervisor, or (when
/// the hypervisor is this machine) a host route. libvirt defines such a
/// network; it refuses to start it only while an identical route exists
/// (bridge_driver_linux.c networkCheckRouteCollision), and otherwise the host
/// routes the shared addresses to the more specific subnet only.
fn overlaps(ctx: &Ctx, src: &str) -> Result<Vec<String>> {
    let me = facts::network(src);
    if !matches!(me.forward.as_deref(), Some("nat" | "route")) || me.ipv4.is_empty() {
        return Ok(Vec::new());
    }
    let name = crate::xml::parse(src).ok().and_then(|d| crate::xml::kid(d.root_element(), "name").and_then(|n| n.text()).map(|t| t.trim().to_string()));
    let conn = ctx.conn()?;
    let mut out = Vec::new();
    let mut other_bridges = Vec::new();
    for n in conn.list_networks().context("failed to list networks")? {
        if Some(&n.name) == name.as_ref() {
            continue;
        }
        let Ok(x) = conn.network_xml(&n.name, false) else { continue };
        let theirs = facts::network(&x);
        other_bridges.extend(theirs.bridge.clone());
        for a in &me.ipv4 {
            if let Some(b) = theirs.ipv4.iter().find(|b| b.subnet().overlaps(&a.subnet())) {
                out.push(format!("subnet {} overlaps {} of network '{}': {}", a.subnet(), b.subnet(), n.name, consequence(a.subnet(), b.subnet(), "the other network")));
            }
        }
    }
    if host::is_local_uri(&conn.uri()?) {
        // a route on this network's own bridge is its own (a redefinition of
        // a running network), one on another network's bridge is named above
        let routes = host::routes4();
        for a in &me.ipv4 {
            let hits = routes.iter().filter(|r| r.prefix > 0 && Some(&r.iface) != me.bridge.as_ref() && !other_bridges.contains(&r.iface)).filter(|r| Subnet::new(r.dest, r.prefix).overlaps(&a.subnet()));
            for r in hits {
                let route = Subnet::new(r.dest, r.prefix);
                out.push(format!("subnet {} overlaps the host route {route} on {}: {}", a.subnet(), r.iface, consequence(a.subnet(), route, "that route")));
            }
        }
    }
    Ok(out)
}

/// What an overlap does once both sides are up.
fn consequence(mine: Subnet, theirs: Subnet, other: &str) -> String {
    if mine == theirs {
        format!("libvirt refuses to start the network while {other} is up (\"Network is already in use\")")
    } else {
        format!("with both up, the host sends the shared addresses to the more specific of the two only, so hosts on {other}'s side of them become unreachable")
    }
}

/// When the document names an existing network and carries no `<uuid>`,
/// insert that network's UUID so libvirt updates it instead of refusing a
/// second network of the same name with a fresh UUID.
fn keep_existing_uuid(ctx: &Ctx, src: &str) -> String {
    let Ok(doc) = crate::xml::parse(src) else { return src.to_string() };
    let root = doc.root_element();
    if crate::xml::kid(root, "uuid").is_some() {
        return src.to_string();
    }
    let Some(name_el) = crate::xml::kid(root, "name") else { return src.to_string() };
    let Some(name) = name_el.text().map(str::trim) else { return src.to_string() };
    let Ok(existing) = ctx.conn().and_then(|c| Ok(c.lookup_network_by_name(name)?)) else { return src.to_string() };
    let at = name_el.range().end;
    format!("{}<uuid>{}</uuid>{}", &src[..at], existing.uuid, &src[at..])
}
