//! Translation validation: the compiled outputs of a bundle decide exactly what the policy
//! says, proved cell by cell on the packet space (`ward_compiler::space`) rather than
//! sampled.
//!
//! - The firewall (`firewall.rs`): the compiled `firewall/ruleset.nft`, decided by the
//!   evaluator, accepts a new connection between two regions of the address space
//!   (`regions.rs`) exactly when a flow allows it, and never one from a lower level to a
//!   higher one between segments.
//! - Cedar (`cedar.rs`): the compiled policies permit an operation from an endpoint to
//!   another exactly when a flow declares it, and never from a lower level to a higher one
//!   but to the thing's own gateway.
//!
//! A mismatch is a bug in ward's emitters (or a ruleset changed by hand): `ward build` fails
//! with the connection that shows it, the rule or policies that decided it, and the flows
//! that allow it if any.

mod cedar;
mod firewall;
mod regions;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use ward_compiler::ir::{FlowIr, Origin, PolicyIr, PortIr};
use ward_compiler::space;

use crate::nft_eval::Ruleset;

/// At most this many mismatches are shown; the rest are counted.
const SHOWN: usize = 20;

/// A cell where the compiled output and the policy disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// `firewall` or `cedar`.
    pub layer: &'static str,
    /// The place (firewall: an address and its endpoints) or entity (Cedar) it comes from.
    pub from: String,
    pub to: String,
    pub protocol: String,
    pub port: Option<u16>,
    /// Cedar's action.
    pub operation: Option<String>,
    /// When the connection is opened (seconds since 1970, UTC).
    pub at: i64,
    /// What the policy says (accepted or permitted).
    pub expected: bool,
    /// What the compiled output decided.
    pub actual: bool,
    /// The rule (its comment) or Cedar policies that decided it.
    pub by: String,
    /// The flows that allow it, when the policy does.
    pub declared: Vec<String>,
}

impl Mismatch {
    pub fn describe(&self) -> String {
        let port = self.port.map(|p| format!("/{p}")).unwrap_or_default();
        let operation = self
            .operation
            .as_ref()
            .map(|o| format!(" {{ action = {o} }}"))
            .unwrap_or_default();
        let verdict = |yes: bool| if yes { "accepts" } else { "refuses" };
        let policy = if self.expected {
            format!("the policy allows it ({})", self.declared.join(", "))
        } else {
            "the policy does not allow it".to_string()
        };
        format!(
            "{}: {} -> {} {}{port}{operation} at {}: the compiled output {} it (decided by {}), but {policy}",
            self.layer,
            self.from,
            self.to,
            self.protocol,
            ward_lang::Timestamp::at(self.at),
            verdict(self.actual),
            self.by,
        )
    }
}

/// What validation proved, or where it failed.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Validation {
    /// Pairs of regions and cells of the packet space the firewall was checked on.
    pub firewall_pairs: usize,
    pub firewall_cells: usize,
    /// Requests Cedar was asked.
    pub cedar_requests: usize,
    /// The first mismatches; `more` counts the rest.
    pub mismatches: Vec<Mismatch>,
    pub more: usize,
}

impl Validation {
    pub fn holds(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// Traffic the policy implies besides its flows, as the design states it: each thing's PAVA
/// reports (syslog) to the gateway of its segment, on the port and transport its device
/// configuration names; each gateway's reports to the services that receive them, on their
/// URL's port.
pub fn implied_flows(ir: &PolicyIr) -> Vec<FlowIr> {
    let implied = |from: &str, to: &str, protocol: &str, port: u16, what: String| FlowIr {
        from: from.to_string(),
        to: to.to_string(),
        bidirectional: false,
        ports: vec![PortIr {
            protocol: protocol.to_string(),
            ports: Some((port, port)),
        }],
        action: "send".to_string(),
        via: None,
        until: None,
        origin: Origin {
            file: "(implied)".to_string(),
            line: 0,
            declaration: what,
        },
    };
    let mut out = Vec::new();
    for class in &ir.classes {
        if let Some(gateway) = ir.gateway_of_class(class) {
            let transport = class.syslog_transport();
            out.push(implied(
                &class.name,
                &gateway.name,
                transport.protocol(),
                transport.port(),
                format!("PAVA: syslog of `{}` to its gateway", class.name),
            ));
        }
    }
    let gateways: Vec<&str> = ir
        .endpoints
        .iter()
        .filter(|e| e.kind == "gateway")
        .map(|e| e.name.as_str())
        .collect();
    for service in ir.endpoints.iter().filter(|e| !e.receives.is_empty()) {
        if let Some(port) = service
            .report_url
            .as_deref()
            .and_then(ward_compiler::emit::nft::url_port)
        {
            for gateway in &gateways {
                out.push(implied(
                    gateway,
                    &service.name,
                    "tcp",
                    port,
                    format!("PAVA: reports to `{}`", service.name),
                ));
            }
        }
    }
    out
}

/// The compiled texts of a bundle that validation reads.
pub struct Compiled<'a> {
    pub ruleset: &'a str,
    pub cedar_policies: &'a str,
    pub cedar_schema: &'a str,
}

/// Validates a bundle's firewall and Cedar policies against its IR, as of `now` and after:
/// time-limited flows are checked on both sides of their ends.
pub fn validate(ir: &PolicyIr, compiled: &Compiled, now: i64) -> Result<Validation, String> {
    let ruleset = Ruleset::parse(compiled.ruleset)?;
    let mut flows_all: Vec<FlowIr> = ir.flows.clone();
    flows_all.extend(implied_flows(ir));
    let flows = space::directed(&flows_all);
    let is_everywhere = |name: &str| {
        ir.endpoint(name)
            .is_some_and(|e| e.addresses.iter().any(|a| a.len == 0))
    };
    let is_gateway = |name: &str| ir.endpoint(name).is_some_and(|e| e.kind == "gateway");
    let outbound_declared = ir.flows.iter().any(|f| {
        (is_gateway(&f.from) && is_everywhere(&f.to))
            || (f.bidirectional && is_gateway(&f.to) && is_everywhere(&f.from))
    });
    let mut moments: Vec<i64> = ruleset.moments();
    moments.extend(flows_all.iter().filter_map(|f| f.until));
    let checker = firewall::Firewall {
        ruleset: &ruleset,
        flows: &flows,
        now,
        outbound_declared,
    };
    let regions = regions::regions(ir, &ruleset.prefixes());
    let sets: Vec<BTreeSet<String>> = regions
        .iter()
        .map(|r| ruleset.sets_holding(r.address, r.named.as_deref()))
        .collect();
    let mut indexes = BTreeMap::new();
    for chain in ["input", "forward", "output"] {
        indexes.insert(chain, ruleset.index(chain)?);
    }
    let mut tally = firewall::Tally::default();
    for (i, a) in regions.iter().enumerate() {
        for (j, b) in regions.iter().enumerate() {
            if a.v6 != b.v6 || (a.address.is_none() && b.address.is_none()) {
                continue;
            }
            checker.pair(a, b, (&sets[i], &sets[j]), &indexes, &moments, &mut tally)?;
        }
    }
    let mut validation = Validation {
        firewall_pairs: tally.pairs,
        firewall_cells: tally.cells,
        ..Validation::default()
    };
    let cedar = cedar::check(ir, compiled, now)?;
    validation.cedar_requests = cedar.requests;
    validation.mismatches = tally.mismatches;
    validation.more = tally.more;
    for mismatch in cedar.mismatches {
        if validation.mismatches.len() < SHOWN {
            validation.mismatches.push(mismatch);
        } else {
            validation.more += 1;
        }
    }
    validation.more += cedar.more;
    Ok(validation)
}
