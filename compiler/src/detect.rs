//! Checks of detection rules: regexes that compile (with the error at its column), a window
//! longer than zero, and group-by names that a regex captures or a syslog field provides.

use ward_lang::TextRange;
use ward_lang::ast::{Decl, MatchPattern, StmtKind, ValueKind};

use regex_syntax::hir::{Hir, HirKind};

use crate::codes;
use crate::db::SourceFile;
use crate::diagnostic::Diagnostic;
use crate::resolve::Resolver;
use crate::schema;
use crate::suggest::closest;

/// The largest count a rule may wait for: the engine keeps the time of every counted message
/// of a group within the window, so the count bounds its memory per group.
pub const MAX_COUNT: i64 = 10_000;

use crate::rule_regex::{FLAGS, REGEX_SIZE_LIMIT, engine_regex};

pub fn check_detect(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    quarantine_without_place(r, file, decl);
    weak_evidence(r, file, decl);
    let mut captures: Vec<String> = Vec::new();
    for stmt in &decl.body {
        let StmtKind::Match {
            pattern: MatchPattern::Fields(fields),
            ..
        } = &stmt.kind
        else {
            continue;
        };
        for field in fields {
            if let ValueKind::Regex {
                pattern,
                flags,
                pattern_start,
            } = &field.value.kind
            {
                match compile(pattern, flags) {
                    Ok(hir) => {
                        collect_captures(&hir, &mut captures);
                        // What parses may still be too large for the engine to build. The
                        // standard library's rules are built by its tests instead: compiling
                        // them at every check (each policy a fresh database) took a third of
                        // a small policy's check (58 -> 37 ms, debug build) and most of the
                        // check fuzz target's executions (4 a second, from 15).
                        if !file.is_stdlib(r.db)
                            && let Err(error) = engine_regex(pattern, flags)
                        {
                            let error = match error {
                                regex::Error::CompiledTooBig(_) => RegexError::TooBig,
                                other => RegexError::Syntax(other.to_string(), 0, pattern.len()),
                            };
                            let source = file.text(r.db);
                            report_regex(r, file, source, *pattern_start, field.value.range, error);
                        }
                    }
                    Err(error) => {
                        let source = file.text(r.db);
                        report_regex(r, file, source, *pattern_start, field.value.range, error);
                    }
                }
            }
        }
    }
    for stmt in &decl.body {
        let StmtKind::When {
            threshold,
            window,
            group_by,
            ..
        } = &stmt.kind
        else {
            continue;
        };
        if let ValueKind::Int(n) = threshold.kind
            && n > MAX_COUNT
        {
            r.report(
                Diagnostic::new(
                    &codes::VALUE_OUT_OF_RANGE,
                    file,
                    threshold.range,
                    format!("a count of {n} is more than the gateway keeps: at most {MAX_COUNT}"),
                )
                .with_label("too large")
                .with_help("the gateway keeps the time of every counted message within the window: count fewer over a shorter window"),
            );
        }
        if let ValueKind::Int(n) = threshold.kind
            && n < 1
        {
            r.report(
                Diagnostic::new(
                    &codes::INVALID_WINDOW,
                    file,
                    threshold.range,
                    format!("a rule that fires at a count of {n} fires on nothing, or always"),
                )
                .with_label("count at least 1")
                .with_help("write `when count >= 1` to fire on every matching message"),
            );
        }
        if let Some(window) = window
            && let ValueKind::Duration(ms) = window.kind
            && ms <= 0
        {
            r.report(
                Diagnostic::new(
                    &codes::INVALID_WINDOW,
                    file,
                    window.range,
                    format!(
                        "the window of a count must be longer than zero, not {}",
                        &file.text(r.db)[window.range.as_usize()]
                    ),
                )
                .with_label("zero or negative window")
                .with_help("write a positive duration, such as `within 10m`"),
            );
        }
        for key in group_by {
            if captures.contains(&key.text) || schema::SYSLOG_FIELDS.contains(&key.text) {
                continue;
            }
            let candidates = captures
                .iter()
                .map(String::as_str)
                .chain(schema::SYSLOG_FIELDS.words.iter().copied());
            let mut diagnostic = Diagnostic::new(
                &codes::UNKNOWN_CAPTURE,
                file,
                key.range,
                format!(
                    "`{}` is neither a capture of the rule's regexes nor a syslog field",
                    key.text
                ),
            )
            .with_label("groups by nothing");
            let known = if captures.is_empty() {
                "the rule's regexes capture nothing: name a group `(?<src>...)`".to_string()
            } else {
                format!(
                    "captures: {}",
                    captures
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            diagnostic = match closest(&key.text, candidates) {
                Some(better) => diagnostic.did_you_mean(better, key.range, &known),
                None => diagnostic.with_help(known),
            };
            r.report(diagnostic);
        }
    }
}

/// W0010: a `quarantine` action where the policy has no quarantine place.
fn quarantine_without_place(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    // Only a rule that quarantines reads the workspace's places.
    if file.is_stdlib(r.db)
        || !crate::relations::quarantines(decl)
        || !crate::relations::quarantine_places(r.db, r.workspace).is_empty()
    {
        return;
    }
    for stmt in &decl.body {
        let StmtKind::Then { actions } = &stmt.kind else {
            continue;
        };
        for action in actions.iter().filter(|a| a.name.text == "quarantine") {
            r.report(
                Diagnostic::new(
                    &codes::QUARANTINE_WITHOUT_PLACE,
                    file,
                    action.name.range,
                    "the policy declares no quarantine place: the gateway cannot move the thing, and records `quarantine-unavailable` instead".to_string(),
                )
                .with_label("nowhere to quarantine")
                .with_help("declare one: `class isolation \"Quarantine\" { quarantine = true }`"),
            );
        }
    }
}

/// W0013: a rule that acts on things by their source address, where a thing it watches holds
/// a profile with client authentication (M3): a forged datagram could act on that thing.
fn weak_evidence(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let Some(evidence) = decl.property("evidence") else {
        return;
    };
    if !matches!(&evidence.value.kind, ValueKind::Name(word) if word == "address") {
        return;
    }
    let acts = decl.body.iter().any(|stmt| {
        matches!(&stmt.kind, StmtKind::Then { actions }
        if actions.iter().any(|a| {
            ["quarantine", "raise_profile", "revoke_credentials"].contains(&a.name.text.as_str())
        }))
    });
    if !acts {
        return;
    }
    // The classes it watches: those it names, or every class of the workspace.
    let classes: Vec<String> = match decl.property("classes") {
        Some(named) => crate::model::names_in(&named.value.kind),
        None => r
            .workspace
            .files(r.db)
            .iter()
            .flat_map(|&f| crate::queries::parsed(r.db, f).file.decls())
            .filter(|d| d.kind == ward_lang::ast::DeclKind::Class)
            .filter_map(|d| d.name.as_ref().map(|n| n.text.clone()))
            .collect(),
    };
    let catalog = crate::model::catalog(r.db, r.workspace);
    let strong = classes.iter().find_map(|class| {
        let held = crate::risk::profile_of_class(r.db, r.workspace, class)?;
        let profile = catalog.profile(&held.profile)?;
        profile
            .mitigations()
            .contains(&"M3")
            .then(|| (class.clone(), held.profile.clone()))
    });
    let Some((class, profile)) = strong else {
        return;
    };
    r.report(
        Diagnostic::new(
            &codes::WEAK_EVIDENCE,
            file,
            evidence.value.range,
            format!(
                "this rule acts on a source address, but `{class}`'s {profile} requires client authentication (M3): one forged datagram from its address could act on it"
            ),
        )
        .with_label("address evidence")
        .with_help("leave `evidence` out (the things' certificates over TLS decide), or act only by `report`"),
    );
}

/// The named captures of a pattern, in order, each once (a name may stand in several
/// alternatives); empty when it does not compile.
pub fn capture_names(pattern: &str, flags: &str) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(hir) = compile(pattern, flags) {
        collect_captures(&hir, &mut names);
    }
    names
}

enum RegexError {
    Flag(char),
    /// It parses, and compiles to more than `REGEX_SIZE_LIMIT`.
    TooBig,
    /// A message and the byte span in the pattern.
    Syntax(String, usize, usize),
}

/// Parses a pattern as the gateway's regex engine will, with ward's flags and repeated group
/// names numbered (`capture_names.rs`); error positions are in the pattern as written.
fn compile(pattern: &str, flags: &str) -> Result<Hir, RegexError> {
    if let Some(bad) = flags.chars().find(|c| !FLAGS.contains(*c)) {
        return Err(RegexError::Flag(bad));
    }
    let (numbered, inserted) = crate::capture_names::number_repeats(pattern);
    compile_numbered(&numbered, flags).map_err(|error| match error {
        RegexError::Syntax(message, start, end) => RegexError::Syntax(
            message,
            crate::capture_names::written_offset(start, &inserted),
            crate::capture_names::written_offset(end, &inserted),
        ),
        other => other,
    })
}

fn compile_numbered(pattern: &str, flags: &str) -> Result<Hir, RegexError> {
    let mut builder = regex_syntax::ParserBuilder::new();
    builder
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .ignore_whitespace(flags.contains('x'))
        .swap_greed(flags.contains('U'));
    builder.build().parse(pattern).map_err(|error| match error {
        regex_syntax::Error::Parse(e) => RegexError::Syntax(
            e.kind().to_string(),
            e.span().start.offset,
            e.span().end.offset,
        ),
        regex_syntax::Error::Translate(e) => RegexError::Syntax(
            e.kind().to_string(),
            e.span().start.offset,
            e.span().end.offset,
        ),
        other => RegexError::Syntax(other.to_string(), 0, pattern.len()),
    })
}

fn collect_captures(hir: &Hir, out: &mut Vec<String>) {
    match hir.kind() {
        HirKind::Capture(capture) => {
            if let Some(name) = &capture.name {
                let name = crate::capture_names::written_name(name);
                if !out.iter().any(|c| c == name) {
                    out.push(name.to_string());
                }
            }
            collect_captures(&capture.sub, out);
        }
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            for item in items {
                collect_captures(item, out);
            }
        }
        HirKind::Repetition(repetition) => collect_captures(&repetition.sub, out),
        _ => {}
    }
}

/// Maps an offset in the unescaped pattern back to the file: the source writes `/` as `\/`.
fn source_offset(source: &str, pattern_start: u32, pattern_offset: usize) -> u32 {
    let text = source.get(pattern_start as usize..).unwrap_or("");
    let mut consumed = 0usize;
    let mut unescaped = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if unescaped >= pattern_offset {
            return pattern_start + at as u32;
        }
        consumed = at + c.len_utf8();
        if c == '\\' && matches!(chars.peek(), Some((_, '/'))) {
            if let Some((next_at, _)) = chars.next() {
                consumed = next_at + 1;
            }
            unescaped += 1;
        } else {
            unescaped += c.len_utf8();
        }
    }
    pattern_start + consumed as u32
}

fn report_regex(
    r: &mut Resolver<'_>,
    file: SourceFile,
    source: &str,
    pattern_start: u32,
    whole: TextRange,
    error: RegexError,
) {
    let diagnostic = match error {
        RegexError::Flag(flag) => Diagnostic::new(
            &codes::INVALID_REGEX,
            file,
            whole,
            format!("unknown regex flag `{flag}`"),
        )
        .with_label("after the closing `/`")
        .with_help("the flags are i (case-insensitive), m (multi-line), s (dot matches new line), x (verbose) and U (lazy)"),
        RegexError::TooBig => Diagnostic::new(
            &codes::INVALID_REGEX,
            file,
            whole,
            format!(
                "the regex compiles to more than the gateway allows one rule's regex ({} MiB)",
                REGEX_SIZE_LIMIT >> 20
            ),
        )
        .with_label("too large to compile")
        .with_help("a counted repetition copies what it repeats, and a Unicode class such as `\\w` is hundreds of ranges: bound less (`\\S+` rather than `\\w{1,500}`), or match ASCII only with `(?-u:\\w)`"),
        RegexError::Syntax(message, start, end) => {
            let from = source_offset(source, pattern_start, start);
            let to = source_offset(source, pattern_start, end.max(start));
            let range = TextRange::new(from, to.max(from).min(whole.end));
            Diagnostic::new(
                &codes::INVALID_REGEX,
                file,
                range,
                format!("invalid regex: {message}"),
            )
            .with_label(message)
            .with_help("ward uses Rust's regex syntax: no look-around or backreferences; named groups are `(?<name>...)`")
        }
    };
    r.report(diagnostic);
}
