//! Waivers: risks accepted and findings waived for a class, each with a reason, an owner and
//! an expiry date.
//!
//! ```ward
//! waiver guest_tv_consumer "Guest TVs are consumer devices" {
//!   class = guest_tv
//!   waives = [E0404]
//!   accepts = [T4]
//!   reason = "no TV on the market does client certificates; they sit alone on their segment"
//!   owner = "ciso@hospital.example"
//!   expires = 2027-06-30
//! }
//! ```
//!
//! The model of each waiver (range-free, per file, merged), those in force at the workspace's
//! `now`, and the pass over a check's findings that marks the ones a waiver waives. A waived
//! finding is kept, marked: it fails nothing, people do not see it, SARIF reports it as
//! suppressed with the waiver's reason.

use rustc_hash::FxHashSet as HashSet;

use ward_lang::Timestamp;
use ward_lang::ast::{Decl, DeclKind, ValueKind};

use crate::codes::{self, Code};
use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostic::{Diagnostic, Severity, Waived};
use crate::model::names_in;
use crate::queries::{Name, decl_named, definition_of, parsed};

/// The errors a waiver may waive: those that say a class cannot meet a profile. ward never
/// builds a policy whose flows, segments or names are wrong, whoever signs for it.
pub const WAIVABLE_ERRORS: [&str; 3] = ["E0401", "E0402", "E0404"];

/// How many days before its expiry a waiver is warned about (W0014).
pub const EXPIRY_NOTICE_DAYS: i64 = 30;

/// Whether a waiver may waive findings of this code.
pub fn waivable(code: &Code) -> bool {
    code.severity == Severity::Warning || WAIVABLE_ERRORS.contains(&code.code)
}

/// A waiver, as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaiverInfo {
    pub name: String,
    pub class: String,
    /// Threats whose residual risk it accepts.
    pub accepts: Vec<String>,
    /// Codes of findings it waives on the class (its declaration and its flows).
    pub waives: Vec<String>,
    pub reason: String,
    pub owner: String,
    pub expires: Timestamp,
    pub ticket: Option<String>,
}

impl WaiverInfo {
    /// Whether it holds at `now` (seconds since 1970): until its expiry begins.
    pub fn in_force(&self, now: i64) -> bool {
        now < self.expires.unix
    }

    /// What a finding it waives carries.
    pub fn waived(&self) -> Waived {
        Waived {
            waiver: self.name.clone(),
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: Some(self.expires),
            ticket: self.ticket.clone(),
        }
    }

    fn from_decl(decl: &Decl) -> Option<WaiverInfo> {
        let text = |key: &str| match decl.property(key).map(|p| &p.value.kind) {
            Some(ValueKind::Str(text)) => Some(text.clone()),
            _ => None,
        };
        Some(WaiverInfo {
            name: decl.name.as_ref()?.text.clone(),
            class: match &decl.property("class")?.value.kind {
                ValueKind::Name(class) => class.clone(),
                _ => return None,
            },
            accepts: decl
                .property("accepts")
                .map(|p| names_in(&p.value.kind))
                .unwrap_or_default(),
            waives: decl
                .property("waives")
                .map(|p| names_in(&p.value.kind))
                .unwrap_or_default(),
            reason: text("reason").unwrap_or_default(),
            owner: text("owner").unwrap_or_default(),
            // A waiver without a valid expiry date is never in force (E0203 or E0204 says
            // why): nobody signs for a risk forever.
            expires: match decl.property("expires")?.value.kind {
                ValueKind::Date(expires) => expires,
                _ => return None,
            },
            ticket: text("ticket"),
        })
    }
}

/// The waivers declared in a file, in order.
#[salsa::tracked(returns(ref))]
pub fn file_waivers(db: &dyn Db, file: SourceFile) -> Vec<WaiverInfo> {
    parsed(db, file)
        .file
        .decls()
        .filter(|decl| decl.kind == DeclKind::Waiver && !decl.broken)
        .filter_map(WaiverInfo::from_decl)
        .collect()
}

/// The waivers of the workspace in force at its `now`, in workspace order. The one query of
/// waivers that reads the clock: when moving it changes nothing, salsa backdates the answer
/// and no check re-runs.
#[salsa::tracked(returns(ref))]
pub fn waivers_in_force(db: &dyn Db, workspace: Workspace) -> Vec<WaiverInfo> {
    let now = workspace.now(db);
    workspace
        .files(db)
        .iter()
        .flat_map(|&file| file_waivers(db, file))
        .filter(|waiver| waiver.in_force(now))
        .cloned()
        .collect()
}

#[salsa::tracked(returns(ref))]
pub fn class_waivers<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    class: Name<'db>,
) -> Vec<WaiverInfo> {
    let class = class.text(db);
    waivers_in_force(db, workspace)
        .iter()
        .filter(|waiver| &waiver.class == class)
        .cloned()
        .collect()
}

/// The waivers of a class in force.
pub fn waivers_of<'db>(db: &'db dyn Db, workspace: Workspace, class: &str) -> &'db [WaiverInfo] {
    class_waivers(db, workspace, Name::new(db, class.to_string()))
}

/// The waiver in force that accepts `threat` for `class`, if any.
pub fn accepting<'db>(
    db: &'db dyn Db,
    workspace: Workspace,
    class: &str,
    threat: &str,
) -> Option<&'db WaiverInfo> {
    waivers_of(db, workspace, class)
        .iter()
        .find(|waiver| waiver.accepts.iter().any(|t| t == threat))
}

/// Whether a waiver in force waives `code` for `class`.
pub fn waives(db: &dyn Db, workspace: Workspace, class: &str, code: &str) -> bool {
    waivers_of(db, workspace, class)
        .iter()
        .any(|waiver| waiver.waives.iter().any(|c| c == code))
}

/// The classes a finding at `range` of `file` is about: the class whose declaration holds it,
/// the two ends of the flow that does, or the class a segment's list names there.
fn subjects(db: &dyn Db, file: SourceFile, range: ward_lang::TextRange) -> Vec<String> {
    let Some(decl) = parsed(db, file)
        .file
        .decls()
        .find(|decl| decl.range.start <= range.start && range.start < decl.range.end)
    else {
        return Vec::new();
    };
    match (decl.kind, &decl.name, &decl.flow) {
        (DeclKind::Class, Some(name), _) => vec![name.text.clone()],
        (DeclKind::Flow, _, Some(flow)) => vec![flow.from.text.clone(), flow.to.text.clone()],
        // A segment's finding about one of its classes sits on that class's name in the list.
        (DeclKind::Segment, _, _) => match decl.property("classes").map(|p| &p.value.kind) {
            Some(ValueKind::List(items)) => items
                .iter()
                .filter(|item| item.range.start <= range.start && range.end <= item.range.end)
                .filter_map(|item| match &item.kind {
                    ValueKind::Name(class) => Some(class.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Marks the findings a waiver in force waives, and reports (W0015) each code a waiver waives
/// that no finding of its class has: a stale waiver would waive the next, different finding.
pub fn apply(db: &dyn Db, workspace: Workspace, diagnostics: &mut Vec<Diagnostic>) {
    let in_force = waivers_in_force(db, workspace);
    if in_force.is_empty() {
        return;
    }
    let mut used: HashSet<(&str, &str)> = HashSet::default();
    for diagnostic in diagnostics.iter_mut() {
        if !waivable(diagnostic.code) {
            continue;
        }
        let code = diagnostic.code.code;
        let mut about: Option<Vec<String>> = None;
        for waiver in in_force {
            if !waiver.waives.iter().any(|c| c == code) {
                continue;
            }
            let subjects =
                about.get_or_insert_with(|| subjects(db, diagnostic.file, diagnostic.range));
            if subjects.contains(&waiver.class) {
                diagnostic.waived = Some(Box::new(waiver.waived()));
                used.insert((waiver.name.as_str(), code));
                break;
            }
        }
    }
    for waiver in in_force {
        for code in &waiver.waives {
            let Some(known) = codes::lookup(code) else {
                continue;
            };
            if !waivable(known) || used.contains(&(waiver.name.as_str(), known.code)) {
                continue;
            }
            if let Some(diagnostic) = unused_code(db, workspace, waiver, code) {
                diagnostics.push(diagnostic);
            }
        }
    }
}

/// W0015 on `code` in the waiver's `waives` list.
fn unused_code(
    db: &dyn Db,
    workspace: Workspace,
    waiver: &WaiverInfo,
    code: &str,
) -> Option<Diagnostic> {
    let definition = definition_of(db, workspace, &waiver.name)?;
    let decl = decl_named(db, workspace, &waiver.name, DeclKind::Waiver)?;
    let ValueKind::List(items) = &decl.property("waives")?.value.kind else {
        return None;
    };
    let item = items
        .iter()
        .find(|item| matches!(&item.kind, ValueKind::Name(c) if c == code))?;
    Some(
        Diagnostic::new(
            &codes::WAIVER_UNUSED,
            definition.file,
            item.range,
            format!(
                "waiver `{}` waives {code}, and `{}` has no such finding",
                waiver.name, waiver.class
            ),
        )
        .with_label("waives nothing")
        .with_help(format!(
            "remove {code} from `waives`: a stale waiver would waive the next, different {code} of `{}`",
            waiver.class
        )),
    )
}
