//! Running a policy's `test` blocks on its compiled bundle.
//!
//! - `allow flow A -> B : tcp/443` / `deny flow ...`: decided twice, on the compiled
//!   `firewall/ruleset.nft` (a new connection from an address of A to one of B, through the
//!   `forward` chain, `input` when B is a gateway, `output` when A is) and on the compiled
//!   Cedar policies (a request from A's thing to B for the operations of the declared flows
//!   that carry those ports, or every operation without ports: Cedar decides operations, not
//!   ports). `allow` holds when both let it through, `deny` when both stop it; the deciding
//!   rule and policies are reported. `{ action = unlock }` asks Cedar about that operation
//!   only (see `flow_case`).
//! - `expect A.profile == P`, `expect A.level >= N`, `expect risk(A, T7) == high`: on the IR
//!   (the profile and the assessment the bundle carries).
//! - `expect detect R fires N on """lines"""`: the PAVA engine, with the bundle's rule R, over
//!   the lines (their own times), as `ward pava scan` runs it.
//! - A table (`for (a, b) in [rows] { ... }`) runs its assertions once per row
//!   (`ward_lang::table`); each row is its own case, reported at the row's line.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, Schema,
};
use serde::Serialize;
use ward_compiler::Policy;
use ward_compiler::emit::{self, BuildOptions, cedar};
use ward_compiler::ir::PolicyIr;
use ward_lang::LineIndex;
use ward_lang::ast::{
    CmpOp, DeclKind, ExpectSubject, FlowSpec, Property, StmtKind, ValueKind, Verdict,
};
use ward_lang::format::format_stmt;
use ward_lang::table;

use super::nft_eval::{Packet, Ruleset};
use ward_pava::engine::Engine;
use ward_pava::syslog::parse_file_line;

/// One assertion's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Case {
    pub test: String,
    /// The assertion as written.
    pub assertion: String,
    pub file: String,
    /// The assertion's line, or its row's for a table's case.
    pub line: u32,
    /// The row of its table (from 1), for a table's case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub passed: bool,
    pub expected: String,
    pub actual: String,
    /// What decided it: firewall rules (with their source lines), Cedar policies.
    pub decided_by: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub cases: Vec<Case>,
    /// What the assertions exercised, for `--coverage`.
    #[serde(skip)]
    pub exercised: Exercised,
}

/// What the tests touched: flows by their endpoints, classes whose profile was expected,
/// (class, threat) pairs whose risk was expected, detection rules run.
#[derive(Clone, Debug, Default)]
pub struct Exercised {
    pub flows: BTreeSet<(String, String)>,
    pub profiles_of: BTreeSet<String>,
    pub risks: BTreeSet<(String, String)>,
    pub detections: BTreeSet<String>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }
}

/// The compiled outputs the assertions are decided on.
pub(crate) struct Compiled {
    pub(crate) ir: PolicyIr,
    /// One thing of each class, onboarded: the ruleset is rendered for them.
    things: ward_compiler::emit::nft::Inventory,
    ruleset: Ruleset,
    policies: PolicySet,
    /// The comment above each Cedar policy (its flows' source lines), by its `@id`.
    cedar_sources: HashMap<String, String>,
    /// The IR's flows by (from, to), both ways for `<->`: a workspace has tens of thousands
    /// of flows, and each assertion asks about one pair.
    flows_between: HashMap<(String, String), Vec<usize>>,
    entities: Entities,
    pub(crate) actions: Vec<String>,
    /// When the tests' connections and requests are made (seconds since 1970): the policy's
    /// `now`, the clock or `--today`, against which time-limited flows are decided.
    now: i64,
}

impl Compiled {
    pub(crate) fn new(policy: &Policy) -> Result<Compiled, String> {
        let bundle = emit::build(policy.db(), policy.workspace(), BuildOptions::default())
            .map_err(|e| match e {
                emit::BuildError::Invalid(_) => {
                    "the policy has errors: `ward check` shows them".to_string()
                }
                emit::BuildError::Bug(bug) => format!("the compiler failed: {bug}"),
            })?;
        Compiled::from_bundle(policy, &bundle)
    }

    fn from_bundle(policy: &Policy, bundle: &emit::Bundle) -> Result<Compiled, String> {
        let text = |path: &str| {
            bundle
                .files
                .get(path)
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .ok_or_else(|| format!("the bundle has no {path}"))
        };
        let ir = ward_compiler::ir::build_ir(policy.db(), policy.workspace());
        // Flows are decided on the ruleset a gateway runs once a thing of each class is
        // onboarded, the things' addresses standing for their classes: the bundle's own has
        // no rule for a class without a subnet (a MUD import's), whose addresses come at
        // onboarding. Translation validation proves both against the policy.
        let things = crate::validate::one_thing_of_each(&ir);
        let ruleset = Ruleset::parse(&ward_compiler::emit::nft::ruleset_for_inventory(
            &ir,
            &things,
            &ward_compiler::emit::nft::Raised::new(),
        ))?;
        let (schema, _) = Schema::from_cedarschema_str(&text("cedar/schema.cedarschema")?)
            .map_err(|e| format!("cedar schema: {e}"))?;
        let cedar_text = text("cedar/policy.cedar")?;
        let policies =
            PolicySet::from_str(&cedar_text).map_err(|e| format!("cedar policies: {e}"))?;
        let cedar_sources = policy_comments(&cedar_text);
        let mut flows_between: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (i, flow) in ir.flows.iter().enumerate() {
            let mut add = |a: &str, b: &str| {
                flows_between
                    .entry((a.to_string(), b.to_string()))
                    .or_default()
                    .push(i);
            };
            add(&flow.from, &flow.to);
            if flow.bidirectional {
                add(&flow.to, &flow.from);
            }
        }
        let entities = Entities::from_json_value(cedar::entities(&ir), Some(&schema))
            .map_err(|e| format!("cedar entities: {e}"))?;
        let actions = cedar::actions(&ir).into_iter().collect();
        Ok(Compiled {
            ir,
            things,
            ruleset,
            policies,
            cedar_sources,
            flows_between,
            entities,
            actions,
            now: policy.now(),
        })
    }

    /// An address of an endpoint, in its family: a class's onboarded thing's, a service's or
    /// gateway's address; none for a service known by host name.
    pub(crate) fn address(&self, name: &str, v6: bool) -> Option<IpAddr> {
        match self.things.get(name) {
            Some(things) => things
                .iter()
                .filter_map(|a| a.parse::<IpAddr>().ok())
                .find(|a| a.is_ipv6() == v6),
            None => ward_compiler::space::example_address(&self.ir, name, v6),
        }
    }

    /// The firewall's verdicts on a flow, one per probe: (accepted, deciding rule).
    pub(crate) fn firewall(
        &self,
        from: &str,
        to: &str,
        ports: &[(String, Option<u16>)],
    ) -> Result<Vec<(bool, String)>, String> {
        let chain = self.chain(from, to);
        // The family both ends can speak (an endpoint known by host name speaks either):
        // IPv4 when both can, else IPv6 when both can, else the sender's.
        let speaks = |name: &str, v6: bool| {
            self.address(name, v6).is_some()
                || self
                    .ir
                    .endpoint(name)
                    .is_some_and(|e| e.addresses.is_empty() && e.host.is_some())
        };
        let v6 = if speaks(from, false) && speaks(to, false) {
            false
        } else if speaks(from, true) && speaks(to, true) {
            true
        } else {
            self.address(from, false).is_none() && self.address(from, true).is_some()
        };
        let mut verdicts = Vec::new();
        for (protocol, port) in ports {
            let packet = Packet {
                source: self.address(from, v6),
                destination: self.address(to, v6),
                source_endpoint: Some(from.to_string()),
                destination_endpoint: Some(to.to_string()),
                v6,
                protocol: protocol.clone(),
                port: *port,
                time: self.now,
            };
            let verdict = self.ruleset.decide(chain, &packet)?;
            verdicts.push((verdict.accepted, verdict.by));
        }
        Ok(verdicts)
    }

    /// The operations a flow assertion asks Cedar about: Cedar decides operations, not
    /// ports, so with ports they are the operations of the declared flows from `from` to `to`
    /// that carry one of those ports; without ports, every operation.
    /// The chain that decides traffic from `from` to `to`: the gateway's own leaves through
    /// `output`, traffic to it arrives through `input`; between segments it is `forward`.
    pub(crate) fn chain(&self, from: &str, to: &str) -> &'static str {
        let is_gateway = |name: &str| self.ir.endpoint(name).is_some_and(|e| e.kind == "gateway");
        if is_gateway(from) {
            "output"
        } else if is_gateway(to) {
            "input"
        } else {
            "forward"
        }
    }

    pub(crate) fn operations(
        &self,
        from: &str,
        to: &str,
        ports: &[(String, Option<u16>)],
        any_port: bool,
    ) -> Vec<String> {
        if any_port {
            return self.actions.clone();
        }
        let key = (from.to_string(), to.to_string());
        let mut out: Vec<String> = self
            .flows_between
            .get(&key)
            .into_iter()
            .flatten()
            .map(|&i| &self.ir.flows[i])
            .filter(|f| {
                f.ports.is_empty()
                    || ports.iter().any(|(protocol, port)| {
                        f.ports.iter().any(|p| {
                            p.protocol == *protocol
                                && match (p.ports, port) {
                                    (None, _) => true,
                                    (Some((low, high)), Some(port)) => (low..=high).contains(port),
                                    (Some(_), None) => false,
                                }
                        })
                    })
            })
            .map(|f| f.action.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Cedar: which of `actions` are permitted from `from`'s thing to `to`, with the
    /// policies behind.
    pub(crate) fn cedar(
        &self,
        from: &str,
        to: &str,
        actions: &[String],
    ) -> Result<(Vec<String>, Vec<String>), String> {
        let principal =
            EntityUid::from_str(&cedar::request_uid(&self.ir, from)).map_err(|e| e.to_string())?;
        let resource =
            EntityUid::from_str(&cedar::request_uid(&self.ir, to)).map_err(|e| e.to_string())?;
        let mut permitted = Vec::new();
        let mut reasons = Vec::new();
        for action in actions {
            let action_uid =
                EntityUid::from_str(&format!("Action::{}", cedar::cedar_string(action)))
                    .map_err(|e| e.to_string())?;
            let request = Request::new(
                principal.clone(),
                action_uid,
                resource.clone(),
                Context::from_pairs([(
                    "now".to_string(),
                    cedar_policy::RestrictedExpression::new_long(self.now),
                )])
                .map_err(|e| e.to_string())?,
                None,
            )
            .map_err(|e| e.to_string())?;
            let response =
                Authorizer::new().is_authorized(&request, &self.policies, &self.entities);
            if response.decision() == Decision::Allow {
                permitted.push(action.clone());
            }
            // The permits behind an Allow, the forbids behind a Deny (a Deny with no reason
            // is no permit at all: nothing to name).
            reasons.extend(
                response
                    .diagnostics()
                    .reason()
                    .filter_map(|id| self.policies.policy(id))
                    .map(|policy| self.describe_policy(policy)),
            );
        }
        reasons.sort();
        reasons.dedup();
        Ok((permitted, reasons))
    }
}

impl Compiled {
    /// A Cedar policy by its `@id` and the comment ward writes above it (its flows' source
    /// lines): the parser's own ids (`policy3`) mean nothing to a reader.
    fn describe_policy(&self, policy: &cedar_policy::Policy) -> String {
        let effect = match policy.effect() {
            cedar_policy::Effect::Permit => "permit",
            cedar_policy::Effect::Forbid => "forbid",
        };
        let name = policy
            .annotation("id")
            .map_or_else(|| policy.id().to_string(), str::to_string);
        match self.cedar_sources.get(&name) {
            Some(source) => format!("cedar: {effect} \"{name}\" ({source})"),
            None => format!("cedar: {effect} \"{name}\""),
        }
    }
}

/// The `//` comment lines right above each `@id("...")` of ward's Cedar output, joined.
fn policy_comments(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut comments: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix("//") {
            comments.push(comment.trim());
        } else if let Some(id) = line
            .strip_prefix("@id(\"")
            .and_then(|rest| rest.strip_suffix("\")"))
        {
            if !comments.is_empty() {
                out.insert(id.to_string(), comments.join("; "));
            }
            comments.clear();
        } else {
            comments.clear();
        }
    }
    out
}

/// The probes of a flow assertion: its ports, or without ports every protocol and port the
/// ruleset's rules name (so that `deny flow a -> b` means no port at all gets through).
pub(crate) fn probes(compiled: &Compiled, flow: &FlowSpec) -> Vec<(String, Option<u16>)> {
    if flow.ports.is_empty() {
        let mut all: Vec<(String, Option<u16>)> = compiled
            .ir
            .flows
            .iter()
            .flat_map(|f| f.ports.iter())
            .map(|p| (p.protocol.clone(), p.ports.map(|(low, _)| low)))
            .collect();
        all.extend([
            ("icmp".to_string(), None),
            ("tcp".to_string(), None),
            ("udp".to_string(), None),
        ]);
        all.sort();
        all.dedup();
        return all;
    }
    let mut out = Vec::new();
    for port in &flow.ports {
        match port.ports {
            Some((low, high)) => {
                out.push((port.protocol.text.clone(), Some(low)));
                if high != low {
                    out.push((port.protocol.text.clone(), Some(high)));
                }
            }
            None => out.push((port.protocol.text.clone(), None)),
        }
    }
    out
}

/// The operation a flow assertion names (`{ action = unlock }`), if any.
pub(crate) fn named_operation(fields: &[Property]) -> Result<Option<String>, String> {
    match fields {
        [] => Ok(None),
        [field] if field.key.text == "action" => match &field.value.kind {
            ValueKind::Name(word) => Ok(Some(word.clone())),
            other => Err(format!("an operation is a word, not {}", other.describe())),
        },
        _ => Err("a flow assertion's block holds one `action = WORD`".to_string()),
    }
}

/// A flow assertion. Without an operation, `allow` holds when the firewall accepts every
/// probe and Cedar permits an operation of the declared flows on those ports, `deny` when
/// both stop it. With an operation, Cedar is asked about that operation: `allow` needs the
/// firewall too, `deny` holds when Cedar denies it (the firewall sees ports, not
/// operations, so it cannot tell `lock` from `unlock`; its verdict is reported).
fn flow_case(
    compiled: &Compiled,
    verdict: &str,
    flow: &FlowSpec,
    fields: &[Property],
) -> Result<(bool, String, String, Vec<String>), String> {
    let allow = match Verdict::parse(verdict) {
        Some(Verdict::Allow) => true,
        Some(Verdict::Deny) => false,
        None => return Err(format!("`{verdict}` is not `allow` or `deny`")),
    };
    let operation = named_operation(fields)?;
    let mut directions = vec![(flow.from.text.as_str(), flow.to.text.as_str())];
    if flow.bidirectional {
        directions.push((flow.to.text.as_str(), flow.from.text.as_str()));
    }
    let probes = probes(compiled, flow);
    let mut holds = true;
    let mut actual = Vec::new();
    let mut decided_by = Vec::new();
    for (from, to) in directions {
        let verdicts = compiled.firewall(from, to, &probes)?;
        let operations = match &operation {
            Some(operation) => vec![operation.clone()],
            None => compiled.operations(from, to, &probes, flow.ports.is_empty()),
        };
        let (permitted, reasons) = compiled.cedar(from, to, &operations)?;
        let accepted: Vec<&(bool, String)> = verdicts.iter().filter(|(a, _)| *a).collect();
        let (firewall_ok, cedar_ok) = match (allow, &operation) {
            (true, _) => (accepted.len() == verdicts.len(), !permitted.is_empty()),
            (false, None) => (accepted.is_empty(), permitted.is_empty()),
            (false, Some(_)) => (true, permitted.is_empty()),
        };
        holds &= firewall_ok && cedar_ok;
        actual.push(format!(
            "{from} -> {to}: firewall {} of {} probes, Cedar {}",
            match accepted.len() {
                0 => "drops all".to_string(),
                n if n == verdicts.len() => "accepts all".to_string(),
                n => format!("accepts {n}"),
            },
            verdicts.len(),
            if operations.is_empty() {
                "has no operation for these ports".to_string()
            } else if permitted.is_empty() {
                format!("denies {}", operations.join(", "))
            } else {
                format!("permits {}", permitted.join(", "))
            }
        ));
        // Duplicates go with the sort and dedup below. An operation is Cedar's to deny: the
        // firewall, which passes the port, did not decide that verdict and is not cited.
        let firewall_decides = allow || operation.is_none();
        for (_, by) in verdicts
            .iter()
            .filter(|(_, by)| firewall_decides && !by.is_empty())
        {
            decided_by.push(format!("firewall: {by}"));
        }
        decided_by.extend(reasons);
        if let Some(operation) = &operation
            && !compiled.actions.contains(operation)
        {
            decided_by.push(format!(
                "cedar: no flow declares `{operation}`, and no policy permits an undeclared \
                 operation"
            ));
        }
    }
    decided_by.sort();
    decided_by.dedup();
    let expected = match (allow, &operation) {
        (true, None) => "allowed by the firewall and Cedar".to_string(),
        (false, None) => "denied by the firewall and Cedar".to_string(),
        (true, Some(op)) => format!("`{op}` allowed by the firewall and Cedar"),
        (false, Some(op)) => format!("`{op}` denied by Cedar"),
    };
    Ok((holds, expected, actual.join("; "), decided_by))
}

fn level_rank(word: &str) -> Option<u8> {
    match word {
        "low" => Some(0),
        "moderate" => Some(1),
        "high" => Some(2),
        _ => None,
    }
}

fn compare<T: PartialOrd>(actual: T, op: CmpOp, expected: T) -> bool {
    match op {
        CmpOp::Eq => actual == expected,
        CmpOp::Ne => actual != expected,
        CmpOp::Lt => actual < expected,
        CmpOp::Le => actual <= expected,
        CmpOp::Gt => actual > expected,
        CmpOp::Ge => actual >= expected,
    }
}

fn value_text(value: &ValueKind) -> String {
    match value {
        ValueKind::Name(n) | ValueKind::Str(n) => n.clone(),
        ValueKind::Int(i) => i.to_string(),
        other => other.describe().to_string(),
    }
}

fn expect_case(
    compiled: &Compiled,
    subject: &ExpectSubject,
    op: CmpOp,
    value: &ValueKind,
) -> Result<(bool, String, String, Vec<String>), String> {
    let expected = format!("{} {}", op.as_str(), value_text(value));
    match subject {
        ExpectSubject::Path(path) => {
            let [class, attribute] = path.as_slice() else {
                return Err("expected `CLASS.profile` or `CLASS.level`".to_string());
            };
            // A service or gateway holds the profile it declares.
            if compiled.ir.class(&class.text).is_none()
                && let Some(endpoint) = compiled.ir.endpoint(&class.text)
            {
                let origin = format!(
                    "{} ({} {})",
                    endpoint.origin.describe(),
                    endpoint.kind,
                    endpoint.name
                );
                let declared = match (&endpoint.profile, endpoint.level) {
                    (Some(profile), Some(level)) => Some((profile.clone(), level)),
                    _ => None,
                };
                let none = || format!("no profile (the {} declares none)", endpoint.kind);
                return match (attribute.text.as_str(), declared) {
                    ("profile", Some((profile, _))) => Ok((
                        compare(profile.as_str(), op, value_text(value).as_str()),
                        expected,
                        format!(
                            "{profile} ({})",
                            if endpoint.assigned {
                                "assigned by the risk assessment"
                            } else {
                                "declared"
                            }
                        ),
                        vec![origin],
                    )),
                    ("level", Some((_, level))) => {
                        let ValueKind::Int(want) = value else {
                            return Err("a level is compared with an integer".to_string());
                        };
                        Ok((
                            compare(level, op, *want),
                            expected,
                            level.to_string(),
                            vec![origin],
                        ))
                    }
                    ("profile" | "level", None) => Ok((false, expected, none(), vec![origin])),
                    (other, _) => Err(format!(
                        "`{other}` is not something a test can expect (profile, level)"
                    )),
                };
            }
            let found = compiled.ir.class(&class.text).ok_or_else(|| {
                format!(
                    "`{}` is neither a class, a service nor a gateway",
                    class.text
                )
            })?;
            let origin = format!("{} (class {})", found.origin.describe(), found.name);
            match attribute.text.as_str() {
                "profile" => {
                    let Some(actual) = found.profile.clone() else {
                        return Ok((false, expected, found.profile_label(), vec![origin]));
                    };
                    let holds = compare(actual.as_str(), op, value_text(value).as_str());
                    let why = if found.assigned {
                        "assigned by the risk assessment"
                    } else {
                        "declared"
                    };
                    Ok((holds, expected, format!("{actual} ({why})"), vec![origin]))
                }
                "level" => {
                    let ValueKind::Int(want) = value else {
                        return Err("a level is compared with an integer".to_string());
                    };
                    let Some(level) = found.level else {
                        return Ok((false, expected, found.profile_label(), vec![origin]));
                    };
                    Ok((
                        compare(level, op, *want),
                        expected,
                        level.to_string(),
                        vec![origin],
                    ))
                }
                other => Err(format!(
                    "`{other}` is not something a test can expect of a class (profile, level)"
                )),
            }
        }
        ExpectSubject::Call { function, args } if function.text == "risk" => {
            let [class, threat] = args.as_slice() else {
                return Err("`risk` takes a class and a threat".to_string());
            };
            let (ValueKind::Name(class), ValueKind::Name(threat)) = (&class.kind, &threat.kind)
            else {
                return Err("`risk` takes a class and a threat".to_string());
            };
            // A class, or a service or gateway placed in an environment.
            let (assessments, data): (&[ward_compiler::ir::AssessmentIr], Option<&[String]>) =
                match (compiled.ir.class(class), compiled.ir.endpoint(class)) {
                    (Some(found), _) => (&found.assessments, Some(&found.data)),
                    (None, Some(endpoint)) => (&endpoint.assessments, None),
                    (None, None) => {
                        return Err(format!(
                            "`{class}` is neither a class, a service nor a gateway"
                        ));
                    }
                };
            // A privacy threat does not apply to a class without personal data (the PIA):
            // no level is true of it, and the case says so.
            if ward_compiler::risk::PRIVACY_THREATS.contains(&threat.as_str())
                && data.is_some_and(<[String]>::is_empty)
            {
                return Ok((
                    false,
                    expected,
                    format!("does not apply: `{class}` handles no personal data"),
                    vec![format!(
                        "{threat} is a privacy threat (T12-T18): it applies to classes with `data = [...]`"
                    )],
                ));
            }
            // The assessment keeps the moderate and high risks: a threat not there is low.
            let mut actual = "low".to_string();
            let mut decided_by = Vec::new();
            for assessment in assessments {
                for risk in assessment.risks.iter().filter(|r| &r.threat == threat) {
                    if level_rank(&risk.risk) > level_rank(&actual) {
                        actual = risk.risk.clone();
                    }
                    decided_by.push(format!(
                        "in `{}`: likelihood {} ({}), impact {} ({})",
                        assessment.environment,
                        risk.likelihood,
                        risk.likelihood_from,
                        risk.impact,
                        risk.impact_from
                    ));
                }
            }
            let want = value_text(value);
            let holds = match (level_rank(&actual), level_rank(&want)) {
                (Some(a), Some(w)) => compare(a, op, w),
                _ => {
                    return Err(format!(
                        "`{want}` is not a risk level (low, moderate, high)"
                    ));
                }
            };
            Ok((holds, expected, actual, decided_by))
        }
        ExpectSubject::Call { function, .. } => Err(format!(
            "`{}` is not a function tests know (risk)",
            function.text
        )),
    }
}

fn detect_case(
    compiled: &Compiled,
    rule: &str,
    count: &ValueKind,
    input: &ValueKind,
) -> Result<(bool, String, String, Vec<String>), String> {
    let ValueKind::Int(want) = count else {
        return Err("`fires` takes a number".to_string());
    };
    let ValueKind::Str(input) = input else {
        return Err("`on` takes the log lines as a string".to_string());
    };
    let rules: Vec<_> = compiled
        .ir
        .detections
        .iter()
        .filter(|d| d.name == rule)
        .cloned()
        .collect();
    let origin = rules
        .first()
        .map(|r| r.origin.describe())
        .ok_or_else(|| format!("`{rule}` is not a detection rule"))?;
    let mut engine = Engine::new(&rules, ward_pava::engine::DEFAULT_MAX_GROUPS)?;
    let mut fired = Vec::new();
    let mut dropped = 0;
    for line in input.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match parse_file_line(line.as_bytes(), 2026) {
            Ok(message) => engine.feed(
                &message,
                line,
                0,
                ward_pava::engine::Sender::Unattributed,
                &mut fired,
            ),
            Err(_) => dropped += 1,
        }
    }
    let actual = i64::try_from(fired.len()).unwrap_or(i64::MAX);
    let mut decided_by = vec![origin];
    decided_by.extend(fired.iter().map(|i| {
        format!(
            "fired for {} ({} messages)",
            if i.group.is_empty() { "all" } else { &i.group },
            i.count
        )
    }));
    if dropped > 0 {
        decided_by.push(format!("{dropped} lines could not be read as syslog"));
    }
    Ok((
        actual == *want,
        format!("fires {want}"),
        format!("fires {actual}"),
        decided_by,
    ))
}

/// Notes what an assertion exercises.
fn record(exercised: &mut Exercised, kind: &StmtKind) {
    match kind {
        StmtKind::FlowAssert { flow, .. } => {
            exercised
                .flows
                .insert((flow.from.text.clone(), flow.to.text.clone()));
            if flow.bidirectional {
                exercised
                    .flows
                    .insert((flow.to.text.clone(), flow.from.text.clone()));
            }
        }
        StmtKind::Expect {
            subject: ExpectSubject::Path(path),
            ..
        } => {
            if let Some(class) = path.first() {
                exercised.profiles_of.insert(class.text.clone());
            }
        }
        StmtKind::Expect {
            subject: ExpectSubject::Call { args, .. },
            ..
        } => {
            if let [class, threat] = args.as_slice()
                && let (ValueKind::Name(class), ValueKind::Name(threat)) =
                    (&class.kind, &threat.kind)
            {
                exercised.risks.insert((class.clone(), threat.clone()));
            }
        }
        StmtKind::ExpectDetect { rule, .. } => {
            exercised.detections.insert(rule.text.clone());
        }
        _ => {}
    }
}

/// The compiled outputs tests are decided on, built once (`ward build`'s work).
pub struct Prepared(Compiled);

pub fn prepare(policy: &Policy) -> Result<Prepared, String> {
    Compiled::new(policy).map(Prepared)
}

/// The same, from a bundle already built from this policy (`ward watch --test`).
pub fn prepare_built(policy: &Policy, bundle: &emit::Bundle) -> Result<Prepared, String> {
    Compiled::from_bundle(policy, bundle).map(Prepared)
}

/// Runs every test of the policy's own files (those whose name contains `filter`).
pub fn run(policy: &Policy, filter: Option<&str>) -> Result<Report, String> {
    run_prepared(policy, &prepare(policy)?, filter)
}

/// Runs the tests on outputs already compiled.
pub fn run_prepared(
    policy: &Policy,
    prepared: &Prepared,
    filter: Option<&str>,
) -> Result<Report, String> {
    let compiled = &prepared.0;
    let db = policy.db();
    let mut report = Report::default();
    for file in policy.user_files() {
        let text = file.text(db);
        let lines = LineIndex::new(text);
        let parsed = ward_compiler::queries::parsed(db, file);
        for decl in parsed.file.decls().filter(|d| d.kind == DeclKind::Test) {
            let test = decl
                .title
                .as_ref()
                .map(|t| t.value.clone())
                .unwrap_or_default();
            if filter.is_some_and(|f| !test.contains(f)) {
                continue;
            }
            let (instances, _) = table::instances(&decl.body);
            for instance in &instances {
                let stmt = &instance.stmt;
                let mut assertion = match &stmt.kind {
                    // The log lines are the input, not the assertion: say how many.
                    StmtKind::ExpectDetect { rule, count, input } => format!(
                        "expect detect {} fires {} on {} lines",
                        rule.text,
                        value_text(&count.kind),
                        value_text(&input.kind)
                            .lines()
                            .filter(|l| !l.trim().is_empty())
                            .count()
                    ),
                    _ => format_stmt(text, stmt)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                if let Some(row) = instance.row {
                    assertion.push_str(&format!(" [row {}]", row.number));
                }
                record(&mut report.exercised, &stmt.kind);
                let outcome = match &stmt.kind {
                    StmtKind::FlowAssert {
                        verdict,
                        flow,
                        fields,
                    } => flow_case(compiled, &verdict.text, flow, fields),
                    StmtKind::Expect { subject, op, value } => {
                        expect_case(compiled, subject, *op, &value.kind)
                    }
                    StmtKind::ExpectDetect { rule, count, input } => {
                        detect_case(compiled, &rule.text, &count.kind, &input.kind)
                    }
                    _ => continue,
                };
                let (passed, expected, actual, decided_by) = outcome.unwrap_or_else(|error| {
                    (false, "a valid assertion".to_string(), error, Vec::new())
                });
                let at = instance.row.map_or(stmt.range.start, |r| r.range.start);
                report.cases.push(Case {
                    test: test.clone(),
                    assertion,
                    file: file.path(db).clone(),
                    line: lines.line_col(text, at).line + 1,
                    row: instance.row.map(|r| r.number),
                    passed,
                    expected,
                    actual,
                    decided_by,
                });
            }
        }
    }
    Ok(report)
}
