//! The shape of each declaration against its specification (schema.rs): known properties of
//! the right type, allowed statements, required properties present, and every name resolved.

use std::collections::HashMap;

use ward_lang::TextRange;
use ward_lang::ast::*;
use ward_lang::table::{self, TableError};

use crate::codes;
use crate::db::SourceFile;
use crate::diagnostic::{Diagnostic, Suggestion};
use crate::model::mitigation_info;
use crate::resolve::Resolver;
use crate::schema::{self, DeclSpec, PropertySpec, StmtTag, Subject, ValueType, Vocabulary};
use crate::suggest::closest;

/// Checks one declaration.
/// The longest name a declaration may have, in bytes. Names become file names in the bundle
/// (`devices/<class>.cbor`, `sigma/<rule>.yml`: 255 bytes on common file systems) and
/// nftables set names (`e4_<name>`: at most 255), with room to spare.
pub const MAX_NAME_BYTES: usize = 128;

pub fn check_decl(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl) {
    let spec = schema::spec(decl.kind);
    if let Some(name) = &decl.name
        && name.text.len() > MAX_NAME_BYTES
    {
        r.report(
            Diagnostic::new(
                &codes::NAME_TOO_LONG,
                file,
                name.range,
                format!(
                    "the name of this {} has {} characters; names have at most {MAX_NAME_BYTES}",
                    decl.kind.noun(),
                    name.text.len()
                ),
            )
            .with_label("too long")
            .with_help("names become file names in the bundle and nftables set names: shorten it, and say more in the title"),
        );
    }
    if let Some(flow) = &decl.flow {
        flow_spec(r, file, flow);
    }
    let mut seen: HashMap<(&str, Option<&str>), TextRange> = HashMap::new();
    for stmt in &decl.body {
        let StmtKind::Property(property) = &stmt.kind else {
            statement(r, file, decl, spec, stmt);
            continue;
        };
        let Some(property_spec) = spec.property(&property.key.text) else {
            unknown_property(r, file, decl, spec, property);
            continue;
        };
        let subject = property.subject.as_ref().map(|s| s.text.as_str());
        if let Some(first) = seen.insert((property.key.text.as_str(), subject), property.key.range)
        {
            r.report(
                Diagnostic::new(
                    &codes::DUPLICATE_PROPERTY,
                    file,
                    property.key.range,
                    format!("`{}` is set twice", property_text(property)),
                )
                .with_label("set again here")
                .with_secondary(file, first, "first set here".to_string())
                .with_help("remove one of them"),
            );
        }
        subject_of(r, file, property, property_spec);
        value(r, file, &property.value, &property_spec.ty);
        in_range(r, file, decl.kind, property);
    }
    // The quarantine place does nothing: it needs no function.
    let quarantine = decl.kind == DeclKind::Class && crate::model::is_quarantine_decl(decl);
    for property_spec in spec.properties.iter().filter(|p| p.required) {
        if quarantine && property_spec.key == "function" {
            continue;
        }
        if !seen.keys().any(|(key, _)| *key == property_spec.key) {
            missing(r, file, decl, property_spec);
        }
    }
}

/// Values of the right type that mean nothing (E0207), and prefixes with host bits (W0005).
fn in_range(r: &mut Resolver<'_>, file: SourceFile, kind: DeclKind, property: &Property) {
    let value = &property.value;
    let out_of_range = |message: String, help: &str| {
        Diagnostic::new(&codes::VALUE_OUT_OF_RANGE, file, value.range, message)
            .with_label("out of range")
            .with_help(help.to_string())
    };
    match (kind, property.key.text.as_str(), &value.kind) {
        (DeclKind::Class, "credential_refresh", ValueKind::Duration(ms)) if *ms <= 0 => {
            r.report(out_of_range(
                "credentials refreshed every 0s are never valid".to_string(),
                "write the period, such as `credential_refresh = 30d`",
            ));
        }
        (DeclKind::Segment, "vlan", ValueKind::Int(id)) if !(1..=4094).contains(id) => {
            r.report(out_of_range(
                format!("VLAN id {id} does not exist: ids are 1 to 4094"),
                "write an id between 1 and 4094",
            ));
        }
        (_, "subnet" | "address", ValueKind::Cidr(ip, len)) => {
            let network = crate::prefix::network(*ip, *len);
            if network != *ip {
                let fixed = format!("{network}/{len}");
                r.report(
                    Diagnostic::new(
                        &codes::HOST_BITS_IN_PREFIX,
                        file,
                        value.range,
                        format!("`{ip}/{len}` has host bits set: it is read as `{fixed}`"),
                    )
                    .with_label("bits beyond the prefix length")
                    .with_help(format!("write `{fixed}`, or the prefix length you meant"))
                    .with_suggestion(Suggestion {
                        message: format!("write `{fixed}`"),
                        range: value.range,
                        replacement: fixed,
                    }),
                );
            }
        }
        _ => {}
    }
}

fn property_text(property: &Property) -> String {
    match &property.subject {
        Some(subject) => format!("{} {}", property.key.text, subject.text),
        None => property.key.text.clone(),
    }
}

/// Where a declaration-level diagnostic points: its name, or its keyword.
fn decl_anchor(decl: &Decl) -> TextRange {
    match (&decl.name, &decl.flow) {
        (Some(name), _) => name.range,
        (None, Some(flow)) => flow.range,
        _ => TextRange::new(
            decl.range.start,
            decl.range.start + decl.kind.keyword().len() as u32,
        ),
    }
}

fn missing(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl, property: &PropertySpec) {
    r.report(
        Diagnostic::new(
            &codes::MISSING_PROPERTY,
            file,
            decl_anchor(decl),
            format!(
                "{} `{}` has no `{}`",
                decl.kind.noun(),
                decl.label(),
                property.key
            ),
        )
        .with_label(format!("`{}` is required", property.key))
        .with_help(format!(
            "add `{} = ...` with {}",
            property.key,
            property.ty.describe()
        )),
    );
}

fn unknown_property(
    r: &mut Resolver<'_>,
    file: SourceFile,
    decl: &Decl,
    spec: &DeclSpec,
    property: &Property,
) {
    let key = &property.key;
    let mut diagnostic = Diagnostic::new(
        &codes::UNKNOWN_PROPERTY,
        file,
        key.range,
        format!(
            "unknown property `{}` of {}",
            key.text,
            decl.kind.with_article()
        ),
    )
    .with_label("not a property of this declaration");
    let keys: Vec<&str> = spec.properties.iter().map(|p| p.key).collect();
    let accepted = keys
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    diagnostic = match closest(&key.text, keys.iter().copied()) {
        Some(better) => diagnostic.did_you_mean(better, key.range, ""),
        None if keys.is_empty() => {
            diagnostic.with_help(format!("{} takes no properties", decl.kind.with_article()))
        }
        None => diagnostic.with_help(format!("{} takes {accepted}", decl.kind.with_article())),
    };
    r.report(diagnostic);
}

/// The subject of `likelihood T22 = low`: a threat, a threat target or `default`.
fn subject_of(r: &mut Resolver<'_>, file: SourceFile, property: &Property, spec: &PropertySpec) {
    match (spec.subject, &property.subject) {
        (Subject::None, None) => {}
        (Subject::None, Some(subject)) => r.report(
            Diagnostic::new(
                &codes::SYNTAX_ERROR,
                file,
                subject.range,
                format!(
                    "`{}` takes no subject: write `{} = ...`",
                    property.key.text, property.key.text
                ),
            )
            .with_label("unexpected name before `=`"),
        ),
        (Subject::ThreatOrTarget, None) => r.report(
            Diagnostic::new(
                &codes::MISSING_PROPERTY,
                file,
                property.key.range,
                format!("`{}` needs a subject", property.key.text),
            )
            .with_label("a threat, a threat target or `default` goes here")
            .with_help(format!(
                "write `{} T22 = low`, `{} device = low` or `{} default = low`",
                property.key.text, property.key.text, property.key.text
            )),
        ),
        (Subject::ThreatOrTarget, Some(subject)) => {
            let text = subject.text.as_str();
            if text == "default" || schema::TARGETS.contains(text) {
                return;
            }
            r.reference(file, subject, &[DeclKind::Threat]);
        }
    }
}

/// Checks a value against its type, resolving the names in it.
pub fn value(r: &mut Resolver<'_>, file: SourceFile, value: &Value, ty: &ValueType) {
    match (ty, &value.kind) {
        (_, ValueKind::Invalid) => {}
        (ValueType::Ref(kinds), ValueKind::Name(name)) => {
            r.reference_text(file, name, value.range, kinds);
        }
        (ValueType::Word(vocabulary), ValueKind::Name(word)) => {
            r.word(file, word, value.range, vocabulary);
        }
        (ValueType::AnyWord, ValueKind::Name(_))
        | (ValueType::Int, ValueKind::Int(_))
        | (ValueType::Duration, ValueKind::Duration(_))
        | (ValueType::Date, ValueKind::Date(_))
        | (ValueType::Str, ValueKind::Str(_))
        | (ValueType::Subnet, ValueKind::Cidr(..))
        | (ValueType::Address, ValueKind::Ip(_) | ValueKind::Cidr(..)) => {}
        (ValueType::OneOrList(item), ValueKind::List(items))
        | (ValueType::List(item), ValueKind::List(items)) => {
            for element in items {
                self::value(r, file, element, item);
            }
        }
        (ValueType::OneOrList(item), _) => self::value(r, file, value, item),
        (ValueType::List(item), _) => {
            let diagnostic = wrong_type(file, value, ty);
            // A single element where a list is expected: offer the brackets.
            let text = &file.text(r.db)[value.range.as_usize()];
            let fits = matches!(
                (item, &value.kind),
                (ValueType::Ref(_) | ValueType::Word(_), ValueKind::Name(_))
            );
            let diagnostic = if fits {
                diagnostic
                    .with_help(format!("write a list: `[{text}]`"))
                    .with_suggestion(Suggestion {
                        message: "make it a list".to_string(),
                        range: value.range,
                        replacement: format!("[{text}]"),
                    })
            } else {
                diagnostic
            };
            r.report(diagnostic);
        }
        (ValueType::Code, ValueKind::Name(code)) => {
            if codes::lookup(code).is_none() {
                let diagnostic = Diagnostic::new(
                    &codes::UNKNOWN_WORD,
                    file,
                    value.range,
                    format!("`{code}` is not a diagnostic code of ward"),
                )
                .with_help("`ward explain --list` lists the codes; a code is a letter and four digits, as in `W0008`");
                r.report(diagnostic);
            }
        }
        (ValueType::Date, ValueKind::Str(text)) if ward_lang::Timestamp::parse(text).is_ok() => {
            let diagnostic = wrong_type(file, value, ty)
                .with_help(format!("a date is written without quotes: `{text}`"))
                .with_suggestion(Suggestion {
                    message: "write the date without quotes".to_string(),
                    range: value.range,
                    replacement: text.clone(),
                });
            r.report(diagnostic);
        }
        (ValueType::Duration, ValueKind::Int(n)) => {
            let diagnostic = wrong_type(file, value, ty)
                .with_help(format!("give the unit: `{n}s`, `{n}m`, `{n}h` or `{n}d`"));
            r.report(diagnostic);
        }
        // `action = [get, set]`: a flow is one operation, and flows that differ only in it
        // are distinct (no W0002), so the fix is to repeat the flow.
        (ValueType::AnyWord, ValueKind::List(items)) => {
            let text = file.text(r.db);
            let names: Vec<&str> = items.iter().map(|i| &text[i.range.as_usize()]).collect();
            let diagnostic = wrong_type(file, value, ty).with_help(format!(
                "a flow names one operation: declare one flow per operation, the same ends and ports with `{}`",
                names
                    .iter()
                    .map(|n| format!("action = {n}"))
                    .collect::<Vec<_>>()
                    .join("`, `")
            ));
            r.report(diagnostic);
        }
        (ValueType::Subnet, ValueKind::Ip(ip)) => {
            let prefix = if ip.is_ipv4() { 32 } else { 128 };
            let diagnostic = wrong_type(file, value, ty)
                .with_help(format!("give the prefix length, as in `{ip}/{prefix}`"));
            r.report(diagnostic);
        }
        _ => {
            let diagnostic = wrong_type(file, value, ty);
            r.report(diagnostic);
        }
    }
}

fn wrong_type(file: SourceFile, value: &Value, ty: &ValueType) -> Diagnostic {
    Diagnostic::new(
        &codes::WRONG_VALUE_TYPE,
        file,
        value.range,
        format!(
            "expected {}, found {}",
            ty.describe(),
            value.kind.describe()
        ),
    )
    .with_label(format!("expected {}", ty.describe()))
}

fn statement_tag(kind: &StmtKind) -> Option<StmtTag> {
    Some(match kind {
        StmtKind::Property(_) => return None,
        StmtKind::Mitigate { .. } => StmtTag::Mitigate,
        StmtKind::Accept { .. } => StmtTag::Accept,
        StmtKind::Param { .. } => StmtTag::Param,
        StmtKind::Bound { .. } => StmtTag::Bound,
        StmtKind::Match { .. } => StmtTag::Match,
        StmtKind::When { .. } => StmtTag::When,
        StmtKind::Then { .. } => StmtTag::Then,
        StmtKind::FlowAssert { .. } => StmtTag::FlowAssert,
        StmtKind::Expect { .. } | StmtKind::ExpectDetect { .. } => StmtTag::Expect,
        StmtKind::Table(_) => StmtTag::Table,
    })
}

/// Where a statement belongs, for the help of `misplaced-statement`.
fn home_of(tag: StmtTag) -> &'static str {
    match tag {
        StmtTag::Mitigate | StmtTag::Bound => "a security profile",
        StmtTag::Param => "a mitigation",
        StmtTag::Accept => "a class, a service, a gateway or an environment",
        StmtTag::Match => "a class (`match mud`) or a detection rule (`match syslog`)",
        StmtTag::When | StmtTag::Then => "a detection rule",
        StmtTag::FlowAssert | StmtTag::Expect | StmtTag::Table => "a test",
    }
}

fn statement(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl, spec: &DeclSpec, stmt: &Stmt) {
    let Some(tag) = statement_tag(&stmt.kind) else {
        return;
    };
    if !spec.statements.contains(&tag) {
        let keyword_end = stmt.range.start + stmt.kind.describe().trim_matches('`').len() as u32;
        let range = TextRange::new(stmt.range.start, keyword_end.min(stmt.range.end));
        r.report(
            Diagnostic::new(
                &codes::MISPLACED_STATEMENT,
                file,
                range,
                format!(
                    "{} is not allowed in {}",
                    stmt.kind.describe(),
                    decl.kind.with_article()
                ),
            )
            .with_label(format!("not allowed in {}", decl.kind.with_article()))
            .with_help(format!(
                "{} belongs in {}",
                stmt.kind.describe(),
                home_of(tag)
            )),
        );
        return;
    }
    match &stmt.kind {
        StmtKind::Property(_) => {}
        StmtKind::Mitigate {
            threats,
            mitigations,
        } => {
            for threat in threats {
                r.reference(file, threat, &[DeclKind::Threat]);
            }
            for mitigation in mitigations {
                r.reference(file, mitigation, &[DeclKind::Mitigation]);
            }
        }
        StmtKind::Accept { threats, because } => {
            for threat in threats {
                r.reference(file, threat, &[DeclKind::Threat]);
            }
            if because.value.trim().is_empty() {
                r.report(
                    Diagnostic::new(
                        &codes::INVALID_LITERAL,
                        file,
                        because.range,
                        "an accepted risk needs its reason".to_string(),
                    )
                    .with_label("empty reason")
                    .with_help("say why the risk is acceptable here, for the next reviewer"),
                );
            }
        }
        StmtKind::Param { ty, default, .. } => {
            if r.word(file, &ty.text, ty.range, &schema::PARAM_TYPES) {
                value(r, file, default, param_type(&ty.text));
            }
        }
        StmtKind::Bound {
            path, value: bound, ..
        } => bound_stmt(r, file, path, bound),
        StmtKind::Match { source, pattern } => match_stmt(r, file, decl, source, pattern),
        StmtKind::When {
            metric,
            threshold,
            window,
            ..
        } => {
            r.word(file, &metric.text, metric.range, &schema::METRICS);
            value(r, file, threshold, &ValueType::Int);
            if let Some(window) = window {
                value(r, file, window, &ValueType::Duration);
            }
        }
        StmtKind::Then { actions } => {
            for action in actions {
                action_stmt(r, file, action);
            }
        }
        StmtKind::FlowAssert {
            verdict,
            flow,
            fields,
        } => {
            verdict_word(r, file, verdict);
            flow_spec(r, file, flow);
            assertion_fields(r, file, fields);
        }
        StmtKind::Expect {
            subject,
            value: expected,
            ..
        } => expect(r, file, subject, expected),
        StmtKind::ExpectDetect { rule, count, input } => {
            r.reference(file, rule, &[DeclKind::Detect]);
            value(r, file, count, &ValueType::Int);
            value(r, file, input, &ValueType::Str);
        }
        StmtKind::Table(_) => table(r, file, decl, spec, stmt),
    }
}

/// A test's table: what is wrong with its shape, then each row's assertions as if written
/// out (a message about a row's value points at the row). A message that does not depend on
/// the row (a misspelled endpoint in the body) is reported once, not once per row.
fn table(r: &mut Resolver<'_>, file: SourceFile, decl: &Decl, spec: &DeclSpec, stmt: &Stmt) {
    let (instances, errors) = table::instances(std::slice::from_ref(stmt));
    for error in errors {
        r.report(table_error(file, error));
    }
    let before = r.diagnostics.len();
    for instance in &instances {
        statement(r, file, decl, spec, &instance.stmt);
    }
    let mut rows = r.diagnostics.split_off(before);
    let mut seen = std::collections::HashSet::new();
    rows.retain(|d| seen.insert((d.code.code, d.range, d.message.clone())));
    r.diagnostics.extend(rows);
}

fn table_error(file: SourceFile, error: TableError) -> Diagnostic {
    match error {
        TableError::Arity {
            row,
            range,
            found,
            expected,
        } => Diagnostic::new(
            &codes::TABLE_ROW_ARITY,
            file,
            range,
            format!(
                "row {row} has {found} value{} for {expected} name{}",
                plural(found),
                plural(expected)
            ),
        )
        .with_label(format!("expected {expected} value{}", plural(expected)))
        .with_help("give one value per name of the table, in order; this row is not run"),
        TableError::DuplicateParam { name, range } => Diagnostic::new(
            &codes::DUPLICATE_DEFINITION,
            file,
            range,
            format!("the table names `{name}` twice"),
        )
        .with_label("named again here")
        .with_help("give each column its own name"),
        TableError::CellKind {
            param,
            range,
            found,
            expected,
        } => Diagnostic::new(
            &codes::WRONG_VALUE_TYPE,
            file,
            range,
            format!("expected {expected} for `{param}`, found {found}"),
        )
        .with_label(format!("`{param}` stands for {expected} in the assertion"))
        .with_help("this row is not run for that assertion"),
        TableError::UnusedParam { name, range } => Diagnostic::new(
            &codes::UNUSED_PARAMETER,
            file,
            range,
            format!("no assertion of the table uses `{name}`"),
        )
        .with_label("unused")
        .with_help(format!(
            "use `{name}` in an assertion, or remove the name and its column"
        )),
        TableError::Nested { range } => Diagnostic::new(
            &codes::MISPLACED_STATEMENT,
            file,
            TextRange::new(range.start, (range.start + 3).min(range.end)),
            "a table is not allowed in a table".to_string(),
        )
        .with_label("a table inside a table")
        .with_help("list the combinations as the rows of one table"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `allow` or `deny`: any other word is a table's parameter used outside its table, or a slip.
fn verdict_word(r: &mut Resolver<'_>, file: SourceFile, verdict: &Ident) {
    if Verdict::parse(&verdict.text).is_some() {
        return;
    }
    r.report(
        Diagnostic::new(
            &codes::UNKNOWN_WORD,
            file,
            verdict.range,
            format!("`{}` is not a verdict", verdict.text),
        )
        .with_label("expected `allow` or `deny`")
        .with_help(
            "a flow assertion starts with `allow` or `deny`; inside a table, a name of the \
             table whose rows hold `allow` or `deny`",
        ),
    );
}

/// The block of a flow assertion: `action = WORD`, the operation Cedar is asked about.
fn assertion_fields(r: &mut Resolver<'_>, file: SourceFile, fields: &[Property]) {
    let mut seen: Option<TextRange> = None;
    for field in fields {
        if field.key.text != "action" || field.subject.is_some() {
            r.report(
                Diagnostic::new(
                    &codes::UNKNOWN_PROPERTY,
                    file,
                    field.key.range,
                    format!("a flow assertion has no property `{}`", field.key.text),
                )
                .with_label("unknown here")
                .with_help("a flow assertion's block names the operation: `{ action = unlock }`"),
            );
            continue;
        }
        if let Some(first) = seen.replace(field.key.range) {
            r.report(
                Diagnostic::new(
                    &codes::DUPLICATE_PROPERTY,
                    file,
                    field.key.range,
                    "`action` is set twice".to_string(),
                )
                .with_label("set again here")
                .with_secondary(file, first, "first set here".to_string())
                .with_help("assert each operation on its own line"),
            );
        }
        value(r, file, &field.value, &ValueType::AnyWord);
        // An operation nothing declares is denied by Cedar whatever the policy says: a
        // `deny` of it holds trivially and tests nothing (most often a misspelling).
        if let ValueKind::Name(operation) = &field.value.kind
            && !crate::emit::cedar::DEVICE_OPERATIONS.contains(&operation.as_str())
            && !crate::relations::flow_operations(r.db, r.workspace).contains(operation)
        {
            let known: Vec<&str> = crate::relations::flow_operations(r.db, r.workspace)
                .iter()
                .map(String::as_str)
                .chain(crate::emit::cedar::DEVICE_OPERATIONS)
                .collect();
            let mut diagnostic = Diagnostic::new(
                &codes::UNDECLARED_OPERATION,
                file,
                field.value.range,
                format!("no flow declares the operation `{operation}`: Cedar denies it whatever the policy says"),
            )
            .with_label("asserts nothing");
            diagnostic = match crate::suggest::closest(operation, known.iter().copied()) {
                Some(near) => diagnostic.did_you_mean(near, field.value.range, "an operation a flow declares"),
                None => diagnostic.with_help("name an operation a flow declares (`action = ...`), or one every gateway knows: send, configure, update, unlock"),
            };
            r.report(diagnostic);
        }
    }
}

fn param_type(word: &str) -> &'static ValueType {
    match word {
        "duration" => &ValueType::Duration,
        "integer" => &ValueType::Int,
        _ => &ValueType::Str,
    }
}

fn bound_stmt(r: &mut Resolver<'_>, file: SourceFile, path: &[Ident], bound: &Value) {
    let [mitigation, param] = path else {
        let range = path
            .first()
            .map(|p| p.range)
            .unwrap_or_default()
            .cover(path.last().map(|p| p.range).unwrap_or_default());
        r.report(
            Diagnostic::new(
                &codes::UNKNOWN_PARAMETER,
                file,
                range,
                "a bound names a mitigation and one of its parameters".to_string(),
            )
            .with_label("expected `mitigation.parameter`")
            .with_help("write it as `bound M11.refresh <= 30d`"),
        );
        return;
    };
    if r.reference(file, mitigation, &[DeclKind::Mitigation])
        .is_none()
    {
        return;
    }
    let Some(info) = mitigation_info(r.db, r.workspace, &mitigation.text) else {
        return;
    };
    match info.params.iter().find(|p| p.name == param.text) {
        Some(declared) => value(r, file, bound, param_type(&declared.ty)),
        None => {
            let params: Vec<&str> = info.params.iter().map(|p| p.name.as_str()).collect();
            let mut diagnostic = Diagnostic::new(
                &codes::UNKNOWN_PARAMETER,
                file,
                param.range,
                format!(
                    "mitigation `{}` has no parameter `{}`",
                    mitigation.text, param.text
                ),
            )
            .with_label("no such parameter");
            diagnostic = match closest(&param.text, params.iter().copied()) {
                Some(better) => diagnostic.did_you_mean(better, param.range, ""),
                None if params.is_empty() => {
                    diagnostic.with_help(format!("`{}` declares no parameters", mitigation.text))
                }
                None => diagnostic.with_help(format!("its parameters: {}", params.join(", "))),
            };
            r.report(diagnostic);
        }
    }
}

fn match_stmt(
    r: &mut Resolver<'_>,
    file: SourceFile,
    decl: &Decl,
    source: &Ident,
    pattern: &MatchPattern,
) {
    let (sources, wants_fields): (&Vocabulary, bool) = match decl.kind {
        DeclKind::Detect => (&schema::DETECT_MATCH_SOURCES, true),
        _ => (&schema::CLASS_MATCH_SOURCES, false),
    };
    if !r.word(file, &source.text, source.range, sources) {
        return;
    }
    match (pattern, wants_fields) {
        (MatchPattern::Fields(fields), true) => {
            for field in fields {
                r.word(
                    file,
                    &field.key.text,
                    field.key.range,
                    &schema::SYSLOG_FIELDS,
                );
                if !matches!(
                    field.value.kind,
                    ValueKind::Regex { .. } | ValueKind::Str(_) | ValueKind::Int(_)
                ) {
                    r.report(
                        Diagnostic::new(
                            &codes::WRONG_VALUE_TYPE,
                            file,
                            field.value.range,
                            format!(
                                "expected a regex, a string or an integer, found {}",
                                field.value.kind.describe()
                            ),
                        )
                        .with_label("a field matches a regex, a string or an integer"),
                    );
                }
            }
        }
        (MatchPattern::Text(_), false) => {}
        (MatchPattern::Text(text), true) => r.report(
            Diagnostic::new(
                &codes::WRONG_VALUE_TYPE,
                file,
                text.range,
                format!("`match {}` takes fields, not a string", source.text),
            )
            .with_label("expected `{ field = /regex/ }`")
            .with_help("write `match syslog { app = /sshd/, msg = /Failed password/ }`"),
        ),
        (MatchPattern::Fields(_), false) => r.report(
            Diagnostic::new(
                &codes::WRONG_VALUE_TYPE,
                file,
                source.range,
                format!("`match {}` takes a string", source.text),
            )
            .with_label("expected a string after this")
            .with_help("write `match mud \"https://example.com/device.json\"`"),
        ),
    }
}

fn action_stmt(r: &mut Resolver<'_>, file: SourceFile, action: &Action) {
    if !r.word(file, &action.name.text, action.name.range, &schema::ACTIONS) {
        return;
    }
    match action.name.text.as_str() {
        "report" => {
            if action.args.is_empty() {
                r.report(
                    Diagnostic::new(
                        &codes::MISSING_PROPERTY,
                        file,
                        action.range,
                        "`report` needs its recipients".to_string(),
                    )
                    .with_label("report to whom?")
                    .with_help("write `report user, manufacturer, platform`"),
                );
            }
            for arg in &action.args {
                value(r, file, arg, &ValueType::Word(&schema::REPORT_TARGETS));
            }
        }
        // Bare, the gateway raises the thing to the next level up; or to the profile named.
        "raise_profile" => match action.args.as_slice() {
            [] => {}
            [profile] => value(r, file, profile, &ValueType::Ref(&[DeclKind::Profile])),
            _ => r.report(
                Diagnostic::new(
                    &codes::WRONG_VALUE_TYPE,
                    file,
                    action.range,
                    "`raise_profile` takes at most one security profile".to_string(),
                )
                .with_label("expected one profile, or none")
                .with_help(
                    "write `raise_profile SecProf_3`, or `raise_profile` for the next level up",
                ),
            ),
        },
        name => {
            if let Some(first) = action.args.first() {
                let range = first
                    .range
                    .cover(action.args.last().map_or(first.range, |a| a.range));
                r.report(
                    Diagnostic::new(
                        &codes::WRONG_VALUE_TYPE,
                        file,
                        range,
                        format!("`{name}` takes no arguments"),
                    )
                    .with_label("unexpected arguments"),
                );
            }
        }
    }
}

fn flow_spec(r: &mut Resolver<'_>, file: SourceFile, flow: &FlowSpec) {
    r.reference(file, &flow.from, schema::endpoint_kinds());
    r.reference(file, &flow.to, schema::endpoint_kinds());
    if flow.from.text == flow.to.text && !flow.from.text.is_empty() {
        r.report(
            Diagnostic::new(
                &codes::WRONG_VALUE_TYPE,
                file,
                flow.range,
                format!("a flow from `{}` to itself", flow.from.text),
            )
            .with_label("same endpoint on both sides")
            .with_help(
                "things of one class reach each other inside their segment; a flow names two \
                 different endpoints",
            ),
        );
    }
    for port in &flow.ports {
        let protocol = &port.protocol;
        if !r.word(file, &protocol.text, protocol.range, &schema::PROTOCOLS) {
            continue;
        }
        if port.ports.is_some_and(|(low, _)| low == 0) {
            r.report(
                Diagnostic::new(
                    &codes::VALUE_OUT_OF_RANGE,
                    file,
                    port.range,
                    format!("`{port}`: port 0 is no port"),
                )
                .with_label("ports are 1 to 65535")
                .with_help(format!(
                    "write the port the flow uses, or `{}` for any port",
                    protocol.text
                )),
            );
        }
        if port.ports.is_some() && matches!(protocol.text.as_str(), "icmp" | "icmpv6" | "any") {
            r.report(
                Diagnostic::new(
                    &codes::WRONG_VALUE_TYPE,
                    file,
                    port.range,
                    format!("`{}` has no ports", protocol.text),
                )
                .with_label("ports apply to tcp and udp only")
                .with_help(format!("write `{}` alone", protocol.text)),
            );
        }
    }
}

/// `expect risk(c, T12)` where T12 (a privacy threat, T12-T18) does not apply: the PIA
/// weighs them only for classes with personal data, so no level of it is true, and `ward test`
/// would fail; check says so first.
fn privacy_threat_applies(r: &mut Resolver<'_>, file: SourceFile, class: &Value, threat: &Value) {
    let (ValueKind::Name(class_name), ValueKind::Name(threat_name)) = (&class.kind, &threat.kind)
    else {
        return;
    };
    if !crate::risk::PRIVACY_THREATS.contains(&threat_name.as_str())
        || crate::queries::decl_named(r.db, r.workspace, class_name, DeclKind::Class).is_none()
    {
        return;
    }
    let handles_none = crate::model::class_info(r.db, r.workspace, class_name)
        .is_some_and(|info| info.data.is_empty() && !info.quarantine);
    if handles_none {
        r.report(
            Diagnostic::new(
                &codes::UNTESTABLE_EXPECTATION,
                file,
                threat.range,
                format!(
                    "{threat_name} does not apply to `{class_name}`, which handles no personal data: no risk level of it can be expected"
                ),
            )
            .with_label("a privacy threat (T12-T18)")
            .with_help(format!(
                "privacy threats apply to classes with personal data: declare `data = [...]` on `{class_name}` if its things handle some, or test a threat that applies"
            )),
        );
    }
}

fn expect(r: &mut Resolver<'_>, file: SourceFile, subject: &ExpectSubject, expected: &Value) {
    match subject {
        ExpectSubject::Path(path) => {
            let Some(first) = path.first() else { return };
            let kinds = [DeclKind::Class, DeclKind::Service, DeclKind::Gateway];
            let def = r.reference(file, first, &kinds);
            if let Some(attribute) = path.get(1)
                && def.is_some()
            {
                let holds_none = matches!(attribute.text.as_str(), "profile" | "level")
                    && crate::risk::profile_of_class(r.db, r.workspace, &first.text).is_none();
                if holds_none {
                    r.report(
                        Diagnostic::new(
                            &codes::UNTESTABLE_EXPECTATION,
                            file,
                            first.range,
                            format!(
                                "`{}` holds no profile: `expect {}.{}` can never hold",
                                first.text, first.text, attribute.text
                            ),
                        )
                        .with_label("no profile, no level")
                        .with_help("declare `profile = ...` on it, or place it in an environment (`environment = ...`) for the risk assessment to assign one"),
                    );
                }
                match attribute.text.as_str() {
                    "profile" => value(r, file, expected, &ValueType::Ref(&[DeclKind::Profile])),
                    "level" => value(r, file, expected, &ValueType::Int),
                    _ => r.report(
                        Diagnostic::new(
                            &codes::UNKNOWN_PROPERTY,
                            file,
                            attribute.range,
                            format!("cannot test `{}` of `{}`", attribute.text, first.text),
                        )
                        .with_label("not a testable attribute")
                        .with_help("tests can check `.profile` and `.level`"),
                    ),
                }
            }
        }
        ExpectSubject::Call { function, args } => {
            if function.text != "risk" {
                r.report(
                    Diagnostic::new(
                        &codes::UNKNOWN_NAME,
                        file,
                        function.range,
                        format!("unknown function `{}`", function.text),
                    )
                    .with_label("not a function")
                    .with_help("tests can call `risk(class, threat)`"),
                );
                return;
            }
            match args.as_slice() {
                [class, threat] => {
                    value(
                        r,
                        file,
                        class,
                        &ValueType::Ref(&[DeclKind::Class, DeclKind::Service, DeclKind::Gateway]),
                    );
                    value(r, file, threat, &ValueType::Ref(&[DeclKind::Threat]));
                    value(r, file, expected, &ValueType::Word(&schema::LEVELS));
                    privacy_threat_applies(r, file, class, threat);
                }
                _ => r.report(
                    Diagnostic::new(
                        &codes::WRONG_VALUE_TYPE,
                        file,
                        function.range,
                        format!(
                            "`risk` takes a class and a threat, found {} arguments",
                            args.len()
                        ),
                    )
                    .with_label("expected `risk(class, threat)`"),
                ),
            }
        }
    }
}
