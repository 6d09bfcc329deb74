//! `ward explain flow A -> B [: PROTO/PORT] [{ action = OP }]`: why a flow is allowed or
//! denied, without writing a test. The same probes and requests as a `ward test` assertion
//! (run.rs), decided on the compiled firewall and Cedar, with the rules that decide them and
//! their source lines; both ends' profiles and levels; and, for a flow that is denied, what
//! `ward check` would say of declaring it.

use serde::Serialize;
use ward_compiler::{Policy, Severity};
use ward_lang::ast::{DeclKind, FlowSpec, Property, StmtKind};

use crate::run::{Compiled, named_operation, probes};

/// One end of the flow, as the policy holds it.
#[derive(Clone, Debug, Serialize)]
pub struct End {
    pub name: String,
    /// `class`, `service` or `gateway`.
    pub kind: String,
    pub profile: Option<String>,
    /// Unknown (`None`) for an endpoint without a profile.
    pub level: Option<i64>,
    /// Whether the risk assessment assigned the profile (rather than the policy declaring it).
    pub assigned: bool,
    pub addresses: Vec<String>,
    pub segment: Option<String>,
    /// Where it is declared (`file:line`).
    pub origin: String,
}

/// The firewall's verdict on one probe.
#[derive(Clone, Debug, Serialize)]
pub struct Probe {
    pub protocol: String,
    pub port: Option<u16>,
    pub accepted: bool,
    /// The deciding rule's comment (its source line), or the chain's policy.
    pub by: String,
}

/// One direction of the flow (two for `<->`).
#[derive(Clone, Debug, Serialize)]
pub struct Direction {
    pub from: String,
    pub to: String,
    /// The chain that decides it: `forward`, `input` (to a gateway), `output` (from one).
    pub chain: String,
    pub probes: Vec<Probe>,
    /// The operations Cedar was asked about, and those it permits.
    pub operations: Vec<String>,
    pub permitted: Vec<String>,
    /// The Cedar policies behind the decision, with their flows' source lines.
    pub cedar: Vec<String>,
    pub allowed: bool,
}

/// What `ward check` says of the flow declared as asked.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub code: String,
    pub severity: String,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub flow: String,
    pub operation: Option<String>,
    pub ends: Vec<End>,
    pub directions: Vec<Direction>,
    /// The firewall accepts every probe and Cedar permits an operation, in every direction.
    pub allowed: bool,
    /// For a denied flow: the findings of declaring it (empty: it would check clean).
    pub declaring: Vec<Finding>,
}

/// Reads `a -> b : tcp/22 { action = op }` as a test's flow assertion does.
fn parse_flow(text: &str) -> Result<(FlowSpec, Vec<Property>), String> {
    let wrapped = format!("test \"explain\" {{\n  allow flow {text}\n}}\n");
    let parse = ward_lang::parse(&wrapped);
    if let Some(error) = parse.errors.first() {
        return Err(format!(
            "`{text}` is not a flow: {}; write it as a test does: `a -> b : tcp/22 {{ action = lock }}`, in quotes (the shell reads `>`)",
            error.message
        ));
    }
    parse
        .file
        .decls()
        .flat_map(|decl| decl.body.iter())
        .find_map(|stmt| match &stmt.kind {
            StmtKind::FlowAssert { flow, fields, .. } => Some((flow.clone(), fields.clone())),
            _ => None,
        })
        .ok_or_else(|| format!("`{text}` is not a flow"))
}

/// Explains the flow `text` on `policy`, which must check without errors.
pub fn explain_flow(policy: &mut Policy, text: &str) -> Result<Explanation, String> {
    let (flow, fields) = parse_flow(text)?;
    let operation = named_operation(&fields)?;
    for name in [&flow.from.text, &flow.to.text] {
        let kind = ward_compiler::queries::owner_of(policy.db(), policy.workspace(), name)
            .map(|(kind, _)| kind);
        if !matches!(
            kind,
            Some(DeclKind::Class | DeclKind::Service | DeclKind::Gateway)
        ) {
            return Err(format!(
                "`{name}` is no class, service or gateway of the policy"
            ));
        }
    }
    // What a test may not ask (an unknown protocol, port 0, a property other than `action`)
    // is refused as `ward check` refuses it in a test, not probed.
    let asked_as_test = policy.add_file(
        "<explain>.ward",
        format!("test \"explain\" {{\n  allow flow {text}\n}}\n"),
    );
    let refused = policy
        .check()
        .diagnostics
        .into_iter()
        .find(|d| d.file == asked_as_test && d.severity == Severity::Error);
    policy.remove_file(asked_as_test);
    if let Some(error) = refused {
        return Err(match error.help {
            Some(help) => format!("`{text}`: {} ({}); {help}", error.message, error.code.code),
            None => format!("`{text}`: {} ({})", error.message, error.code.code),
        });
    }
    // The ends are compiled as a test that names them would have them: the standard
    // library's `internet` is in a bundle only when the policy names it.
    let named = policy.add_file(
        "<explain>.ward",
        format!(
            "test \"explain\" {{\n  deny flow {} -> {}\n}}\n",
            flow.from.text, flow.to.text
        ),
    );
    let compiled = Compiled::new(policy);
    policy.remove_file(named);
    let compiled = compiled?;
    let mut ends = Vec::new();
    for name in [&flow.from.text, &flow.to.text] {
        ends.push(
            end(&compiled, name)
                .ok_or_else(|| format!("`{name}` is no class, service or gateway of the policy"))?,
        );
    }
    let mut pairs = vec![(flow.from.text.as_str(), flow.to.text.as_str())];
    if flow.bidirectional {
        pairs.push((flow.to.text.as_str(), flow.from.text.as_str()));
    }
    let asked = probes(&compiled, &flow);
    let mut directions = Vec::new();
    for (from, to) in pairs {
        let verdicts = compiled.firewall(from, to, &asked)?;
        // No declared flow on these ports: Cedar is asked about `send`, the operation a flow
        // declared as asked would carry, so that a forbid (lower to higher) shows.
        let operations = match &operation {
            Some(operation) => vec![operation.clone()],
            None => match compiled.operations(from, to, &asked, flow.ports.is_empty()) {
                none if none.is_empty() => vec!["send".to_string()],
                some => some,
            },
        };
        let (permitted, cedar) = compiled.cedar(from, to, &operations)?;
        let probes: Vec<Probe> = asked
            .iter()
            .zip(verdicts)
            .map(|((protocol, port), (accepted, by))| Probe {
                protocol: protocol.clone(),
                port: *port,
                accepted,
                by,
            })
            .collect();
        let allowed = probes.iter().all(|p| p.accepted) && !permitted.is_empty();
        directions.push(Direction {
            from: from.to_string(),
            to: to.to_string(),
            chain: compiled.chain(from, to).to_string(),
            probes,
            operations,
            permitted,
            cedar,
            allowed,
        });
    }
    let allowed = directions.iter().all(|d| d.allowed);
    let declaring = if allowed {
        Vec::new()
    } else {
        declared(policy, text)
    };
    Ok(Explanation {
        flow: flow.to_string(),
        operation,
        ends,
        directions,
        allowed,
        declaring,
    })
}

fn end(compiled: &Compiled, name: &str) -> Option<End> {
    let ir = &compiled.ir;
    if let Some(class) = ir.class(name) {
        let segment = class.segment.clone();
        let addresses = segment
            .as_deref()
            .and_then(|s| ir.segment(s))
            .map(|s| s.subnets.iter().map(|p| p.to_string()).collect())
            .unwrap_or_default();
        return Some(End {
            name: name.to_string(),
            kind: "class".into(),
            profile: class.profile.clone(),
            level: class.level,
            assigned: class.assigned,
            addresses,
            segment,
            origin: format!("{}:{}", class.origin.file, class.origin.line),
        });
    }
    let endpoint = ir.endpoint(name)?;
    let mut addresses: Vec<String> = endpoint.addresses.iter().map(|p| p.to_string()).collect();
    if let Some(host) = &endpoint.host {
        addresses.push(host.clone());
    }
    Some(End {
        name: name.to_string(),
        kind: endpoint.kind.clone(),
        profile: endpoint.profile.clone(),
        level: endpoint.level,
        assigned: endpoint.assigned,
        addresses,
        segment: None,
        origin: format!("{}:{}", endpoint.origin.file, endpoint.origin.line),
    })
}

/// The findings of declaring the flow: the policy checked again with it in a file of its own.
fn declared(policy: &mut Policy, text: &str) -> Vec<Finding> {
    let file = policy.add_file("<explain>.ward", format!("flow {text}\n"));
    let findings = policy
        .check()
        .diagnostics
        .into_iter()
        .filter(|d| {
            d.file == file && d.waived.is_none() && d.severity != Severity::Note
                // Declaring it is the question; that it duplicates nothing is no answer.
                && d.code.code != "W0002"
        })
        .map(|d| Finding {
            code: d.code.code.to_string(),
            severity: d.severity.as_str().to_string(),
            message: d.message,
            help: d.help,
        })
        .collect();
    policy.remove_file(file);
    findings
}
