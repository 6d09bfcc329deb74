//! Tables in tests: the assertions of a `for` statement, once per row.
//!
//! ```text
//! for (verdict, source) in [(allow, resident_app), (deny, banana_button)] {
//!   verdict flow source -> front_door_lock : tcp/8883
//! }
//! ```
//!
//! Expansion is syntactic: in each assertion of the body, a name equal to a parameter is
//! replaced by the row's value, which keeps the row's range, so that a message about it (an
//! unknown class, a value of the wrong kind, a failing case) points at the row and not at the
//! body. The checker, the test runner and the editor all expand through here, so they agree
//! on what a row means. A parameter shadows a declaration of the same name inside its table.

use crate::ast::*;

/// One assertion to decide: a plain statement of a test, or a table's statement with one
/// row's values put in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub stmt: Stmt,
    pub row: Option<RowRef>,
}

/// Which row of its table an instance comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRef {
    /// From 1, as people count rows.
    pub number: usize,
    pub range: TextRange,
}

/// What is wrong with a table. Rows with an error produce no instance (for the assertion
/// concerned), so that the rest of the table still runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableError {
    /// A row with another number of values than the table has parameters.
    Arity {
        row: usize,
        range: TextRange,
        found: usize,
        expected: usize,
    },
    /// A parameter named twice.
    DuplicateParam { name: String, range: TextRange },
    /// A row's value of a kind that cannot stand where its parameter is used (a port as a
    /// class, an integer as a verdict).
    CellKind {
        param: String,
        range: TextRange,
        found: &'static str,
        expected: &'static str,
    },
    /// A parameter the body never uses: its column is ignored, which is most likely a slip.
    UnusedParam { name: String, range: TextRange },
    /// A table in a table's body.
    Nested { range: TextRange },
}

/// The assertions of a test's body, tables expanded, in source order (row by row within a
/// table: all of row 1's assertions, then row 2's).
pub fn instances(body: &[Stmt]) -> (Vec<Instance>, Vec<TableError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for stmt in body {
        match &stmt.kind {
            StmtKind::Table(table) => expand(table, &mut out, &mut errors),
            _ => out.push(Instance {
                stmt: stmt.clone(),
                row: None,
            }),
        }
    }
    (out, errors)
}

fn expand(table: &Table, out: &mut Vec<Instance>, errors: &mut Vec<TableError>) {
    for (i, param) in table.params.iter().enumerate() {
        if table.params[..i].iter().any(|p| p.text == param.text) {
            errors.push(TableError::DuplicateParam {
                name: param.text.clone(),
                range: param.range,
            });
        }
    }
    let mut used = vec![false; table.params.len()];
    for stmt in &table.body {
        if matches!(stmt.kind, StmtKind::Table(_)) {
            errors.push(TableError::Nested { range: stmt.range });
            continue;
        }
        let mut mark = |name: &str| {
            if let Some(i) = table.params.iter().position(|p| p.text == name) {
                used[i] = true;
            }
            None
        };
        let _ = substitute(stmt, &mut mark);
    }
    for (i, (param, used)) in table.params.iter().zip(&used).enumerate() {
        let duplicate = table.params[..i].iter().any(|p| p.text == param.text);
        if !used && !duplicate {
            errors.push(TableError::UnusedParam {
                name: param.text.clone(),
                range: param.range,
            });
        }
    }
    for (index, row) in table.rows.iter().enumerate() {
        let number = index + 1;
        if row.cells.len() != table.params.len() {
            errors.push(TableError::Arity {
                row: number,
                range: row.range,
                found: row.cells.len(),
                expected: table.params.len(),
            });
            continue;
        }
        for stmt in &table.body {
            if matches!(stmt.kind, StmtKind::Table(_)) {
                continue;
            }
            let mut lookup = |name: &str| {
                let i = table.params.iter().position(|p| p.text == name)?;
                Some((name.to_string(), row.cells.get(i)?.clone()))
            };
            match substitute(stmt, &mut lookup) {
                Ok(stmt) => out.push(Instance {
                    stmt,
                    row: Some(RowRef {
                        number,
                        range: row.range,
                    }),
                }),
                Err(error) => errors.push(error),
            }
        }
    }
}

/// Answers whether a name is a parameter, with its value in the current row.
type Lookup<'a> = dyn FnMut(&str) -> Option<(String, Cell)> + 'a;

/// A copy of `stmt` with the row's values in place of the parameters.
fn substitute(stmt: &Stmt, lookup: &mut Lookup<'_>) -> Result<Stmt, TableError> {
    let kind = match &stmt.kind {
        StmtKind::FlowAssert {
            verdict,
            flow,
            fields,
        } => StmtKind::FlowAssert {
            verdict: ident(verdict, lookup)?,
            flow: FlowSpec {
                from: ident(&flow.from, lookup)?,
                to: ident(&flow.to, lookup)?,
                bidirectional: flow.bidirectional,
                ports: flow
                    .ports
                    .iter()
                    .map(|p| port(p, lookup))
                    .collect::<Result<_, _>>()?,
                range: flow.range,
            },
            fields: fields
                .iter()
                .map(|f| {
                    Ok(Property {
                        key: f.key.clone(),
                        subject: f.subject.clone(),
                        value: value(&f.value, lookup)?,
                    })
                })
                .collect::<Result<_, _>>()?,
        },
        StmtKind::Expect {
            subject,
            op,
            value: expected,
        } => StmtKind::Expect {
            subject: match subject {
                // `CLASS.attribute`: a row gives the class; the attribute is a word of the
                // language (`profile`, `level`), never a table's name, even one spelled so.
                ExpectSubject::Path(path) => ExpectSubject::Path(
                    path.iter()
                        .enumerate()
                        .map(|(i, p)| {
                            if i == 0 {
                                ident(p, lookup)
                            } else {
                                Ok(p.clone())
                            }
                        })
                        .collect::<Result<_, _>>()?,
                ),
                ExpectSubject::Call { function, args } => ExpectSubject::Call {
                    function: function.clone(),
                    args: args
                        .iter()
                        .map(|a| value(a, lookup))
                        .collect::<Result<_, _>>()?,
                },
            },
            op: *op,
            value: value(expected, lookup)?,
        },
        StmtKind::ExpectDetect { rule, count, input } => StmtKind::ExpectDetect {
            rule: ident(rule, lookup)?,
            count: value(count, lookup)?,
            input: value(input, lookup)?,
        },
        other => other.clone(),
    };
    Ok(Stmt {
        kind,
        range: stmt.range,
    })
}

fn mismatch(param: String, cell: &Cell, expected: &'static str) -> TableError {
    TableError::CellKind {
        param,
        range: cell.range(),
        found: cell.describe(),
        expected,
    }
}

/// A name position: the row's value must be a name.
fn ident(name: &Ident, lookup: &mut Lookup<'_>) -> Result<Ident, TableError> {
    match lookup(&name.text) {
        None => Ok(name.clone()),
        Some((
            _,
            Cell::Value(Value {
                kind: ValueKind::Name(text),
                range,
            }),
        )) => Ok(Ident { text, range }),
        Some((param, cell)) => Err(mismatch(param, &cell, "a name")),
    }
}

/// A value position: any value of the row, but not a port.
fn value(found: &Value, lookup: &mut Lookup<'_>) -> Result<Value, TableError> {
    let ValueKind::Name(name) = &found.kind else {
        return Ok(found.clone());
    };
    match lookup(name) {
        None => Ok(found.clone()),
        Some((_, Cell::Value(v))) => Ok(v),
        Some((param, cell)) => Err(mismatch(param, &cell, "a value")),
    }
}

/// A port position: `: port` with no number of its own takes the row's `tcp/443`, or a bare
/// protocol such as `icmp`.
fn port(spec: &PortSpec, lookup: &mut Lookup<'_>) -> Result<PortSpec, TableError> {
    if spec.ports.is_some() {
        return Ok(spec.clone());
    }
    match lookup(&spec.protocol.text) {
        None => Ok(spec.clone()),
        Some((_, Cell::Port(p))) => Ok(p),
        Some((
            _,
            Cell::Value(Value {
                kind: ValueKind::Name(text),
                range,
            }),
        )) => Ok(PortSpec {
            protocol: Ident { text, range },
            ports: None,
            range,
        }),
        Some((param, cell)) => Err(mismatch(param, &cell, "a port such as `tcp/443`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn body(text: &str) -> Vec<Stmt> {
        let parsed = parse(text);
        assert!(!parsed.has_errors(), "{:?}", parsed.errors);
        parsed.file.decls().next().expect("a test").body.clone()
    }

    fn flow_of(instance: &Instance) -> (String, String, String, Vec<String>) {
        let StmtKind::FlowAssert { verdict, flow, .. } = &instance.stmt.kind else {
            panic!("not a flow assertion: {instance:?}");
        };
        (
            verdict.text.clone(),
            flow.from.text.clone(),
            flow.to.text.clone(),
            flow.ports.iter().map(|p| p.to_string()).collect(),
        )
    }

    #[test]
    fn each_row_is_its_own_assertion_with_the_rows_ranges() {
        let text = r#"test "t" {
  allow flow a -> b : tcp/1
  for (verdict, source, port) in [
    (allow, app, tcp/8883),
    (deny, button, udp/5683-5684),
    (deny, tv, icmp),
  ] {
    verdict flow source -> lock : port
  }
}"#;
        let (instances, errors) = instances(&body(text));
        assert!(errors.is_empty(), "{errors:?}");
        let flows: Vec<_> = instances.iter().map(flow_of).collect();
        assert_eq!(
            flows,
            vec![
                ("allow".into(), "a".into(), "b".into(), vec!["tcp/1".into()]),
                (
                    "allow".into(),
                    "app".into(),
                    "lock".into(),
                    vec!["tcp/8883".into()]
                ),
                (
                    "deny".into(),
                    "button".into(),
                    "lock".into(),
                    vec!["udp/5683-5684".into()]
                ),
                (
                    "deny".into(),
                    "tv".into(),
                    "lock".into(),
                    vec!["icmp".into()]
                ),
            ]
        );
        assert_eq!(instances[0].row, None);
        let second = instances[2].row.expect("a row");
        assert_eq!(second.number, 2);
        assert_eq!(
            &text[second.range.as_usize()],
            "(deny, button, udp/5683-5684)"
        );
        // The substituted name points at the row's cell.
        let StmtKind::FlowAssert { flow, .. } = &instances[2].stmt.kind else {
            unreachable!()
        };
        assert_eq!(&text[flow.from.range.as_usize()], "button");
    }

    #[test]
    fn one_parameter_rows_expects_and_detections() {
        let text = r#"test "t" {
  for class in [lamp, plug] {
    expect class.profile == SecProf_1
    expect risk(class, T7) == low
  }
  for (n, lines) in [(1, """a"""), (0, "b")] {
    expect detect brute fires n on lines
  }
}"#;
        let (instances, errors) = instances(&body(text));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(instances.len(), 6);
        let StmtKind::Expect {
            subject: ExpectSubject::Call { args, .. },
            ..
        } = &instances[3].stmt.kind
        else {
            panic!("{:?}", instances[3]);
        };
        assert_eq!(args[0].kind, ValueKind::Name("plug".into()));
        let StmtKind::ExpectDetect { count, input, .. } = &instances[5].stmt.kind else {
            panic!("{:?}", instances[5]);
        };
        assert_eq!(count.kind, ValueKind::Int(0));
        assert_eq!(input.kind, ValueKind::Str("b".into()));
    }

    #[test]
    fn a_name_spelled_like_an_attribute_gives_the_class_and_the_value_not_the_attribute() {
        let text = r#"test "t" {
  for (profile, level) in [(lamp, 3)] {
    expect profile.profile == SecProf_3
    expect profile.level == level
  }
}"#;
        let (instances, errors) = instances(&body(text));
        assert!(errors.is_empty(), "{errors:?}");
        let paths: Vec<(Vec<&str>, &ValueKind)> = instances
            .iter()
            .map(|i| match &i.stmt.kind {
                StmtKind::Expect {
                    subject: ExpectSubject::Path(path),
                    value,
                    ..
                } => (path.iter().map(|p| p.text.as_str()).collect(), &value.kind),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(paths[0].0, ["lamp", "profile"]);
        assert_eq!(paths[1].0, ["lamp", "level"]);
        assert_eq!(paths[1].1, &ValueKind::Int(3));
    }

    #[test]
    fn bad_tables_say_what_is_wrong_and_keep_the_good_rows() {
        let text = r#"test "t" {
  for (source, source, unused) in [(a, b, c), (a, b), (tcp/443, b, c)] {
    deny flow source -> lock
    for x in [y] { deny flow x -> lock }
  }
}"#;
        let (instances, errors) = instances(&body(text));
        let kinds: Vec<&str> = errors
            .iter()
            .map(|e| match e {
                TableError::Arity { .. } => "arity",
                TableError::DuplicateParam { .. } => "duplicate",
                TableError::CellKind { .. } => "kind",
                TableError::UnusedParam { .. } => "unused",
                TableError::Nested { .. } => "nested",
            })
            .collect();
        assert_eq!(kinds, ["duplicate", "nested", "unused", "arity", "kind"]);
        // Row 1 runs (the first `source` wins), rows 2 and 3 do not.
        assert_eq!(instances.len(), 1);
        assert_eq!(flow_of(&instances[0]).1, "a");
    }
}
