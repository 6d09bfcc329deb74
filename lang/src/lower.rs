//! Lowering: pest's pairs into the owned, typed tree of `ast`.
//!
//! The grammar guarantees the shape of every pair, so a missing child here is a bug in this
//! file, not bad input. Rather than panic, such a child lowers to an empty name or an invalid
//! value (and a debug assertion fires in tests).

use std::net::IpAddr;

use pest::iterators::Pair;

use crate::ast::*;
use crate::syntax::Rule;
use crate::{ParseError, ParseErrorKind};

/// Lowers the pairs of one parse into items. `offset` is where the parsed text starts in
/// the file (the recovery loop parses declarations one by one).
pub(crate) struct Lowerer<'e> {
    pub offset: u32,
    pub errors: &'e mut Vec<ParseError>,
}

fn is_trivia(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::COMMENT
            | Rule::EOI
            | Rule::eq
            | Rule::colon
            | Rule::comma
            | Rule::lbrace
            | Rule::rbrace
            | Rule::lbracket
            | Rule::rbracket
            | Rule::lparen
            | Rule::rparen
    )
}

/// Where the last token of a pair ends, looking through trailing comments and the
/// whitespace that repetitions swallow, down to the last leaf.
fn content_end(pair: &Pair<'_, Rule>) -> usize {
    let last = pair
        .clone()
        .into_inner()
        .rev()
        .find(|p| !matches!(p.as_rule(), Rule::COMMENT | Rule::EOI));
    match last {
        Some(child) => content_end(&child),
        None => pair.as_span().end(),
    }
}

/// The children of a pair that carry meaning: comments and end-of-input markers skipped.
fn kids(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_trivia(p.as_rule()))
}

impl Lowerer<'_> {
    fn range(&self, pair: &Pair<'_, Rule>) -> TextRange {
        let span = pair.as_span();
        TextRange::new(
            self.offset + span.start() as u32,
            self.offset + span.end() as u32,
        )
    }

    /// The range of a pair without the whitespace and comments pest leaves at its end when an
    /// optional or repeated last part (`block?`, `(comma ~ name)*`) is absent.
    fn trimmed_range(&self, pair: &Pair<'_, Rule>) -> TextRange {
        let full = self.range(pair);
        TextRange::new(full.start, self.offset + content_end(pair) as u32)
    }

    fn error(&mut self, kind: ParseErrorKind, message: String, range: TextRange, help: &str) {
        self.errors.push(ParseError {
            kind,
            message,
            range,
            help: (!help.is_empty()).then(|| help.to_string()),
        });
    }

    /// Comments anywhere below `pair`, in order.
    pub fn comments(&self, pair: Pair<'_, Rule>, out: &mut Vec<Comment>) {
        for p in pair.into_inner().flatten() {
            if p.as_rule() != Rule::COMMENT {
                continue;
            }
            let kind = if p.as_str().starts_with("///") {
                CommentKind::Doc
            } else {
                CommentKind::Line
            };
            out.push(Comment {
                kind,
                text: p.as_str().trim_end().to_string(),
                range: self.range(&p),
            });
        }
    }

    pub fn decl(&mut self, pair: Pair<'_, Rule>) -> Option<Decl> {
        let range = self.trimmed_range(&pair);
        let mut kinds = kids(pair);
        let keyword = kinds.next()?;
        let kind = DeclKind::from_keyword(keyword.as_str())?;
        let mut decl = Decl {
            kind,
            name: None,
            title: None,
            flow: None,
            body: Vec::new(),
            has_block: false,
            docs: Vec::new(),
            range,
            broken: false,
        };
        for child in kinds {
            match child.as_rule() {
                Rule::name => decl.name = Some(self.ident(child)),
                Rule::title => decl.title = kids(child).next().map(|s| self.string(s)),
                Rule::flow_spec => decl.flow = Some(self.flow_spec(child)),
                Rule::block => {
                    decl.has_block = true;
                    decl.body = kids(child).filter_map(|s| self.stmt(s)).collect();
                }
                _ => debug_assert!(false, "unexpected {:?} in a declaration", child.as_rule()),
            }
        }
        Some(decl)
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            text: pair.as_str().to_string(),
            range: self.range(&pair),
        }
    }

    fn idents(&self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        kids(pair).map(|p| self.ident(p)).collect()
    }

    fn flow_spec(&mut self, pair: Pair<'_, Rule>) -> FlowSpec {
        let range = self.trimmed_range(&pair);
        let mut from = None;
        let mut to = None;
        let mut bidirectional = false;
        let mut ports = Vec::new();
        for child in kids(pair) {
            match child.as_rule() {
                Rule::name if from.is_none() => from = Some(self.ident(child)),
                Rule::name => to = Some(self.ident(child)),
                Rule::arrow => bidirectional = child.as_str() == "<->",
                Rule::port_list => {
                    ports = kids(child).map(|p| self.port_spec(p)).collect();
                }
                _ => debug_assert!(false, "unexpected {:?} in a flow", child.as_rule()),
            }
        }
        let empty = || Ident {
            text: String::new(),
            range,
        };
        FlowSpec {
            from: from.unwrap_or_else(empty),
            to: to.unwrap_or_else(empty),
            bidirectional,
            ports,
            range,
        }
    }

    fn port_spec(&mut self, pair: Pair<'_, Rule>) -> PortSpec {
        let range = self.range(&pair);
        let mut protocol = Ident {
            text: String::new(),
            range,
        };
        let mut ports = None;
        for child in kids(pair) {
            match child.as_rule() {
                Rule::name => protocol = self.ident(child),
                Rule::port_range => ports = self.port_range(child),
                _ => {}
            }
        }
        PortSpec {
            protocol,
            ports,
            range,
        }
    }

    fn port_range(&mut self, pair: Pair<'_, Rule>) -> Option<(u16, u16)> {
        let text = pair.as_str();
        if text == "any" {
            return None;
        }
        let range = self.range(&pair);
        let (lo, hi) = text.split_once('-').unwrap_or((text, text));
        match (lo.parse::<u16>(), hi.parse::<u16>()) {
            (Ok(lo), Ok(hi)) if lo <= hi => Some((lo, hi)),
            (Ok(_), Ok(_)) => {
                self.error(
                    ParseErrorKind::InvalidLiteral,
                    format!("port range `{text}` is empty"),
                    range,
                    "write the lower port first, as in `8000-8100`",
                );
                None
            }
            _ => {
                self.error(
                    ParseErrorKind::InvalidLiteral,
                    format!("`{text}` is not a port: ports go from 0 to 65535"),
                    range,
                    "",
                );
                None
            }
        }
    }

    fn stmt(&mut self, pair: Pair<'_, Rule>) -> Option<Stmt> {
        let range = self.trimmed_range(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            Rule::property => StmtKind::Property(self.property(pair)),
            Rule::mitigate_stmt => {
                let mut lists = kids(pair).filter(|p| p.as_rule() == Rule::name_list);
                let threats = lists.next().map(|l| self.idents(l)).unwrap_or_default();
                let mitigations = lists.next().map(|l| self.idents(l)).unwrap_or_default();
                StmtKind::Mitigate {
                    threats,
                    mitigations,
                }
            }
            Rule::accept_stmt => {
                let mut threats = Vec::new();
                let mut because = None;
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::name_list => threats = self.idents(child),
                        Rule::string => because = Some(self.string(child)),
                        _ => {}
                    }
                }
                StmtKind::Accept {
                    threats,
                    because: because.unwrap_or(StringLit {
                        value: String::new(),
                        range,
                    }),
                }
            }
            Rule::param_stmt => {
                let mut names = Vec::new();
                let mut default = None;
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::name => names.push(self.ident(child)),
                        Rule::kw_param => {}
                        _ => default = Some(self.value(child)),
                    }
                }
                let mut names = names.into_iter();
                let missing = || Ident {
                    text: String::new(),
                    range,
                };
                StmtKind::Param {
                    name: names.next().unwrap_or_else(missing),
                    ty: names.next().unwrap_or_else(missing),
                    default: default.unwrap_or(Value {
                        kind: ValueKind::Invalid,
                        range,
                    }),
                }
            }
            Rule::bound_stmt => {
                let mut path = Vec::new();
                let mut op = CmpOp::Le;
                let mut value = None;
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::kw_bound => {}
                        Rule::path => path = self.idents(child),
                        Rule::cmp_op => op = CmpOp::parse(child.as_str()).unwrap_or(op),
                        _ => value = Some(self.value(child)),
                    }
                }
                StmtKind::Bound {
                    path,
                    op,
                    value: value.unwrap_or(Value {
                        kind: ValueKind::Invalid,
                        range,
                    }),
                }
            }
            Rule::match_stmt => {
                let mut source = None;
                let mut pattern = MatchPattern::Fields(Vec::new());
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::name => source = Some(self.ident(child)),
                        Rule::string => pattern = MatchPattern::Text(self.string(child)),
                        Rule::field_block => {
                            pattern = MatchPattern::Fields(
                                kids(child).map(|p| self.property(p)).collect(),
                            );
                        }
                        _ => {}
                    }
                }
                StmtKind::Match {
                    source: source.unwrap_or(Ident {
                        text: String::new(),
                        range,
                    }),
                    pattern,
                }
            }
            Rule::when_stmt => {
                let mut metric = None;
                let mut op = CmpOp::Ge;
                let mut values = Vec::new();
                let mut group_by = Vec::new();
                let mut after_within = false;
                let mut window = None;
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::kw_when | Rule::kw_by => {}
                        Rule::kw_within => after_within = true,
                        Rule::name if metric.is_none() => metric = Some(self.ident(child)),
                        Rule::cmp_op => op = CmpOp::parse(child.as_str()).unwrap_or(op),
                        Rule::name_list => group_by = self.idents(child),
                        _ if after_within => window = Some(self.value(child)),
                        _ => values.push(self.value(child)),
                    }
                }
                StmtKind::When {
                    metric: metric.unwrap_or(Ident {
                        text: String::new(),
                        range,
                    }),
                    op,
                    threshold: values.into_iter().next().unwrap_or(Value {
                        kind: ValueKind::Invalid,
                        range,
                    }),
                    window,
                    group_by,
                }
            }
            Rule::then_stmt => {
                let mut actions = Vec::new();
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::action => actions.push(self.action(child)),
                        Rule::action_block => {
                            actions.extend(kids(child).map(|a| self.action(a)));
                        }
                        _ => {}
                    }
                }
                StmtKind::Then { actions }
            }
            Rule::flow_assert => {
                let mut verdict = None;
                let mut flow = None;
                let mut fields = Vec::new();
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::kw_allow | Rule::kw_deny | Rule::verdict_param => {
                            verdict = Some(self.ident(child));
                        }
                        Rule::flow_spec => flow = Some(self.flow_spec(child)),
                        Rule::field_block => {
                            fields = kids(child).map(|p| self.property(p)).collect();
                        }
                        _ => {}
                    }
                }
                StmtKind::FlowAssert {
                    verdict: verdict?,
                    flow: flow?,
                    fields,
                }
            }
            Rule::expect_detect => {
                let mut rule_name = None;
                let mut count = None;
                let mut input = None;
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::name => rule_name = Some(self.ident(child)),
                        Rule::kw_expect | Rule::kw_detect | Rule::kw_fires | Rule::kw_on => {}
                        _ if count.is_none() => count = Some(self.value(child)),
                        _ => input = Some(self.value(child)),
                    }
                }
                StmtKind::ExpectDetect {
                    rule: rule_name?,
                    count: count?,
                    input: input?,
                }
            }
            Rule::table_stmt => StmtKind::Table(self.table(pair)),
            Rule::expect_stmt => {
                let mut subject = None;
                let mut op = CmpOp::Eq;
                let mut value = None;
                for child in kids(pair) {
                    match child.as_rule() {
                        Rule::kw_expect => {}
                        Rule::path => subject = Some(ExpectSubject::Path(self.idents(child))),
                        Rule::call => {
                            let mut parts = kids(child);
                            let function = parts.next().map(|f| self.ident(f))?;
                            let args = parts.map(|a| self.value(a)).collect();
                            subject = Some(ExpectSubject::Call { function, args });
                        }
                        Rule::cmp_op => op = CmpOp::parse(child.as_str()).unwrap_or(op),
                        _ => value = Some(self.value(child)),
                    }
                }
                StmtKind::Expect {
                    subject: subject?,
                    op,
                    value: value?,
                }
            }
            _ => {
                debug_assert!(false, "unexpected {rule:?} in a block");
                return None;
            }
        };
        Some(Stmt { kind, range })
    }

    fn table(&mut self, pair: Pair<'_, Rule>) -> Table {
        let mut table = Table {
            params: Vec::new(),
            rows: Vec::new(),
            body: Vec::new(),
        };
        for child in kids(pair) {
            match child.as_rule() {
                Rule::table_params => table.params = self.idents(child),
                Rule::table_rows => {
                    for row in kids(child) {
                        let range = self.range(&row);
                        let cells = kids(row).map(|c| self.cell(c)).collect();
                        table.rows.push(Row { cells, range });
                    }
                }
                Rule::block => table.body = kids(child).filter_map(|s| self.stmt(s)).collect(),
                _ => {}
            }
        }
        table
    }

    fn cell(&mut self, pair: Pair<'_, Rule>) -> Cell {
        match pair.as_rule() {
            Rule::port_cell => Cell::Port(self.port_spec(pair)),
            _ => Cell::Value(self.value(pair)),
        }
    }

    fn property(&mut self, pair: Pair<'_, Rule>) -> Property {
        let range = self.range(&pair);
        let mut names = Vec::new();
        let mut value = None;
        let mut after_eq = false;
        // `eq` separates the key (and subject) from the value, which may itself be a name.
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::eq => after_eq = true,
                rule if is_trivia(rule) => {}
                Rule::name if !after_eq => names.push(self.ident(child)),
                _ => value = Some(self.value(child)),
            }
        }
        let mut names = names.into_iter();
        Property {
            key: names.next().unwrap_or(Ident {
                text: String::new(),
                range,
            }),
            subject: names.next(),
            value: value.unwrap_or(Value {
                kind: ValueKind::Invalid,
                range,
            }),
        }
    }

    fn action(&mut self, pair: Pair<'_, Rule>) -> Action {
        let range = self.range(&pair);
        let mut parts = kids(pair);
        let name = parts.next().map(|n| self.ident(n)).unwrap_or(Ident {
            text: String::new(),
            range,
        });
        let args = parts.map(|a| self.value(a)).collect();
        Action { name, args, range }
    }

    fn string(&mut self, pair: Pair<'_, Rule>) -> StringLit {
        let range = self.range(&pair);
        let inner = kids(pair).next();
        let value = match inner {
            Some(raw) if raw.as_rule() == Rule::raw_string => {
                let text = raw.as_str();
                text.get(3..text.len().saturating_sub(3))
                    .unwrap_or_default()
                    .to_string()
            }
            Some(quoted) => self.unescape(quoted.as_str(), range),
            None => String::new(),
        };
        StringLit { value, range }
    }

    /// Decodes `\"`, `\\`, `\n`, `\t`, `\r`, `\0` and `\u{...}` in a quoted string.
    fn unescape(&mut self, quoted: &str, range: TextRange) -> String {
        let body = quoted
            .get(1..quoted.len().saturating_sub(1))
            .unwrap_or_default();
        if !body.contains('\\') {
            return body.to_string();
        }
        let mut out = String::with_capacity(body.len());
        let mut chars = body.char_indices();
        while let Some((at, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let escape_start = range.start + 1 + at as u32;
            match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '0')) => out.push('\0'),
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'u')) => {
                    let rest = &body[at + 2..];
                    let decoded = rest
                        .strip_prefix('{')
                        .and_then(|r| r.split_once('}'))
                        .and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok().map(|v| (hex, v)))
                        .and_then(|(hex, v)| char::from_u32(v).map(|c| (hex.len(), c)));
                    match decoded {
                        Some((hex_len, ch)) => {
                            out.push(ch);
                            for _ in 0..hex_len + 2 {
                                chars.next();
                            }
                        }
                        None => self.error(
                            ParseErrorKind::InvalidLiteral,
                            "invalid unicode escape".to_string(),
                            TextRange::new(escape_start, escape_start + 2),
                            "write a unicode escape as `\\u{1F512}`",
                        ),
                    }
                }
                Some((_, other)) => {
                    self.error(
                        ParseErrorKind::InvalidLiteral,
                        format!("unknown escape `\\{other}` in a string"),
                        TextRange::new(escape_start, escape_start + 1 + other.len_utf8() as u32),
                        "the escapes are \\\" \\\\ \\n \\t \\r \\0 and \\u{...}; \
                         regexes are written /like this/ and need no doubled backslashes",
                    );
                    out.push(other);
                }
                None => {}
            }
        }
        out
    }

    pub fn value(&mut self, pair: Pair<'_, Rule>) -> Value {
        let range = self.range(&pair);
        let text = pair.as_str();
        let kind = match pair.as_rule() {
            Rule::name | Rule::value_name => ValueKind::Name(text.to_string()),
            Rule::string => ValueKind::Str(self.string(pair).value),
            Rule::integer => match text.parse::<i64>() {
                Ok(n) => ValueKind::Int(n),
                Err(_) => {
                    self.error(
                        ParseErrorKind::InvalidLiteral,
                        format!("integer `{text}` is too large"),
                        range,
                        "",
                    );
                    ValueKind::Invalid
                }
            },
            Rule::duration => match parse_duration(text) {
                Some(ms) => ValueKind::Duration(ms),
                None => {
                    self.error(
                        ParseErrorKind::InvalidLiteral,
                        format!("duration `{text}` is too large"),
                        range,
                        "",
                    );
                    ValueKind::Invalid
                }
            },
            Rule::regex => {
                let close = text.rfind('/').unwrap_or(text.len());
                let pattern = text.get(1..close).unwrap_or_default().replace("\\/", "/");
                let flags = text.get(close + 1..).unwrap_or_default().to_string();
                ValueKind::Regex {
                    pattern,
                    flags,
                    pattern_start: range.start + 1,
                }
            }
            Rule::ipv4 | Rule::ipv6 => self.address(text, range),
            Rule::date => match crate::time::Timestamp::parse(text) {
                Ok(timestamp) => ValueKind::Date(timestamp),
                Err(crate::time::DateError(why)) => {
                    self.error(
                        ParseErrorKind::InvalidLiteral,
                        format!("`{text}` is not a date: {why}"),
                        range,
                        "a date is `2027-06-30` (the day's start, UTC) or `2027-06-30T18:00Z`",
                    );
                    ValueKind::Invalid
                }
            },
            Rule::list => ValueKind::List(kids(pair).map(|v| self.value(v)).collect()),
            other => {
                debug_assert!(false, "unexpected {other:?} as a value");
                ValueKind::Invalid
            }
        };
        Value { kind, range }
    }

    fn address(&mut self, text: &str, range: TextRange) -> ValueKind {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let Ok(ip) = addr.parse::<IpAddr>() else {
            let family = if text.contains(':') { "IPv6" } else { "IPv4" };
            self.error(
                ParseErrorKind::InvalidLiteral,
                format!("`{addr}` is not a valid {family} address"),
                range,
                if family == "IPv4" {
                    "an IPv4 address is four numbers from 0 to 255, as in `10.20.2.1`"
                } else {
                    "an IPv6 address looks like `fd00::1` or `2001:db8::/32`"
                },
            );
            return ValueKind::Invalid;
        };
        let Some(prefix) = prefix else {
            return ValueKind::Ip(ip);
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        match prefix.parse::<u8>() {
            Ok(len) if len <= max => ValueKind::Cidr(ip, len),
            _ => {
                self.error(
                    ParseErrorKind::InvalidLiteral,
                    format!("prefix length `/{prefix}` is out of range"),
                    range,
                    if max == 32 {
                        "an IPv4 prefix length goes from 0 to 32"
                    } else {
                        "an IPv6 prefix length goes from 0 to 128"
                    },
                );
                ValueKind::Invalid
            }
        }
    }
}

/// `90s`, `10m`, `1h30m`, `-5m`, `250ms` into milliseconds; `None` on overflow.
pub fn parse_duration(text: &str) -> Option<i64> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let amount: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit_ms, unit_len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            let unit = match rest.as_bytes().first()? {
                b's' => 1_000,
                b'm' => 60_000,
                b'h' => 3_600_000,
                b'd' => 86_400_000,
                b'w' => 604_800_000,
                _ => return None,
            };
            (unit, 1)
        };
        total = total.checked_add(amount.checked_mul(unit_ms)?)?;
        rest = &rest[unit_len..];
    }
    Some(if negative { -total } else { total })
}
