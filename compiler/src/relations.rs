//! Relations that span files: which segments hold a class, where flows go, which names are
//! used. Each is gathered per file (a query that salsa backdates when the file's part is
//! unchanged), merged for the workspace, and read through a per-name query, so that a check
//! depends on the answer for its own name only.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ward_lang::ast::{DeclKind, ExpectSubject, MatchPattern, Stmt, StmtKind, ValueKind};
use ward_lang::table;

use crate::db::{Db, SourceFile, Workspace};
use crate::model::names_in;
use crate::prefix::Prefix;
use crate::queries::{Name, parsed};

/// (class, segment) for every class a segment of this file lists.
#[salsa::tracked(returns(ref))]
pub fn file_segment_members(db: &dyn Db, file: SourceFile) -> Vec<(String, String)> {
    let mut members = Vec::new();
    for decl in parsed(db, file).file.decls() {
        if decl.kind != DeclKind::Segment {
            continue;
        }
        let (Some(segment), Some(classes)) = (&decl.name, decl.property("classes")) else {
            continue;
        };
        for class in names_in(&classes.value.kind) {
            members.push((class, segment.text.clone()));
        }
    }
    members
}

#[salsa::tracked(returns(ref))]
pub fn segment_membership(db: &dyn Db, workspace: Workspace) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::default();
    for &file in workspace.files(db) {
        for (class, segment) in file_segment_members(db, file) {
            let segments = map.entry(class.clone()).or_default();
            if !segments.contains(segment) {
                segments.push(segment.clone());
            }
        }
    }
    map
}

/// The segments that list a class, in workspace order.
#[salsa::tracked(returns(ref))]
pub fn segments_of_class<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    class: Name<'db>,
) -> Vec<String> {
    segment_membership(db, workspace)
        .get(class.text(db))
        .cloned()
        .unwrap_or_default()
}

pub fn segments_of<'db>(db: &'db dyn Db, workspace: Workspace, class: &str) -> &'db [String] {
    segments_of_class(db, workspace, Name::new(db, class.to_string()))
}

/// (from, to, bidirectional) of every flow declared in this file.
#[salsa::tracked(returns(ref))]
pub fn file_flow_edges(db: &dyn Db, file: SourceFile) -> Vec<(String, String, bool)> {
    parsed(db, file)
        .file
        .decls()
        .filter_map(|decl| decl.flow.as_ref())
        .map(|flow| {
            (
                flow.from.text.clone(),
                flow.to.text.clone(),
                flow.bidirectional,
            )
        })
        .collect()
}

/// Where each endpoint sends traffic: a bidirectional flow counts for both ends.
#[salsa::tracked(returns(ref))]
pub fn flow_destinations(db: &dyn Db, workspace: Workspace) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::default();
    let mut add = |from: &str, to: &str| {
        let destinations = map.entry(from.to_string()).or_default();
        if !destinations.iter().any(|d| d == to) {
            destinations.push(to.to_string());
        }
    };
    for &file in workspace.files(db) {
        for (from, to, bidirectional) in file_flow_edges(db, file) {
            add(from, to);
            if *bidirectional {
                add(to, from);
            }
        }
    }
    map
}

/// Who sends traffic to each endpoint: the reverse of [`flow_destinations`].
#[salsa::tracked(returns(ref))]
pub fn flow_sources(db: &dyn Db, workspace: Workspace) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::default();
    for (from, destinations) in flow_destinations(db, workspace) {
        for to in destinations {
            let sources = map.entry(to.clone()).or_default();
            if !sources.contains(from) {
                sources.push(from.clone());
            }
        }
    }
    for sources in map.values_mut() {
        sources.sort_unstable();
    }
    map
}

/// The endpoints that send to `endpoint`, sorted: one answer per name, so that what reads it
/// (the risk assessment's required access) re-runs only when that answer changes.
#[salsa::tracked(returns(ref))]
pub fn sources_of_endpoint<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    endpoint: Name<'db>,
) -> Vec<String> {
    flow_sources(db, workspace)
        .get(endpoint.text(db))
        .cloned()
        .unwrap_or_default()
}

pub fn sources_of<'db>(db: &'db dyn Db, workspace: Workspace, endpoint: &str) -> &'db [String] {
    sources_of_endpoint(db, workspace, Name::new(db, endpoint.to_string()))
}

#[salsa::tracked(returns(ref))]
pub fn destinations_of_endpoint<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    endpoint: Name<'db>,
) -> Vec<String> {
    flow_destinations(db, workspace)
        .get(endpoint.text(db))
        .cloned()
        .unwrap_or_default()
}

pub fn destinations_of<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    endpoint: &str,
) -> &'db [String] {
    destinations_of_endpoint(db, workspace, Name::new(db, endpoint.to_string()))
}

/// The canonical text of every flow of this file (`a -> b : tcp/443`), in order.
#[salsa::tracked(returns(ref))]
pub fn file_flow_keys(db: &dyn Db, file: SourceFile) -> Vec<String> {
    parsed(db, file).file.decls().filter_map(flow_key).collect()
}

/// What makes a flow the same as another: its ends, ports and operation. Two operations on
/// one port (`ntcip_get` and `ntcip_set` on udp/161) are two flows, not one declared twice.
pub fn flow_key(decl: &ward_lang::ast::Decl) -> Option<String> {
    let flow = decl.flow.as_ref()?;
    Some(match decl.property("action").map(|p| &p.value.kind) {
        Some(ValueKind::Name(action)) => format!("{flow} {{ action = {action} }}"),
        _ => flow.to_string(),
    })
}

#[salsa::tracked(returns(ref))]
pub fn flow_first_files(db: &dyn Db, workspace: Workspace) -> HashMap<String, SourceFile> {
    let mut map = HashMap::default();
    for &file in workspace.files(db) {
        for key in file_flow_keys(db, file) {
            map.entry(key.clone()).or_insert(file);
        }
    }
    map
}

/// For each flow of a file, in order, the earlier file that declares the same flow, if any.
/// One query per file rather than per flow: an edit that changes the flows of one file makes
/// every other file re-run this (cheap, map lookups), not thousands of tiny queries, and the
/// answer, unchanged, is backdated.
#[salsa::tracked(returns(ref))]
pub fn flows_declared_earlier(
    db: &dyn Db,
    workspace: Workspace,
    file: SourceFile,
) -> Vec<Option<SourceFile>> {
    let first = flow_first_files(db, workspace);
    file_flow_keys(db, file)
        .iter()
        .map(|key| first.get(key).copied().filter(|f| *f != file))
        .collect()
}

/// Every name a file uses (not the names it declares), sorted and without repeats.
#[salsa::tracked(returns(ref))]
pub fn file_references(db: &dyn Db, file: SourceFile) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    for decl in parsed(db, file).file.decls() {
        if let Some(flow) = &decl.flow {
            used.push(flow.from.text.clone());
            used.push(flow.to.text.clone());
        }
        for stmt in &decl.body {
            if let StmtKind::Table(_) = &stmt.kind {
                // A table uses the names of its rows, put in for its parameters.
                let (instances, _) = table::instances(std::slice::from_ref(stmt));
                for instance in &instances {
                    stmt_references(decl.kind, &instance.stmt, &mut used);
                }
            } else {
                stmt_references(decl.kind, stmt, &mut used);
            }
        }
    }
    // The words of text that did not parse may be the only mention of a name: an unused
    // warning there would only echo the syntax error.
    let text = file.text(db);
    for item in &parsed(db, file).file.items {
        if let ward_lang::ast::Item::Error(error) = item
            && let Some(broken) = text.get(error.range.as_usize())
        {
            used.extend(
                broken
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|word| word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
                    .map(str::to_string),
            );
        }
    }
    used.sort_unstable();
    used.dedup();
    used
}

/// The names one statement uses.
fn stmt_references(kind: DeclKind, stmt: &Stmt, used: &mut Vec<String>) {
    let add_value = |value: &ValueKind, used: &mut Vec<String>| used.extend(names_in(value));
    match &stmt.kind {
        StmtKind::Property(property) => {
            if let Some(subject) = &property.subject {
                used.push(subject.text.clone());
            }
            // A word of a fixed vocabulary (`management = partial`) names no declaration,
            // even when one happens to be called the same.
            let words_only = crate::schema::spec(kind)
                .property(&property.key.text)
                .is_some_and(|spec| !spec.ty.refers());
            if !words_only {
                add_value(&property.value.kind, used);
            }
        }
        StmtKind::Mitigate {
            threats,
            mitigations,
        } => {
            used.extend(threats.iter().chain(mitigations).map(|n| n.text.clone()));
        }
        StmtKind::Bound { path, .. } => {
            used.extend(path.first().map(|p| p.text.clone()));
        }
        StmtKind::Accept { threats, .. } => {
            used.extend(threats.iter().map(|n| n.text.clone()));
        }
        StmtKind::Then { actions } => {
            for action in actions {
                for arg in &action.args {
                    add_value(&arg.kind, used);
                }
            }
        }
        StmtKind::FlowAssert { flow, .. } => {
            used.push(flow.from.text.clone());
            used.push(flow.to.text.clone());
        }
        StmtKind::Expect { subject, value, .. } => {
            match subject {
                ExpectSubject::Path(path) => {
                    used.extend(path.first().map(|p| p.text.clone()));
                }
                ExpectSubject::Call { args, .. } => {
                    for arg in args {
                        add_value(&arg.kind, used);
                    }
                }
            }
            add_value(&value.kind, used);
        }
        StmtKind::ExpectDetect { rule, .. } => used.push(rule.text.clone()),
        StmtKind::Match {
            pattern: MatchPattern::Fields(_) | MatchPattern::Text(_),
            ..
        }
        | StmtKind::Param { .. }
        | StmtKind::When { .. }
        | StmtKind::Table(_) => {}
    }
}

#[salsa::tracked(returns(ref))]
pub fn referenced_names(db: &dyn Db, workspace: Workspace) -> HashSet<String> {
    workspace
        .files(db)
        .iter()
        .flat_map(|&file| file_references(db, file).iter().cloned())
        .collect()
}

#[salsa::tracked(returns(copy))]
pub fn name_is_used<'db>(db: &'db dyn Db, workspace: Workspace, name: Name<'db>) -> bool {
    referenced_names(db, workspace).contains(name.text(db))
}

pub fn is_used(db: &dyn Db, workspace: Workspace, name: &str) -> bool {
    name_is_used(db, workspace, Name::new(db, name.to_string()))
}

/// (class, pattern) for every `match mud` of a class of this file.
#[salsa::tracked(returns(ref))]
pub fn file_mud_patterns(db: &dyn Db, file: SourceFile) -> Vec<(String, String)> {
    let mut patterns = Vec::new();
    for decl in parsed(db, file).file.decls() {
        let (DeclKind::Class, Some(class)) = (decl.kind, &decl.name) else {
            continue;
        };
        for url in decl.mud_patterns() {
            patterns.push((class.text.clone(), url.value.clone()));
        }
    }
    patterns
}

/// Every class's `match mud` patterns, in workspace order.
#[salsa::tracked(returns(ref))]
pub fn mud_patterns(db: &dyn Db, workspace: Workspace) -> Vec<(String, String)> {
    workspace
        .files(db)
        .iter()
        .flat_map(|&file| file_mud_patterns(db, file).iter().cloned())
        .collect()
}

/// Two classes' `match mud` patterns of the same specificity that can match one URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MudOverlap {
    pub pattern: String,
    pub other_class: String,
    pub other_pattern: String,
    /// A URL both match.
    pub example: String,
}

/// For each class, its patterns that another class's pattern matches as specifically on some
/// URL (the quarantine pattern `*` aside). Patterns are bucketed by specificity and by their
/// literal prefix (the text before the first `*`): two patterns can only meet when one prefix
/// starts the other, so the comparison is near-linear on real policies, where each class's
/// pattern names its own path.
#[salsa::tracked(returns(ref))]
pub fn mud_overlaps(db: &dyn Db, workspace: Workspace) -> HashMap<String, Vec<MudOverlap>> {
    use crate::mud_pattern::{QUARANTINE_PATTERN, common_match, specificity};
    let patterns: Vec<&(String, String)> = mud_patterns(db, workspace)
        .iter()
        .filter(|(_, p)| p != QUARANTINE_PATTERN)
        .collect();
    let prefix = |p: &str| p.split('*').next().unwrap_or_default().to_string();
    // (specificity, prefix, index), sorted: a prefix's extensions are contiguous after it.
    let mut sorted: Vec<(usize, String, usize)> = patterns
        .iter()
        .enumerate()
        .map(|(i, (_, p))| (specificity(p), prefix(p), i))
        .collect();
    sorted.sort();
    let mut by_prefix: HashMap<(usize, &str), Vec<usize>> = HashMap::default();
    for (spec, pre, i) in &sorted {
        by_prefix.entry((*spec, pre.as_str())).or_default().push(*i);
    }
    let mut out: HashMap<String, Vec<MudOverlap>> = HashMap::default();
    for (spec, pre, i) in &sorted {
        let (class, mine) = patterns[*i];
        let start = sorted.partition_point(|(s, p, _)| (*s, p.as_str()) < (*spec, pre.as_str()));
        let extending = sorted[start..]
            .iter()
            .take_while(|(s, p, _)| s == spec && p.starts_with(pre.as_str()))
            .map(|(_, _, j)| *j);
        let shorter = (0..pre.len())
            .filter(|&k| pre.is_char_boundary(k))
            .filter_map(|k| by_prefix.get(&(*spec, &pre[..k])))
            .flatten()
            .copied();
        for j in extending.chain(shorter) {
            let (other_class, theirs) = patterns[j];
            if other_class == class {
                continue;
            }
            if let Some(example) = common_match(mine, theirs) {
                out.entry(class.clone()).or_default().push(MudOverlap {
                    pattern: mine.clone(),
                    other_class: other_class.clone(),
                    other_pattern: theirs.clone(),
                    example,
                });
            }
        }
    }
    out
}

/// (segment, subnet) for every segment of this file with a subnet, the address masked to its
/// prefix.
#[salsa::tracked(returns(ref))]
pub fn file_segment_subnets(db: &dyn Db, file: SourceFile) -> Vec<(String, Prefix)> {
    let mut subnets = Vec::new();
    for decl in parsed(db, file).file.decls() {
        let (DeclKind::Segment, Some(name)) = (decl.kind, &decl.name) else {
            continue;
        };
        if let Some(ValueKind::Cidr(ip, len)) = decl.property("subnet").map(|p| &p.value.kind) {
            let network = crate::prefix::network(*ip, *len);
            subnets.push((name.text.clone(), Prefix::new(network, *len)));
        }
    }
    subnets
}

/// Every segment's subnet in the workspace, in order.
#[salsa::tracked(returns(ref))]
pub fn segment_subnets(db: &dyn Db, workspace: Workspace) -> Vec<(String, Prefix)> {
    workspace
        .files(db)
        .iter()
        .flat_map(|&file| file_segment_subnets(db, file).iter().cloned())
        .collect()
}

/// For each segment, the other segments whose subnets overlap its own (one holds the other:
/// prefixes either nest or are apart), with their subnets. Sorted by family, address and
/// length, a subnet can only be inside those still open before it: a sweep with a stack,
/// O(n log n) over every segment of the workspace.
#[salsa::tracked(returns(ref))]
pub fn subnet_overlaps(
    db: &dyn Db,
    workspace: Workspace,
) -> HashMap<String, Vec<(String, String)>> {
    let mut all: Vec<(bool, u128, u128, u8, &String)> = Vec::new();
    for &file in workspace.files(db) {
        for (segment, Prefix { address, len }) in file_segment_subnets(db, file) {
            let (v6, start, bits) = match address {
                std::net::IpAddr::V4(v4) => (false, u128::from(u32::from(*v4)), 32u32),
                std::net::IpAddr::V6(v6) => (true, u128::from(*v6), 128u32),
            };
            let host_bits = bits.saturating_sub(u32::from(*len));
            let end = if host_bits >= 128 {
                u128::MAX
            } else {
                start | ((1u128 << host_bits) - 1)
            };
            all.push((v6, start, end, *len, segment));
        }
    }
    all.sort_by_key(|s| (s.0, s.1, s.3));
    let show = |(v6, start, _, len, _): &(bool, u128, u128, u8, &String)| {
        let ip: std::net::IpAddr = if *v6 {
            std::net::Ipv6Addr::from(*start).into()
        } else {
            std::net::Ipv4Addr::from(*start as u32).into()
        };
        format!("{ip}/{len}")
    };
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::default();
    let mut open: Vec<usize> = Vec::new();
    for (i, subnet) in all.iter().enumerate() {
        open.retain(|&j| all[j].0 == subnet.0 && all[j].2 >= subnet.1);
        for &j in &open {
            let outer = &all[j];
            if outer.4 != subnet.4 {
                out.entry(subnet.4.clone())
                    .or_default()
                    .push((outer.4.clone(), show(outer)));
                out.entry(outer.4.clone())
                    .or_default()
                    .push((subnet.4.clone(), show(subnet)));
            }
        }
        open.push(i);
    }
    out
}

/// The operations (`action = ...`) of the flows of this file.
#[salsa::tracked(returns(ref))]
pub fn file_flow_operations(db: &dyn Db, file: SourceFile) -> Vec<String> {
    parsed(db, file)
        .file
        .decls()
        .filter(|decl| decl.flow.is_some())
        .filter_map(|decl| match &decl.property("action")?.value.kind {
            ValueKind::Name(action) => Some(action.clone()),
            _ => None,
        })
        .collect()
}

/// Every operation some flow of the workspace declares.
#[salsa::tracked(returns(ref))]
pub fn flow_operations(db: &dyn Db, workspace: Workspace) -> HashSet<String> {
    workspace
        .files(db)
        .iter()
        .flat_map(|&file| file_flow_operations(db, file).iter().cloned())
        .collect()
}

/// Whether a detection rule's actions include `quarantine`.
pub fn quarantines(decl: &ward_lang::ast::Decl) -> bool {
    decl.body.iter().any(|stmt| match &stmt.kind {
        StmtKind::Then { actions } => actions.iter().any(|a| a.name.text == "quarantine"),
        _ => false,
    })
}

/// The quarantine places a file declares, its detection rules that quarantine, and its first
/// class: syntax only, so that the workspace's answers below re-run per edited file.
#[salsa::tracked(returns(ref))]
pub fn file_quarantine(
    db: &dyn Db,
    file: SourceFile,
) -> (Vec<String>, Vec<String>, Option<String>) {
    let mut places = Vec::new();
    let mut rules = Vec::new();
    let mut first_class = None;
    for decl in parsed(db, file).file.decls() {
        let Some(name) = &decl.name else { continue };
        match decl.kind {
            DeclKind::Class => {
                first_class.get_or_insert_with(|| name.text.clone());
                if crate::model::is_quarantine_decl(decl) {
                    places.push(name.text.clone());
                }
            }
            DeclKind::Detect if quarantines(decl) => rules.push(name.text.clone()),
            _ => {}
        }
    }
    (places, rules, first_class)
}

/// The classes that are the quarantine place (there should be one at most), sorted.
#[salsa::tracked(returns(ref))]
pub fn quarantine_places(db: &dyn Db, workspace: Workspace) -> Vec<String> {
    let mut places: Vec<String> = workspace
        .files(db)
        .iter()
        .flat_map(|&file| file_quarantine(db, file).0.iter().cloned())
        .collect();
    places.sort_unstable();
    places.dedup();
    places
}

/// The standard library's detection rules that quarantine, and the policy's first class (in
/// file order): where `ward check` says that those rules have no place to move things to.
#[salsa::tracked(returns(ref))]
pub fn stdlib_quarantine_rules(db: &dyn Db, workspace: Workspace) -> (Vec<String>, Option<String>) {
    let mut rules = Vec::new();
    let mut first_class = None;
    for &file in workspace.files(db) {
        let (_, file_rules, file_first) = file_quarantine(db, file);
        if file.is_stdlib(db) {
            rules.extend(file_rules.iter().cloned());
        } else if first_class.is_none() {
            first_class = file_first.clone();
        }
    }
    (rules, first_class)
}
