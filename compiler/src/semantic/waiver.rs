//! The checks of a waiver: it says what it accepts or waives, waives only what may be
//! waived, is in force (E0406 after its expiry, W0014 in the month before), and accepts only
//! risks its class has (W0015; codes no finding has are found after the check, waiver.rs).

use ward_lang::Timestamp;
use ward_lang::ast::{Decl, ValueKind};

use crate::codes;
use crate::db::SourceFile;
use crate::diagnostic::{Diagnostic, Severity};
use crate::resolve::Resolver;
use crate::risk::{assessments_of, profile_of_class, residual_risks};
use crate::waiver::{EXPIRY_NOTICE_DAYS, WAIVABLE_ERRORS, waivable};

pub(super) fn waiver(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(name) = &decl.name else { return };
    if decl.property("accepts").is_none() && decl.property("waives").is_none() {
        r.report(
            Diagnostic::new(
                &codes::MISSING_PROPERTY,
                file,
                name.range,
                format!("waiver `{}` accepts no risk and waives no finding", name.text),
            )
            .with_label("waives nothing")
            .with_help(
                "say what it is for: `accepts = [T4]` (residual risks of the class) or `waives = [E0404]` (findings on the class and its flows), or both",
            ),
        );
    }
    unwaivable(r, file, decl);
    expiry(r, file, decl);
    accepted_threats(r, file, decl);
}

/// E0405 for a code no waiver may waive.
fn unwaivable(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(ValueKind::List(items)) = decl.property("waives").map(|p| &p.value.kind) else {
        return;
    };
    for item in items {
        let ValueKind::Name(code) = &item.kind else {
            continue;
        };
        let Some(known) = codes::lookup(code) else {
            continue;
        };
        if waivable(known) {
            continue;
        }
        let (message, help) = match known.severity {
            Severity::Note => (
                format!(
                    "{} is a note: it fails nothing and needs no waiver",
                    known.code
                ),
                "remove it from `waives`".to_string(),
            ),
            _ => (
                format!(
                    "{} ({}) cannot be waived: ward never builds a policy that fails it",
                    known.code, known.summary
                ),
                format!(
                    "fix what it reports; of the errors only {} (a class that cannot meet a profile) can be waived",
                    WAIVABLE_ERRORS.join(", ")
                ),
            ),
        };
        r.report(
            Diagnostic::new(&codes::UNWAIVABLE_FINDING, file, item.range, message)
                .with_label("not waivable")
                .with_help(help),
        );
    }
}

/// E0406 once the waiver has expired, W0014 within a month of it.
fn expiry(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(expires) = decl.property("expires") else {
        return;
    };
    let ValueKind::Date(date) = expires.value.kind else {
        return;
    };
    let Some(name) = &decl.name else { return };
    let now = r.workspace.now(r.db);
    let today = Timestamp::day_of(now);
    if now >= date.unix {
        r.report(
            Diagnostic::new(
                &codes::WAIVER_EXPIRED,
                file,
                expires.value.range,
                format!(
                    "waiver `{}` expired on {date}: what it accepted and waived is reported again",
                    name.text
                ),
            )
            .with_label(format!("expired (today is {today})"))
            .with_help(
                "renew it with a new date, with its owner's agreement, or fix what it waived",
            ),
        );
    } else {
        let days = Timestamp::at(now).days_until(date);
        if days < EXPIRY_NOTICE_DAYS {
            r.report(
                Diagnostic::new(
                    &codes::WAIVER_EXPIRES_SOON,
                    file,
                    expires.value.range,
                    format!(
                        "waiver `{}` expires on {date}, in {}",
                        name.text,
                        match days {
                            0 => "less than a day".to_string(),
                            1 => "1 day".to_string(),
                            n => format!("{n} days"),
                        }
                    ),
                )
                .with_label("expires soon")
                .with_help("ask its owner whether to renew it, or fix what it waives before then"),
            );
        }
    }
}

/// W0015 for an accepted threat that is no residual risk of the class in any environment.
fn accepted_threats(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(ValueKind::List(items)) = decl.property("accepts").map(|p| &p.value.kind) else {
        return;
    };
    let Some(ValueKind::Name(class)) = decl.property("class").map(|p| &p.value.kind) else {
        return;
    };
    // A class without a profile has no residual risk to speak of: other findings say why.
    let Some(held) = profile_of_class(r.db, r.workspace, class) else {
        return;
    };
    let assessments = assessments_of(r.db, r.workspace, class);
    if assessments.is_empty() {
        return;
    }
    let residual: Vec<String> = assessments
        .iter()
        .flat_map(|a| residual_risks(r.db, r.workspace, a))
        .map(|residual| residual.threat)
        .collect();
    for item in items {
        let ValueKind::Name(threat) = &item.kind else {
            continue;
        };
        if residual.contains(threat)
            || crate::model::threat_info(r.db, r.workspace, threat).is_none()
        {
            continue;
        }
        r.report(
            Diagnostic::new(
                &codes::WAIVER_UNUSED,
                file,
                item.range,
                format!(
                    "`{threat}` is no residual risk of `{class}`: `{}` mitigates it, or it is not moderate or high",
                    held.profile
                ),
            )
            .with_label("nothing to accept")
            .with_help(format!(
                "remove it from `accepts`; `ward check --explain-risk {class}` shows the class's risks"
            )),
        );
    }
}
