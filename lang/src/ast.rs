//! The typed syntax tree of a ward file.
//!
//! Every node carries the byte range it came from, so diagnostics, the formatter and the
//! language server can point back into the text. No pest type leaks out of this crate: the
//! tree owns its strings.

use std::fmt;
use std::net::IpAddr;

/// A byte range `start..end` in one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: u32, end: u32) -> Self {
        Self { start, end }
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset < self.end
    }

    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn as_usize(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A parsed file: its declarations (broken ones as [`Item::Error`]) and all its comments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceFile {
    pub items: Vec<Item>,
    /// Every comment of the file, `//` and `///`, in source order.
    pub comments: Vec<Comment>,
}

impl SourceFile {
    /// The well-formed declarations, skipping error nodes.
    pub fn decls(&self) -> impl Iterator<Item = &Decl> {
        self.items.iter().filter_map(|item| match item {
            Item::Decl(decl) => Some(decl),
            Item::Error(_) => None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommentKind {
    /// `// ...`
    Line,
    /// `/// ...`: documentation of the declaration that follows.
    Doc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub kind: CommentKind,
    /// The whole comment, including its leading slashes.
    pub text: String,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every item is a declaration; boxing them would only add indirection"
)]
pub enum Item {
    Decl(Decl),
    /// A declaration that did not parse; the parse errors say why.
    Error(ErrorNode),
}

impl Item {
    pub fn range(&self) -> TextRange {
        match self {
            Item::Decl(decl) => decl.range,
            Item::Error(error) => error.range,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorNode {
    pub range: TextRange,
}

/// The kinds of top-level declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeclKind {
    Threat,
    Mitigation,
    Capability,
    Profile,
    Environment,
    Class,
    Service,
    Gateway,
    Segment,
    Flow,
    Detect,
    Test,
    /// A risk accepted or a finding waived for a class, with a reason, an owner and an
    /// expiry date.
    Waiver,
}

impl DeclKind {
    pub const ALL: [DeclKind; 13] = [
        DeclKind::Threat,
        DeclKind::Mitigation,
        DeclKind::Capability,
        DeclKind::Profile,
        DeclKind::Environment,
        DeclKind::Class,
        DeclKind::Service,
        DeclKind::Gateway,
        DeclKind::Segment,
        DeclKind::Flow,
        DeclKind::Detect,
        DeclKind::Test,
        DeclKind::Waiver,
    ];

    /// The keyword that starts the declaration.
    pub fn keyword(self) -> &'static str {
        match self {
            DeclKind::Threat => "threat",
            DeclKind::Mitigation => "mitigation",
            DeclKind::Capability => "capability",
            DeclKind::Profile => "profile",
            DeclKind::Environment => "environment",
            DeclKind::Class => "class",
            DeclKind::Service => "service",
            DeclKind::Gateway => "gateway",
            DeclKind::Segment => "segment",
            DeclKind::Flow => "flow",
            DeclKind::Detect => "detect",
            DeclKind::Test => "test",
            DeclKind::Waiver => "waiver",
        }
    }

    /// How the kind is called in messages ("a detection rule").
    pub fn noun(self) -> &'static str {
        match self {
            DeclKind::Threat => "threat",
            DeclKind::Mitigation => "mitigation",
            DeclKind::Capability => "capability",
            DeclKind::Profile => "security profile",
            DeclKind::Environment => "environment",
            DeclKind::Class => "class",
            DeclKind::Service => "service",
            DeclKind::Gateway => "management gateway",
            DeclKind::Segment => "segment",
            DeclKind::Flow => "flow",
            DeclKind::Detect => "detection rule",
            DeclKind::Test => "test",
            DeclKind::Waiver => "waiver",
        }
    }

    /// The noun with its article: "a class", "an environment".
    pub fn with_article(self) -> String {
        let noun = self.noun();
        let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {noun}")
    }

    pub fn from_keyword(word: &str) -> Option<DeclKind> {
        DeclKind::ALL
            .into_iter()
            .find(|kind| kind.keyword() == word)
    }
}

impl fmt::Display for DeclKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

/// A name as written, with its range.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub text: String,
    pub range: TextRange,
}

/// A string literal: its decoded value and its range (quotes included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringLit {
    pub value: String,
    pub range: TextRange,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decl {
    pub kind: DeclKind,
    /// The name: absent for flows and tests, which have no name of their own.
    pub name: Option<Ident>,
    /// The title string after the name, or a test's description.
    pub title: Option<StringLit>,
    /// The endpoints and ports of a flow declaration.
    pub flow: Option<FlowSpec>,
    /// The statements of the block (empty when there is none).
    pub body: Vec<Stmt>,
    /// Whether a `{ ... }` block was written.
    pub has_block: bool,
    /// The text of the `///` comments just above the declaration, one line each, without
    /// the slashes.
    pub docs: Vec<String>,
    /// From the keyword to the closing brace; doc comments are not included.
    pub range: TextRange,
    /// A syntax error follows on its last line (`flow a -> b : tcp/443, { via = gw }`): what
    /// parsed is only part of what was written, so the checks that judge the whole stay
    /// silent rather than report what the error already explains.
    pub broken: bool,
}

impl Decl {
    /// The first property with this key, if any.
    pub fn property(&self, key: &str) -> Option<&Property> {
        self.properties().find(|p| p.key.text == key)
    }

    pub fn properties(&self) -> impl Iterator<Item = &Property> {
        self.body.iter().filter_map(|stmt| match &stmt.kind {
            StmtKind::Property(property) => Some(property),
            _ => None,
        })
    }

    /// The patterns of a class's `match mud "..."` statements, in order.
    pub fn mud_patterns(&self) -> impl Iterator<Item = &StringLit> {
        self.body.iter().filter_map(|stmt| match &stmt.kind {
            StmtKind::Match {
                source,
                pattern: MatchPattern::Text(url),
            } if source.text == "mud" => Some(url),
            _ => None,
        })
    }

    /// A label for messages: the name, a flow's endpoints or a test's description.
    pub fn label(&self) -> String {
        if let Some(name) = &self.name {
            return name.text.clone();
        }
        if let Some(flow) = &self.flow {
            return flow.to_string();
        }
        self.title
            .as_ref()
            .map(|title| format!("{:?}", title.value))
            .unwrap_or_default()
    }
}

/// `a -> b : tcp/443, udp/53`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSpec {
    pub from: Ident,
    pub to: Ident,
    /// `<->`: traffic in both directions.
    pub bidirectional: bool,
    pub ports: Vec<PortSpec>,
    pub range: TextRange,
}

impl fmt::Display for FlowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = if self.bidirectional { "<->" } else { "->" };
        write!(f, "{} {arrow} {}", self.from.text, self.to.text)?;
        for (i, port) in self.ports.iter().enumerate() {
            f.write_str(if i == 0 { " : " } else { ", " })?;
            write!(f, "{port}")?;
        }
        Ok(())
    }
}

/// `tcp/443`, `udp/5683-5684`, `icmp`, `tcp/any`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub protocol: Ident,
    /// `None` means any port.
    pub ports: Option<(u16, u16)>,
    pub range: TextRange,
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.protocol.text)?;
        match self.ports {
            Some((lo, hi)) if lo == hi => write!(f, "/{lo}"),
            Some((lo, hi)) => write!(f, "/{lo}-{hi}"),
            None => Ok(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    /// `key = value` or `key subject = value` (`likelihood T22 = low`).
    Property(Property),
    /// `mitigate T5, T6 with M2, M3`
    Mitigate {
        threats: Vec<Ident>,
        mitigations: Vec<Ident>,
    },
    /// `accept T23, T24 because "the ISP answers for the uplink"`
    Accept {
        threats: Vec<Ident>,
        because: StringLit,
    },
    /// `param refresh: duration = 90d`
    Param {
        name: Ident,
        ty: Ident,
        default: Value,
    },
    /// `bound M11.refresh <= 30d`
    Bound {
        path: Vec<Ident>,
        op: CmpOp,
        value: Value,
    },
    /// `match mud "https://..."` or `match syslog { app = /sshd/ }`
    Match {
        source: Ident,
        pattern: MatchPattern,
    },
    /// `when count >= 5 within 10m by src`
    When {
        metric: Ident,
        op: CmpOp,
        threshold: Value,
        window: Option<Value>,
        group_by: Vec<Ident>,
    },
    /// `then { report user, platform; quarantine }`
    Then { actions: Vec<Action> },
    /// `allow flow a -> b : tcp/443` / `deny flow ... { action = unlock }` in a test. The
    /// verdict is a word (`allow`, `deny`, or a table's parameter); see [`Verdict`].
    FlowAssert {
        verdict: Ident,
        flow: FlowSpec,
        /// The block after the flow: `action = unlock` names the operation Cedar is asked
        /// about.
        fields: Vec<Property>,
    },
    /// `expect a.profile == SecProf_2`, `expect risk(a, T7) == high`
    Expect {
        subject: ExpectSubject,
        op: CmpOp,
        value: Value,
    },
    /// `expect detect ssh_bruteforce fires 1 on """..."""`; in a table, the count and the
    /// lines may be parameters (names until the row's values are put in).
    ExpectDetect {
        rule: Ident,
        count: Value,
        input: Value,
    },
    /// `for (verdict, source) in [(allow, app), (deny, button)] { ... }`: the assertions of
    /// the body once per row (see `table.rs`).
    Table(Table),
}

/// A test's table: parameters, rows of values, and the assertions they are put into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub params: Vec<Ident>,
    pub rows: Vec<Row>,
    pub body: Vec<Stmt>,
}

/// `(allow, resident_app, tcp/8883)`, or a single value for a one-parameter table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Value(Value),
    /// `tcp/8883`: only a table's row holds a port as a value.
    Port(PortSpec),
}

impl Cell {
    pub fn range(&self) -> TextRange {
        match self {
            Cell::Value(v) => v.range,
            Cell::Port(p) => p.range,
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Cell::Value(v) => v.kind.describe(),
            Cell::Port(_) => "a port",
        }
    }
}

/// What a flow assertion's verdict word means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
}

impl Verdict {
    pub fn parse(word: &str) -> Option<Verdict> {
        match word {
            "allow" => Some(Verdict::Allow),
            "deny" => Some(Verdict::Deny),
            _ => None,
        }
    }
}

impl StmtKind {
    /// The word that names the statement in messages.
    pub fn describe(&self) -> &'static str {
        match self {
            StmtKind::Property(_) => "property",
            StmtKind::Mitigate { .. } => "`mitigate`",
            StmtKind::Accept { .. } => "`accept`",
            StmtKind::Param { .. } => "`param`",
            StmtKind::Bound { .. } => "`bound`",
            StmtKind::Match { .. } => "`match`",
            StmtKind::When { .. } => "`when`",
            StmtKind::Then { .. } => "`then`",
            StmtKind::FlowAssert { .. } => "flow assertion",
            StmtKind::Expect { .. } | StmtKind::ExpectDetect { .. } => "`expect`",
            StmtKind::Table(_) => "`for`",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    pub key: Ident,
    pub subject: Option<Ident>,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatchPattern {
    Text(StringLit),
    Fields(Vec<Property>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub name: Ident,
    pub args: Vec<Value>,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectSubject {
    /// `door_lock.profile`
    Path(Vec<Ident>),
    /// `risk(door_lock, T7)`
    Call { function: Ident, args: Vec<Value> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    pub fn parse(text: &str) -> Option<CmpOp> {
        Some(match text {
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            "==" => CmpOp::Eq,
            "!=" => CmpOp::Ne,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub kind: ValueKind,
    pub range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A name: a reference to a declaration or an enum word such as `low`.
    Name(String),
    Str(String),
    Int(i64),
    /// A duration in milliseconds (may be negative: the checker reports it).
    Duration(i64),
    Regex {
        pattern: String,
        flags: String,
        /// Where the pattern itself starts (after the opening `/`), for error columns.
        pattern_start: u32,
    },
    Ip(IpAddr),
    Cidr(IpAddr, u8),
    /// `2027-06-30` or `2027-06-30T18:00Z`, in UTC.
    Date(crate::time::Timestamp),
    List(Vec<Value>),
    /// A literal that could not be decoded; the parse errors say why.
    Invalid,
}

impl ValueKind {
    /// How the kind of value is called in messages.
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Name(_) => "a name",
            ValueKind::Str(_) => "a string",
            ValueKind::Int(_) => "an integer",
            ValueKind::Duration(_) => "a duration",
            ValueKind::Regex { .. } => "a regex",
            ValueKind::Ip(_) => "an IP address",
            ValueKind::Cidr(..) => "a CIDR prefix",
            ValueKind::Date(_) => "a date",
            ValueKind::List(_) => "a list",
            ValueKind::Invalid => "an invalid value",
        }
    }
}
