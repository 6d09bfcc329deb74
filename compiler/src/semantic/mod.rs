//! The semantic checks of a declaration: what a security reviewer would catch. Each reads
//! the range-free model of the declarations it involves (model.rs, risk.rs, relations.rs).

use std::collections::HashSet;

use ward_lang::TextRange;
use ward_lang::ast::{CmpOp, Decl, DeclKind, FlowSpec, StmtKind};

use crate::codes;
use crate::db::SourceFile;
use crate::diagnostic::Diagnostic;
use crate::facts::{HeldProfile, facts_of};
use crate::model::{class_info, mitigation_info, profile_info};
use crate::queries::definition_of;
use crate::relations::{destinations_of, flows_declared_earlier, is_used, segments_of};
use crate::resolve::Resolver;
use crate::risk::{Assessment, assessments_of, lacking_capabilities, profile_of_class};

mod class;
mod endpoint;
mod flow;
mod profile;
mod unused;
mod waiver;

use class::{assess, class};
use endpoint::{assessed_endpoint, segment, service};
use flow::flow;
use profile::profile;
use unused::unused;

/// What the checks of one file carry from declaration to declaration.
#[derive(Default)]
pub struct FileState {
    /// The flows seen so far in this file, for duplicates within it.
    seen_flows: HashSet<String>,
    /// How many flows of the file were checked: the position in `flows_declared_earlier`.
    flow_index: usize,
}

/// Runs the checks that apply to the declaration's kind.
pub fn check_semantics(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl, state: &mut FileState) {
    if decl.broken {
        // Judged on part of what was written: E0001 says what is wrong.
        if decl.kind == DeclKind::Flow {
            state.flow_index += 1;
        }
        return;
    }
    match decl.kind {
        DeclKind::Class => class(r, file, decl),
        DeclKind::Service => service(r, file, decl),
        DeclKind::Gateway => assessed_endpoint(r, file, decl),
        DeclKind::Segment => segment(r, file, decl),
        DeclKind::Flow => flow(r, file, decl, state),
        DeclKind::Profile => profile(r, file, decl),
        DeclKind::Detect => crate::detect::check_detect(r, file, decl),
        DeclKind::Waiver => waiver::waiver(r, file, decl),
        _ => {}
    }
    unused(r, file, decl);
}

pub(super) fn name_range(decl: &Decl) -> TextRange {
    decl.name.as_ref().map_or(decl.range, |n| n.range)
}

/// The management gateways of these segments (`segment ... { gateway = ... }`).
pub(super) fn segment_gateways(r: &Resolver<'_>, segments: &[String]) -> Vec<String> {
    segments
        .iter()
        .filter_map(|segment| {
            let decl = crate::queries::decl_named(r.db, r.workspace, segment, DeclKind::Segment)?;
            match &decl.property("gateway")?.value.kind {
                ward_lang::ast::ValueKind::Name(g) => Some(g.clone()),
                _ => None,
            }
        })
        .collect()
}

pub(super) fn is_unidirectional(r: &Resolver<'_>, profile: &str) -> bool {
    profile_info(r.db, r.workspace, profile).is_some_and(|p| p.communication == "unidirectional")
}

pub(super) fn holds(value: i64, op: CmpOp, bound: i64) -> bool {
    match op {
        CmpOp::Lt => value < bound,
        CmpOp::Le => value <= bound,
        CmpOp::Gt => value > bound,
        CmpOp::Ge => value >= bound,
        CmpOp::Eq => value == bound,
        CmpOp::Ne => value != bound,
    }
}

/// A duration in milliseconds as users write it: `30d`, `12h`, `90s`, `250ms`.
pub fn show_duration(ms: i64) -> String {
    const UNITS: [(i64, &str); 5] = [
        (604_800_000, "w"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    for (unit, suffix) in UNITS {
        if ms != 0 && ms % unit == 0 {
            // Weeks read worse than days below a year.
            if suffix == "w" && ms / unit < 52 {
                continue;
            }
            return format!("{}{suffix}", ms / unit);
        }
    }
    format!("{ms}ms")
}

pub(super) fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
