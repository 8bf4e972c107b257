//! The raw floor for `domif-convert` benchmarks (scripts/bench/convert.sh):
//! the least a NAT-to-bridge conversion can cost over libvirt's API — one
//! connection, then one dumpxml and one define RPC per guest, with a plain
//! string replacement in between. No checks, no backups, no reporting: it
//! exists only to measure how close knet comes to the cost of the RPCs.
//!
//!     convert_floor URI BRIDGE

use virt::connect::Connect;
use virt::sys;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (uri, br) = (args.get(1).expect("usage: convert_floor URI BRIDGE"), args.get(2).expect("usage: convert_floor URI BRIDGE"));
    let c = Connect::open(Some(uri)).expect("connect");
    let new_source = format!("<source bridge='{br}'/>");
    for d in c.list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT).expect("list") {
        let xml = d.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).expect("dumpxml");
        let out = xml.replace("<interface type='network'>", "<interface type='bridge'>").replace("<source network='default'/>", &new_source);
        c.define_domain_xml(&out).expect("define");
    }
}
