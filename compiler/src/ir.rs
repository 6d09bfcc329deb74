//! The resolved policy, ready for the emitters: every class with the profile it holds and
//! the mitigations that profile requires, segments with their subnets, endpoints with their
//! addresses, flows, detection rules; each with the declaration it came from.
//!
//! Built only from a policy that checks without errors, so every name resolves. Collections
//! are sorted by name, which keeps every emitted file reproducible.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use ward_lang::LineIndex;
use ward_lang::ast::{Decl, DeclKind, MatchPattern, StmtKind, ValueKind};

use crate::db::{Db, Workspace};
use crate::facts::facts_of;
use crate::model::{catalog, class_info, names_in};
use crate::queries::parsed;

/// Where an emitted rule comes from: the declaration and its place.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    pub file: String,
    pub line: u32,
    /// The declaration's label: its name, or a flow's `a -> b : tcp/443`.
    pub declaration: String,
}

impl Origin {
    /// `door_lock.ward:12 (flow a -> b : tcp/443)`, for comments in emitted files.
    pub fn describe(&self) -> String {
        format!("{}:{} ({})", self.file, self.line, self.declaration)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MitigationIr {
    pub id: String,
    pub title: String,
    /// The threats of the profile's table it answers.
    pub threats: Vec<String>,
    /// Parameters with their values: durations in seconds, integers as they are.
    pub params: BTreeMap<String, i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassIr {
    pub name: String,
    pub title: String,
    pub function: String,
    pub environments: Vec<String>,
    /// The profile the class holds: declared, or assigned by the risk assessment. None for a
    /// class that declares neither a profile nor an environment to be assessed in (W0006
    /// says so at the source): its things onboard without a profile level, so the
    /// lower-to-higher rule neither protects them nor holds them back.
    pub profile: Option<String>,
    pub level: Option<i64>,
    /// Whether the risk assessment assigned the profile (the class declares none).
    pub assigned: bool,
    pub capabilities: Vec<String>,
    pub data: Vec<String>,
    pub mitigations: Vec<MitigationIr>,
    pub segment: Option<String>,
    pub mud: Vec<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    /// The risk assessment in each environment (PASC's RA and PIA): why the class holds its
    /// profile. The gateway prints it when it onboards a thing.
    #[serde(default)]
    pub assessments: Vec<AssessmentIr>,
    /// The quarantine place (`quarantine = true` or `match mud "*"`): PASC puts the things no
    /// class matches here, PAVA the things it quarantines; no flow leaves or enters it.
    #[serde(default)]
    pub quarantine: bool,
    /// `mud_signature`, when the class says (see `signature_rule`).
    #[serde(default)]
    pub mud_signature: Option<String>,
    pub origin: Origin,
}

/// What PASC does with an unsigned or badly signed MUD file of a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureRule {
    /// The thing is refused.
    Required,
    /// The thing is onboarded into the quarantine place.
    Quarantine,
    /// The thing is onboarded as the file says; the verdict is recorded.
    Optional,
}

/// How a class's things send PAVA's reports to their gateway: TLS (RFC 5425) where they can,
/// else UDP (RFC 5426). The device configuration says it and the firewall admits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyslogTransport {
    Tls,
    Udp,
}

impl SyslogTransport {
    /// The port of RFC 5425 (TLS) or RFC 5426 (UDP).
    pub fn port(self) -> u16 {
        match self {
            SyslogTransport::Tls => 6514,
            SyslogTransport::Udp => 514,
        }
    }

    /// The layer-4 protocol the firewall sees.
    pub fn protocol(self) -> &'static str {
        match self {
            SyslogTransport::Tls => "tcp",
            SyslogTransport::Udp => "udp",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SyslogTransport::Tls => "tls",
            SyslogTransport::Udp => "udp",
        }
    }
}

impl ClassIr {
    /// Whether it is the quarantine place (a bundle of an older ward says so by its pattern).
    pub fn is_quarantine(&self) -> bool {
        self.quarantine
            || self
                .mud
                .iter()
                .any(|p| p == crate::mud_pattern::QUARANTINE_PATTERN)
    }

    /// What PASC does with a fetched MUD file of this class that is unsigned or whose
    /// signature does not verify: the class's `mud_signature`, else `required` for a profile
    /// of level 3 or 4 (a forged file would place a thing among the most protected) and
    /// `optional` below, or without a profile.
    pub fn signature_rule(&self) -> SignatureRule {
        match self.mud_signature.as_deref() {
            Some("required") => SignatureRule::Required,
            Some("quarantine") => SignatureRule::Quarantine,
            Some(_) => SignatureRule::Optional,
            None if self.level.is_some_and(|l| l >= 3) => SignatureRule::Required,
            None => SignatureRule::Optional,
        }
    }

    /// How its things send PAVA's reports.
    pub fn syslog_transport(&self) -> SyslogTransport {
        if self.capabilities.iter().any(|c| c == "tls") {
            SyslogTransport::Tls
        } else {
            SyslogTransport::Udp
        }
    }

    /// "`SecProf_2` (level 2)", or "no profile (not assessed)" for the profile a class holds.
    pub fn profile_label(&self) -> String {
        match (&self.profile, self.level) {
            (Some(profile), Some(level)) => format!("`{profile}` (level {level})"),
            _ => "no profile (not assessed)".to_string(),
        }
    }
}

/// A class's risk assessment in one environment: the risks that must be mitigated, the
/// profile they require, and why lower profiles were not enough.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssessmentIr {
    pub environment: String,
    pub required: Option<String>,
    pub risks: Vec<RiskIr>,
    /// (profile, why not)
    pub rejected: Vec<(String, String)>,
    /// Moderate or high risks no profile mitigates.
    pub residual: Vec<String>,
}

/// One moderate or high risk: `risk` is `likelihood` x `impact` (the draft's table).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskIr {
    pub threat: String,
    pub title: String,
    pub likelihood: String,
    pub likelihood_from: String,
    pub impact: String,
    pub impact_from: String,
    pub risk: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentIr {
    pub name: String,
    /// `10.20.2.0/24`, the network address (no host bits).
    pub subnets: Vec<Prefix>,
    pub gateway: Option<String>,
    pub classes: Vec<String>,
    pub level: Option<i64>,
    pub origin: Origin,
}

/// A service or a management gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointIr {
    pub name: String,
    pub kind: String,
    pub title: String,
    pub addresses: Vec<Prefix>,
    pub host: Option<String>,
    pub profile: Option<String>,
    pub level: Option<i64>,
    /// The PAVA reports this service receives (`manufacturer`, `platform`), at `report_url`.
    #[serde(default)]
    pub receives: Vec<String>,
    #[serde(default)]
    pub report_url: Option<String>,
    /// Whether the risk assessment assigned the profile (a service or gateway placed in an
    /// environment that declares none).
    #[serde(default)]
    pub assigned: bool,
    /// Its risk assessments, when it is placed in environments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assessments: Vec<AssessmentIr>,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortIr {
    /// `tcp`, `udp`, `icmp`, `icmpv6` or `any`.
    pub protocol: String,
    /// Inclusive range; `None` is any port.
    pub ports: Option<(u16, u16)>,
}

impl PortIr {
    pub fn describe(&self) -> String {
        match self.ports {
            Some((lo, hi)) if lo == hi => format!("{}/{lo}", self.protocol),
            Some((lo, hi)) => format!("{}/{lo}-{hi}", self.protocol),
            None => self.protocol.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowIr {
    pub from: String,
    pub to: String,
    pub bidirectional: bool,
    /// Empty: any protocol.
    pub ports: Vec<PortIr>,
    /// The operation the flow carries (`lock`, `report`); `send` when the policy names none.
    pub action: String,
    pub via: Option<String>,
    /// When the flow ends (seconds since 1970, UTC): no new connection from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    pub origin: Origin,
}

impl FlowIr {
    pub fn describe(&self) -> String {
        let arrow = if self.bidirectional { "<->" } else { "->" };
        let ports: Vec<String> = self.ports.iter().map(PortIr::describe).collect();
        if ports.is_empty() {
            format!("{} {arrow} {}", self.from, self.to)
        } else {
            format!("{} {arrow} {} : {}", self.from, self.to, ports.join(", "))
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MatcherIr {
    Regex { pattern: String, flags: String },
    Equals { value: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionIr {
    pub action: String,
    pub args: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectIr {
    pub name: String,
    pub title: String,
    pub threat: String,
    pub severity: String,
    /// Syslog field -> matcher; every matcher must match.
    pub matchers: BTreeMap<String, MatcherIr>,
    /// The named capture groups of the regexes, which `group_by` and incidents refer to.
    pub captures: Vec<String>,
    /// Fire when the count over the window reaches this (1 without `when`).
    pub threshold: i64,
    pub window_ms: Option<i64>,
    pub group_by: Vec<String>,
    pub actions: Vec<ActionIr>,
    /// The classes whose things the rule watches; empty: every thing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// The evidence its actions with effect on a thing require (`certificate`, `address`);
    /// none: what the thing's profile requires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    pub origin: Origin,
}

/// The fields are public for reading. Build one with `build_ir` or `PolicyIr::new`: the lookup
/// index is built from the fields on first use, so a value changed afterwards (tests do)
/// should be a clone, which starts with a fresh index.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PolicyIr {
    pub classes: Vec<ClassIr>,
    pub segments: Vec<SegmentIr>,
    pub endpoints: Vec<EndpointIr>,
    pub flows: Vec<FlowIr>,
    pub detections: Vec<DetectIr>,
    /// Every security profile with its level, by level: PAVA's `raise_profile` names one, and
    /// the gateway places a raised thing by its level.
    #[serde(default)]
    pub profiles: Vec<ProfileIr>,
    /// Lookups by name, built on first use (emitters look names up for every flow of every
    /// class: linear searches made builds of large policies quadratic).
    #[serde(skip)]
    index: OnceLock<Index>,
}

#[derive(Debug, Default)]
struct Index {
    classes: HashMap<String, usize>,
    segments: HashMap<String, usize>,
    endpoints: HashMap<String, usize>,
    /// Endpoint -> the flows that name it, in order.
    flows: HashMap<String, Vec<usize>>,
}

/// A security profile's name and level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileIr {
    pub name: String,
    pub level: i64,
}

impl Clone for PolicyIr {
    fn clone(&self) -> Self {
        let mut ir = PolicyIr::new(
            self.classes.clone(),
            self.segments.clone(),
            self.endpoints.clone(),
            self.flows.clone(),
            self.detections.clone(),
        );
        ir.profiles = self.profiles.clone();
        ir
    }
}

impl PartialEq for PolicyIr {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.classes,
            &self.segments,
            &self.endpoints,
            &self.flows,
            &self.detections,
            &self.profiles,
        ) == (
            &other.classes,
            &other.segments,
            &other.endpoints,
            &other.flows,
            &other.detections,
            &other.profiles,
        )
    }
}

impl PolicyIr {
    pub fn new(
        classes: Vec<ClassIr>,
        segments: Vec<SegmentIr>,
        endpoints: Vec<EndpointIr>,
        flows: Vec<FlowIr>,
        detections: Vec<DetectIr>,
    ) -> Self {
        Self {
            classes,
            segments,
            endpoints,
            flows,
            detections,
            profiles: Vec::new(),
            index: OnceLock::new(),
        }
    }

    /// A profile's level, by name.
    pub fn profile_level(&self, name: &str) -> Option<i64> {
        self.profiles
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.level)
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let positions = |names: Vec<&String>| {
                names
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), i))
                    .collect::<HashMap<_, _>>()
            };
            let mut flows: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, flow) in self.flows.iter().enumerate() {
                flows.entry(flow.from.clone()).or_default().push(i);
                if flow.to != flow.from {
                    flows.entry(flow.to.clone()).or_default().push(i);
                }
            }
            Index {
                classes: positions(self.classes.iter().map(|c| &c.name).collect()),
                segments: positions(self.segments.iter().map(|s| &s.name).collect()),
                endpoints: positions(self.endpoints.iter().map(|e| &e.name).collect()),
                flows,
            }
        })
    }

    pub fn class(&self, name: &str) -> Option<&ClassIr> {
        self.classes.get(*self.index().classes.get(name)?)
    }

    pub fn segment(&self, name: &str) -> Option<&SegmentIr> {
        self.segments.get(*self.index().segments.get(name)?)
    }

    pub fn endpoint(&self, name: &str) -> Option<&EndpointIr> {
        self.endpoints.get(*self.index().endpoints.get(name)?)
    }

    /// The flows from or to an endpoint, in order.
    pub fn flows_of(&self, name: &str) -> impl Iterator<Item = &FlowIr> {
        self.index()
            .flows
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.flows.get(i))
    }

    /// The addresses traffic of an endpoint comes from: a class's segment subnets, a
    /// service's or gateway's addresses.
    pub fn addresses_of(&self, name: &str) -> Vec<Prefix> {
        if let Some(class) = self.class(name) {
            return class
                .segment
                .as_deref()
                .and_then(|s| self.segment(s))
                .map(|s| s.subnets.clone())
                .unwrap_or_default();
        }
        self.endpoint(name)
            .map(|e| e.addresses.clone())
            .unwrap_or_default()
    }

    /// The management gateway of a class's segment: where it reports (PAVA) and what manages
    /// it (M7). Never another segment's.
    pub fn gateway_of_class(&self, class: &ClassIr) -> Option<&EndpointIr> {
        class
            .segment
            .as_deref()
            .and_then(|s| self.segment(s))
            .and_then(|s| s.gateway.as_deref())
            .and_then(|g| self.endpoint(g))
    }

    /// The profile level of an endpoint, when it has one.
    pub fn level_of(&self, name: &str) -> Option<i64> {
        match self.class(name) {
            Some(class) => class.level,
            None => self.endpoint(name).and_then(|e| e.level),
        }
    }
}

fn text_of(value: &ValueKind) -> Option<String> {
    match value {
        ValueKind::Str(text) | ValueKind::Name(text) => Some(text.clone()),
        _ => None,
    }
}

fn addresses(value: &ValueKind) -> Vec<Prefix> {
    let one = |v: &ValueKind| match v {
        ValueKind::Ip(ip) => Some(Prefix::host(*ip)),
        ValueKind::Cidr(ip, len) => Some(Prefix {
            address: network(*ip, *len),
            len: *len,
        }),
        _ => None,
    };
    match value {
        ValueKind::List(items) => items.iter().filter_map(|v| one(&v.kind)).collect(),
        other => one(other).into_iter().collect(),
    }
}

pub use crate::prefix::{Prefix, network};

/// Builds the IR of a workspace. Call it on a policy that checks without errors.
pub fn build_ir(db: &dyn Db, workspace: Workspace) -> PolicyIr {
    let mut ir = PolicyIr::default();
    let catalog = catalog(db, workspace);
    for &file in workspace.files(db) {
        let text = file.text(db);
        let index = LineIndex::new(text);
        let origin = |decl: &Decl| Origin {
            file: file.path(db).clone(),
            line: index.line_col(text, decl.range.start).line + 1,
            declaration: decl.label(),
        };
        for decl in parsed(db, file).file.decls() {
            match decl.kind {
                DeclKind::Class => {
                    if let Some(class) = class_ir(db, workspace, decl, origin(decl), catalog) {
                        ir.classes.push(class);
                    }
                }
                DeclKind::Segment => {
                    ir.segments
                        .push(segment_ir(db, workspace, decl, origin(decl)))
                }
                // The standard library's endpoints (`internet`) are in the bundle of a policy
                // that names them (a flow or a test), not in every one.
                DeclKind::Service | DeclKind::Gateway
                    if file.is_stdlib(db)
                        && !decl
                            .name
                            .as_ref()
                            .is_some_and(|n| crate::relations::is_used(db, workspace, &n.text)) => {
                }
                DeclKind::Service | DeclKind::Gateway => {
                    ir.endpoints
                        .push(endpoint_ir(db, workspace, decl, origin(decl)));
                }
                DeclKind::Flow => {
                    if let Some(flow) = flow_ir(decl, origin(decl)) {
                        ir.flows.push(flow);
                    }
                }
                DeclKind::Detect => ir.detections.push(detect_ir(decl, origin(decl))),
                _ => {}
            }
        }
    }
    ir.classes.sort_by(|a, b| a.name.cmp(&b.name));
    ir.segments.sort_by(|a, b| a.name.cmp(&b.name));
    ir.endpoints.sort_by(|a, b| a.name.cmp(&b.name));
    ir.detections.sort_by(|a, b| a.name.cmp(&b.name));
    ir.flows
        .sort_by(|a, b| (&a.from, &a.to, &a.ports).cmp(&(&b.from, &b.to, &b.ports)));
    let mut profiles: Vec<ProfileIr> = catalog
        .profiles
        .iter()
        .map(|(name, info)| ProfileIr {
            name: name.clone(),
            level: info.level,
        })
        .collect();
    profiles.sort_by(|a, b| (a.level, &a.name).cmp(&(b.level, &b.name)));
    // The index is built on first use, after sorting.
    let mut built = PolicyIr::new(
        ir.classes,
        ir.segments,
        ir.endpoints,
        ir.flows,
        ir.detections,
    );
    built.profiles = profiles;
    built
}

fn class_ir(
    db: &dyn Db,
    workspace: Workspace,
    decl: &Decl,
    origin: Origin,
    catalog: &crate::model::Catalog,
) -> Option<ClassIr> {
    let name = decl.name.as_ref()?.text.clone();
    let info = class_info(db, workspace, &name)?;
    let facts = facts_of(db, workspace, &name)?;
    let held = facts.profile.as_ref();
    let table = held.and_then(|held| catalog.profile(&held.name));
    let mitigations = table
        .map(|table| table.mitigations())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|id| {
            let mitigation = catalog.mitigation(id)?;
            let mut params: BTreeMap<String, i64> = mitigation
                .params
                .iter()
                .filter_map(|p| {
                    let value = p.default?;
                    Some((
                        p.name.clone(),
                        if p.ty == "duration" {
                            value / 1000
                        } else {
                            value
                        },
                    ))
                })
                .collect();
            if id == "M11"
                && let Some(refresh) = info.credential_refresh
            {
                params.insert("refresh".to_string(), refresh / 1000);
            }
            let threats = table?
                .table
                .iter()
                .filter(|(_, ms)| ms.iter().any(|m| m == id))
                .map(|(t, _)| t.clone())
                .collect();
            let title = crate::queries::decl_named(db, workspace, id, DeclKind::Mitigation)
                .and_then(|d| d.title.as_ref().map(|t| t.value.clone()))
                .unwrap_or_default();
            Some(MitigationIr {
                id: id.to_string(),
                title,
                threats,
                params,
            })
        })
        .collect();
    let property_text = |key: &str| decl.property(key).and_then(|p| text_of(&p.value.kind));
    let mud = decl.mud_patterns().map(|url| url.value.clone()).collect();
    Some(ClassIr {
        title: decl
            .title
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default(),
        function: info.function.clone().unwrap_or_default(),
        environments: info.environments.clone(),
        profile: held.map(|held| held.name.clone()),
        level: held.map(|held| held.level),
        assigned: held.is_some_and(|held| held.assigned),
        capabilities: info.capabilities.clone(),
        data: info.data.clone(),
        mitigations,
        segment: facts.segments.first().cloned(),
        mud,
        manufacturer: property_text("manufacturer"),
        model: property_text("model"),
        assessments: crate::risk::assessments_of(db, workspace, &name)
            .into_iter()
            .map(assessment_ir)
            .collect(),
        quarantine: info.quarantine,
        mud_signature: property_text("mud_signature"),
        origin,
        name,
    })
}

fn assessment_ir(assessment: &crate::risk::Assessment) -> AssessmentIr {
    AssessmentIr {
        environment: assessment.environment.clone(),
        required: assessment.required.as_ref().map(|(p, _)| p.clone()),
        risks: assessment
            .risky()
            .into_iter()
            .map(|row| RiskIr {
                threat: row.threat.clone(),
                title: row.title.clone(),
                likelihood: row.likelihood.as_str().to_string(),
                likelihood_from: row.likelihood_from.clone(),
                impact: row.impact.as_str().to_string(),
                impact_from: row.impact_from.clone(),
                risk: row.risk.as_str().to_string(),
            })
            .collect(),
        rejected: assessment
            .rejected
            .iter()
            .map(|r| (r.profile.clone(), r.reason.clone()))
            .collect(),
        residual: assessment.residual.clone(),
    }
}

fn segment_ir(db: &dyn Db, workspace: Workspace, decl: &Decl, origin: Origin) -> SegmentIr {
    let classes: Vec<String> = decl
        .property("classes")
        .map(|p| names_in(&p.value.kind))
        .unwrap_or_default();
    let level = classes
        .iter()
        .filter_map(|c| {
            facts_of(db, workspace, c)?
                .profile
                .as_ref()
                .map(|p| p.level)
        })
        .max();
    SegmentIr {
        name: decl.label(),
        subnets: decl
            .property("subnet")
            .map(|p| addresses(&p.value.kind))
            .unwrap_or_default(),
        gateway: decl
            .property("gateway")
            .and_then(|p| text_of(&p.value.kind)),
        classes,
        level,
        origin,
    }
}

fn endpoint_ir(db: &dyn Db, workspace: Workspace, decl: &Decl, origin: Origin) -> EndpointIr {
    let name = decl.label();
    let held = facts_of(db, workspace, &name).and_then(|f| f.profile.clone());
    EndpointIr {
        kind: decl.kind.keyword().to_string(),
        title: decl
            .title
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default(),
        addresses: decl
            .property("address")
            .map(|p| addresses(&p.value.kind))
            .unwrap_or_default(),
        host: decl.property("host").and_then(|p| text_of(&p.value.kind)),
        profile: held.as_ref().map(|p| p.name.clone()),
        level: held.as_ref().map(|p| p.level),
        assigned: held.is_some_and(|p| p.assigned),
        assessments: crate::risk::assessments_of(db, workspace, &name)
            .into_iter()
            .map(assessment_ir)
            .collect(),
        receives: decl
            .property("receives")
            .map(|p| names_in(&p.value.kind))
            .unwrap_or_default(),
        report_url: decl
            .property("report_url")
            .and_then(|p| text_of(&p.value.kind)),
        origin,
        name,
    }
}

fn flow_ir(decl: &Decl, origin: Origin) -> Option<FlowIr> {
    let flow = decl.flow.as_ref()?;
    let mut ports: Vec<PortIr> = flow
        .ports
        .iter()
        .map(|p| PortIr {
            protocol: p.protocol.text.clone(),
            ports: p.ports,
        })
        .collect();
    ports.sort();
    Some(FlowIr {
        from: flow.from.text.clone(),
        to: flow.to.text.clone(),
        bidirectional: flow.bidirectional,
        ports,
        action: decl
            .property("action")
            .and_then(|p| text_of(&p.value.kind))
            .unwrap_or_else(|| "send".to_string()),
        via: decl.property("via").and_then(|p| text_of(&p.value.kind)),
        until: match decl.property("until").map(|p| &p.value.kind) {
            Some(ValueKind::Date(until)) => Some(until.unix),
            _ => None,
        },
        origin,
    })
}

fn detect_ir(decl: &Decl, origin: Origin) -> DetectIr {
    let mut rule = DetectIr {
        name: decl.label(),
        title: decl
            .title
            .as_ref()
            .map(|t| t.value.clone())
            .unwrap_or_default(),
        threat: decl
            .property("threat")
            .and_then(|p| text_of(&p.value.kind))
            .unwrap_or_default(),
        severity: decl
            .property("severity")
            .and_then(|p| text_of(&p.value.kind))
            .unwrap_or_default(),
        matchers: BTreeMap::new(),
        captures: Vec::new(),
        threshold: 1,
        window_ms: None,
        group_by: Vec::new(),
        actions: Vec::new(),
        classes: decl
            .property("classes")
            .map(|p| crate::model::names_in(&p.value.kind))
            .unwrap_or_default(),
        evidence: decl.property("evidence").and_then(|p| match &p.value.kind {
            ValueKind::Name(word) => Some(word.clone()),
            _ => None,
        }),
        origin,
    };
    for stmt in &decl.body {
        match &stmt.kind {
            StmtKind::Match {
                pattern: MatchPattern::Fields(fields),
                ..
            } => {
                for field in fields {
                    let matcher = match &field.value.kind {
                        ValueKind::Regex { pattern, flags, .. } => {
                            for name in crate::detect::capture_names(pattern, flags) {
                                if !rule.captures.contains(&name) {
                                    rule.captures.push(name);
                                }
                            }
                            MatcherIr::Regex {
                                pattern: pattern.clone(),
                                flags: flags.clone(),
                            }
                        }
                        ValueKind::Str(value) => MatcherIr::Equals {
                            value: value.clone(),
                        },
                        ValueKind::Int(value) => MatcherIr::Equals {
                            value: value.to_string(),
                        },
                        _ => continue,
                    };
                    rule.matchers.insert(field.key.text.clone(), matcher);
                }
            }
            StmtKind::When {
                threshold,
                window,
                group_by,
                ..
            } => {
                if let ValueKind::Int(n) = threshold.kind {
                    rule.threshold = n;
                }
                if let Some(ValueKind::Duration(ms)) = window.as_ref().map(|w| &w.kind) {
                    rule.window_ms = Some(*ms);
                }
                rule.group_by = group_by.iter().map(|g| g.text.clone()).collect();
            }
            StmtKind::Then { actions } => {
                rule.actions = actions
                    .iter()
                    .map(|a| ActionIr {
                        action: a.name.text.clone(),
                        args: a.args.iter().filter_map(|v| text_of(&v.kind)).collect(),
                    })
                    .collect();
            }
            _ => {}
        }
    }
    rule
}
