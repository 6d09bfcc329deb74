//! What each kind of declaration may contain: its statements, its properties and the type of
//! each property's value. The grammar accepts any property in any block; this table decides,
//! so that a misplaced key gets a message naming the declaration and the keys it does take.

use ward_lang::ast::DeclKind;

/// A fixed set of words, such as the levels `low`, `moderate`, `high`.
#[derive(Debug)]
pub struct Vocabulary {
    /// What a word of the set is called in messages: "level", "threat target".
    pub what: &'static str,
    pub words: &'static [&'static str],
}

impl Vocabulary {
    pub fn contains(&self, word: &str) -> bool {
        self.words.contains(&word)
    }

    /// "an action", "a level".
    pub fn with_article(&self) -> String {
        let vowel = self.what.starts_with(['a', 'e', 'i', 'o', 'u']);
        format!("{} {}", if vowel { "an" } else { "a" }, self.what)
    }
}

pub static LEVELS: Vocabulary = Vocabulary {
    what: "level",
    words: &["low", "moderate", "high"],
};
/// fig31's columns: T-arch, T-dev, T-nwk, T-app.
pub static TARGETS: Vocabulary = Vocabulary {
    what: "threat target",
    words: &["arch", "device", "network", "application"],
};
/// fig32's columns: L-make, L-conf, L-oper, L-upd, L-dec, L-after.
pub static LIFECYCLE: Vocabulary = Vocabulary {
    what: "lifecycle moment",
    words: &[
        "make",
        "commission",
        "operation",
        "update",
        "decommission",
        "after_decommission",
    ],
};
pub static COMMUNICATION: Vocabulary = Vocabulary {
    what: "communication direction",
    words: &["unidirectional", "bidirectional", "mixed"],
};
pub static GATEWAY_USE: Vocabulary = Vocabulary {
    what: "gateway use",
    words: &["none", "optional", "required"],
};
/// The application areas of section 10's profiles (fig6), and the deployment scope of an
/// environment: private homes, or industrial and commercial sites.
pub static AREAS: Vocabulary = Vocabulary {
    what: "application area",
    words: &["home", "industrial"],
};
/// How much of a thing a central service manages: SecProf_1 "unmanaged", SecProf_3
/// "unmanaged or partially managed", SecProf_2 "managed", SecProf_4 "fully managed".
pub static MANAGEMENT: Vocabulary = Vocabulary {
    what: "management",
    words: &["unmanaged", "partial", "managed"],
};
/// What PASC does with a fetched MUD file whose signature (RFC 8520 section 13) is missing or
/// does not verify: refuse the thing, place it in quarantine, or onboard it as the file says.
pub static MUD_SIGNATURE_RULES: Vocabulary = Vocabulary {
    what: "MUD signature rule",
    words: &["required", "quarantine", "optional"],
};
pub static BOOLEANS: Vocabulary = Vocabulary {
    what: "truth value",
    words: &["true", "false"],
};
/// What a class of things does (section 10.1 groups things "by function").
pub static FUNCTIONS: Vocabulary = Vocabulary {
    what: "function",
    words: &[
        "sensing",
        "actuation",
        "control",
        "monitoring",
        "access_control",
        "surveillance",
        "ordering",
        "media",
        "infrastructure",
    ],
};
/// Personal data a class handles, for the privacy impact assessment.
pub static PERSONAL_DATA: Vocabulary = Vocabulary {
    what: "kind of personal data",
    words: &[
        "location",
        "presence",
        "health",
        "identity",
        "audio",
        "video",
        "behaviour",
    ],
};
pub static SEVERITIES: Vocabulary = Vocabulary {
    what: "severity",
    words: &["info", "low", "medium", "high", "critical"],
};
pub static PROTOCOLS: Vocabulary = Vocabulary {
    what: "protocol",
    words: &["tcp", "udp", "icmp", "icmpv6", "any"],
};
/// Fields of an RFC 5424 syslog message that a detection rule can match.
pub static SYSLOG_FIELDS: Vocabulary = Vocabulary {
    what: "syslog field",
    words: &[
        "app", "host", "msg", "msgid", "procid", "facility", "severity",
    ],
};
/// Where `match` statements take their input from, per declaration kind.
pub static CLASS_MATCH_SOURCES: Vocabulary = Vocabulary {
    what: "match source of a class",
    words: &["mud"],
};
pub static DETECT_MATCH_SOURCES: Vocabulary = Vocabulary {
    what: "match source of a detection rule",
    words: &["syslog"],
};
pub static METRICS: Vocabulary = Vocabulary {
    what: "metric",
    words: &["count"],
};
/// What a detection rule does when it fires (PAVA's outputs, section 8).
pub static ACTIONS: Vocabulary = Vocabulary {
    what: "action",
    words: &[
        "report",
        "quarantine",
        "raise_profile",
        "revoke_credentials",
    ],
};
/// The evidence a detection rule's actions with effect on a thing require of the message that
/// ties it to the thing: its TLS certificate, or its source address (a host name the message
/// claims never suffices).
pub static EVIDENCE: Vocabulary = Vocabulary {
    what: "evidence",
    words: &["certificate", "address"],
};
pub static REPORT_TARGETS: Vocabulary = Vocabulary {
    what: "report recipient",
    words: &["user", "manufacturer", "platform"],
};
/// Who a service receives PAVA's reports for.
pub static REPORT_RECEIVERS: Vocabulary = Vocabulary {
    what: "report recipient",
    words: &["manufacturer", "platform"],
};
pub static PARAM_TYPES: Vocabulary = Vocabulary {
    what: "parameter type",
    words: &["duration", "integer", "string"],
};

/// The type of a property's value.
#[derive(Debug)]
pub enum ValueType {
    /// A name declared as one of these kinds.
    Ref(&'static [DeclKind]),
    Word(&'static Vocabulary),
    /// Any single word, such as a flow's `action = unlock`.
    AnyWord,
    Int,
    Duration,
    Str,
    /// A date or date-time: `2027-06-30`, `2027-06-30T18:00Z`.
    Date,
    /// A diagnostic code, `W0008` or `E0404` (a code of the registry, checked by the
    /// waiver's check).
    Code,
    /// An IPv4 or IPv6 prefix: `10.20.2.0/24`.
    Subnet,
    /// An address or a prefix.
    Address,
    List(&'static ValueType),
    /// One value, or a list of them: `environment = home` or `environment = [home, office]`.
    OneOrList(&'static ValueType),
}

impl ValueType {
    /// Whether a value of this type may name a declaration.
    pub fn refers(&self) -> bool {
        match self {
            ValueType::Ref(_) => true,
            ValueType::List(item) | ValueType::OneOrList(item) => item.refers(),
            _ => false,
        }
    }

    /// "a list of classes", "a duration", "a level".
    pub fn describe(&self) -> String {
        match self {
            ValueType::Ref(kinds) => describe_kinds(kinds, true),
            ValueType::Word(vocabulary) => vocabulary.with_article(),
            ValueType::AnyWord => "a word".to_string(),
            ValueType::Int => "an integer".to_string(),
            ValueType::Duration => "a duration such as `30d`".to_string(),
            ValueType::Str => "a string".to_string(),
            ValueType::Date => "a date such as `2027-06-30`".to_string(),
            ValueType::Code => "a diagnostic code such as `W0008`".to_string(),
            ValueType::Subnet => "a subnet such as `10.20.0.0/24`".to_string(),
            ValueType::Address => "an IP address or subnet".to_string(),
            ValueType::List(item) => format!("a list of {}", plural(&item.describe())),
            ValueType::OneOrList(item) => {
                format!(
                    "{} or a list of {}",
                    item.describe(),
                    plural(&item.describe())
                )
            }
        }
    }
}

/// "a class", "a class or a service".
pub fn describe_kinds(kinds: &[DeclKind], article: bool) -> String {
    let words: Vec<String> = kinds
        .iter()
        .map(|k| {
            if article {
                k.with_article()
            } else {
                k.noun().to_string()
            }
        })
        .collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// "a class" -> "classes"; good enough for the nouns of this module.
fn plural(described: &str) -> String {
    let bare = described
        .strip_prefix("an ")
        .or_else(|| described.strip_prefix("a "))
        .unwrap_or(described);
    let bare = bare.split(" such as").next().unwrap_or(bare);
    bare.split(" or ")
        .map(|noun| {
            let noun = noun
                .strip_prefix("an ")
                .or_else(|| noun.strip_prefix("a "))
                .unwrap_or(noun);
            if noun.ends_with('s') {
                format!("{noun}es")
            } else if let Some(stem) = noun.strip_suffix('y') {
                format!("{stem}ies")
            } else {
                format!("{noun}s")
            }
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// What may stand between a property's key and its `=`: `likelihood T22 = low`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// No subject.
    None,
    /// A threat, a threat target (`device`) or `default`.
    ThreatOrTarget,
}

#[derive(Debug)]
pub struct PropertySpec {
    pub key: &'static str,
    pub ty: ValueType,
    pub required: bool,
    pub subject: Subject,
}

const fn prop(key: &'static str, ty: ValueType) -> PropertySpec {
    PropertySpec {
        key,
        ty,
        required: false,
        subject: Subject::None,
    }
}

const fn required(key: &'static str, ty: ValueType) -> PropertySpec {
    PropertySpec {
        key,
        ty,
        required: true,
        subject: Subject::None,
    }
}

const fn per_subject(key: &'static str, ty: ValueType) -> PropertySpec {
    PropertySpec {
        key,
        ty,
        required: false,
        subject: Subject::ThreatOrTarget,
    }
}

/// The statements other than properties, for [`DeclSpec::statements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StmtTag {
    Mitigate,
    /// `accept T23 because "..."`: a risk accepted, with its reason.
    Accept,
    Param,
    Bound,
    Match,
    When,
    Then,
    FlowAssert,
    Expect,
    /// A test's table: `for (a, b) in [rows] { ... }`.
    Table,
}

#[derive(Debug)]
pub struct DeclSpec {
    pub properties: &'static [PropertySpec],
    pub statements: &'static [StmtTag],
}

impl DeclSpec {
    pub fn property(&self, key: &str) -> Option<&'static PropertySpec> {
        self.properties.iter().find(|p| p.key == key)
    }
}

const DESCRIPTION: PropertySpec = prop("description", ValueType::Str);
/// The kinds of personal data an endpoint may receive: a flow that carries a class's data to
/// an endpoint that does not say so is W0011 (the PIA follows the data).
const RECEIVES_DATA: PropertySpec = prop("receives_data", ValueType::List(&PERSONAL_DATA_WORD));
static PERSONAL_DATA_WORD: ValueType = ValueType::Word(&PERSONAL_DATA);
/// Where an endpoint is deployed, for the risk assessment: classes, and services and
/// gateways that are assessed like them (their profile and level follow).
const ENVIRONMENT_OF: PropertySpec = prop("environment", ValueType::OneOrList(&ENVIRONMENT_REF));
static ADDRESS: ValueType = ValueType::Address;
static ENVIRONMENT_REF: ValueType = ValueType::Ref(&[DeclKind::Environment]);
const CAPABILITIES: PropertySpec = prop("capabilities", ValueType::List(&CAPABILITY_REF));
static CAPABILITY_REF: ValueType = ValueType::Ref(&[DeclKind::Capability]);
const ENDPOINT_KINDS: &[DeclKind] = &[DeclKind::Class, DeclKind::Service, DeclKind::Gateway];

/// The specification of a declaration kind.
pub fn spec(kind: DeclKind) -> &'static DeclSpec {
    match kind {
        DeclKind::Threat => &THREAT,
        DeclKind::Mitigation => &MITIGATION,
        DeclKind::Capability => &CAPABILITY,
        DeclKind::Profile => &PROFILE,
        DeclKind::Environment => &ENVIRONMENT,
        DeclKind::Class => &CLASS,
        DeclKind::Service => &SERVICE,
        DeclKind::Gateway => &GATEWAY,
        DeclKind::Segment => &SEGMENT,
        DeclKind::Flow => &FLOW,
        DeclKind::Detect => &DETECT,
        DeclKind::Test => &TEST,
        DeclKind::Waiver => &WAIVER,
    }
}

/// The kinds a flow endpoint may be.
pub fn endpoint_kinds() -> &'static [DeclKind] {
    ENDPOINT_KINDS
}

static THREAT: DeclSpec = DeclSpec {
    properties: &[
        required("targets", ValueType::List(&ValueType::Word(&TARGETS))),
        required("lifecycle", ValueType::List(&ValueType::Word(&LIFECYCLE))),
        DESCRIPTION,
    ],
    statements: &[],
};

static MITIGATION: DeclSpec = DeclSpec {
    properties: &[
        prop(
            "needs",
            ValueType::List(&ValueType::Ref(&[DeclKind::Capability])),
        ),
        DESCRIPTION,
    ],
    statements: &[StmtTag::Param],
};

static CAPABILITY: DeclSpec = DeclSpec {
    properties: &[DESCRIPTION],
    statements: &[],
};

static PROFILE: DeclSpec = DeclSpec {
    properties: &[
        required("level", ValueType::Int),
        required("communication", ValueType::Word(&COMMUNICATION)),
        required("gateway", ValueType::Word(&GATEWAY_USE)),
        // What the profile is for (section 10, fig6): the assessment assigns it only to
        // classes that fit (risk.rs). A profile that leaves one out fits every class there.
        prop("area", ValueType::Word(&AREAS)),
        prop(
            "management",
            ValueType::OneOrList(&ValueType::Word(&MANAGEMENT)),
        ),
        prop("risk", ValueType::OneOrList(&ValueType::Word(&LEVELS))),
        prop("example", ValueType::Str),
        DESCRIPTION,
    ],
    statements: &[StmtTag::Mitigate, StmtTag::Bound],
};

static ENVIRONMENT: DeclSpec = DeclSpec {
    properties: &[
        // The deployment scope (section 10.1): which profiles' application area fits.
        prop("area", ValueType::Word(&AREAS)),
        per_subject("likelihood", ValueType::Word(&LEVELS)),
        per_subject("impact", ValueType::Word(&LEVELS)),
        DESCRIPTION,
    ],
    statements: &[StmtTag::Accept],
};

static CLASS: DeclSpec = DeclSpec {
    properties: &[
        // Required of every class but the quarantine place (structure.rs).
        required("function", ValueType::Word(&FUNCTIONS)),
        // The quarantine place: where PASC puts things no class matches and PAVA moves
        // things it quarantines. It needs nothing else, and reaches nothing.
        prop("quarantine", ValueType::Word(&BOOLEANS)),
        prop(
            "environment",
            ValueType::OneOrList(&ValueType::Ref(&[DeclKind::Environment])),
        ),
        prop(
            "capabilities",
            ValueType::List(&ValueType::Ref(&[DeclKind::Capability])),
        ),
        prop("profile", ValueType::Ref(&[DeclKind::Profile])),
        prop("data", ValueType::List(&ValueType::Word(&PERSONAL_DATA))),
        RECEIVES_DATA,
        prop("impact", ValueType::Word(&LEVELS)),
        prop("management", ValueType::Word(&MANAGEMENT)),
        prop("credential_refresh", ValueType::Duration),
        prop("manufacturer", ValueType::Str),
        prop("model", ValueType::Str),
        prop("mud_signature", ValueType::Word(&MUD_SIGNATURE_RULES)),
        DESCRIPTION,
    ],
    statements: &[StmtTag::Match, StmtTag::Accept],
};

static SERVICE: DeclSpec = DeclSpec {
    properties: &[
        prop("host", ValueType::Str),
        // One address or prefix, or several (an IPv4 and an IPv6 one).
        prop("address", ValueType::OneOrList(&ADDRESS)),
        prop("profile", ValueType::Ref(&[DeclKind::Profile])),
        ENVIRONMENT_OF,
        prop("function", ValueType::Word(&FUNCTIONS)),
        CAPABILITIES,
        prop("data", ValueType::List(&PERSONAL_DATA_WORD)),
        prop("impact", ValueType::Word(&LEVELS)),
        prop("management", ValueType::Word(&MANAGEMENT)),
        // PAVA's reports to the manufacturer and the platform go to the services that say
        // they receive them, by HTTP POST to `report_url`.
        prop(
            "receives",
            ValueType::List(&ValueType::Word(&REPORT_RECEIVERS)),
        ),
        prop("report_url", ValueType::Str),
        RECEIVES_DATA,
        DESCRIPTION,
    ],
    statements: &[StmtTag::Accept],
};

static GATEWAY: DeclSpec = DeclSpec {
    properties: &[
        prop("address", ValueType::OneOrList(&ADDRESS)),
        prop("profile", ValueType::Ref(&[DeclKind::Profile])),
        ENVIRONMENT_OF,
        prop("function", ValueType::Word(&FUNCTIONS)),
        CAPABILITIES,
        prop("impact", ValueType::Word(&LEVELS)),
        prop("management", ValueType::Word(&MANAGEMENT)),
        RECEIVES_DATA,
        DESCRIPTION,
    ],
    statements: &[StmtTag::Accept],
};

static SEGMENT: DeclSpec = DeclSpec {
    properties: &[
        required(
            "classes",
            ValueType::List(&ValueType::Ref(&[DeclKind::Class])),
        ),
        prop("subnet", ValueType::Subnet),
        prop("gateway", ValueType::Ref(&[DeclKind::Gateway])),
        prop("vlan", ValueType::Int),
        DESCRIPTION,
    ],
    statements: &[],
};

static FLOW: DeclSpec = DeclSpec {
    properties: &[
        prop("action", ValueType::AnyWord),
        prop("via", ValueType::Ref(&[DeclKind::Gateway])),
        // Why a flow a reviewer would question is as it is (W0007, W0008): the reason
        // silences the warning and stays in the source for the next reviewer.
        prop("because", ValueType::Str),
        // A time-limited flow (vendor maintenance): its firewall rule and Cedar permit carry
        // the end, so that it closes by itself; past it, W0016.
        prop("until", ValueType::Date),
        DESCRIPTION,
    ],
    statements: &[],
};

static DETECT: DeclSpec = DeclSpec {
    properties: &[
        required("threat", ValueType::Ref(&[DeclKind::Threat])),
        required("severity", ValueType::Word(&SEVERITIES)),
        // The classes whose things the rule watches (all, without it): the gateway matches a
        // message to its sender's class by certificate or address, not by the host name the
        // message claims.
        prop(
            "classes",
            ValueType::List(&ValueType::Ref(&[DeclKind::Class])),
        ),
        // What its actions with effect on a thing require; without it, what the thing's
        // profile requires (its certificate with client authentication, M3).
        prop("evidence", ValueType::Word(&EVIDENCE)),
        DESCRIPTION,
    ],
    statements: &[StmtTag::Match, StmtTag::When, StmtTag::Then],
};

/// A risk accepted, or a finding waived, for a class: what a reviewer signs off, with who
/// answers for it and until when. `accepts` or `waives` is required (structure.rs).
static WAIVER: DeclSpec = DeclSpec {
    properties: &[
        required("class", ValueType::Ref(&[DeclKind::Class])),
        prop(
            "accepts",
            ValueType::List(&ValueType::Ref(&[DeclKind::Threat])),
        ),
        prop("waives", ValueType::List(&ValueType::Code)),
        required("reason", ValueType::Str),
        required("owner", ValueType::Str),
        required("expires", ValueType::Date),
        prop("ticket", ValueType::Str),
        DESCRIPTION,
    ],
    statements: &[],
};

static TEST: DeclSpec = DeclSpec {
    properties: &[],
    statements: &[StmtTag::FlowAssert, StmtTag::Expect, StmtTag::Table],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_well() {
        static CLASSES: ValueType = ValueType::Ref(&[DeclKind::Class]);
        static CAPABILITIES: ValueType = ValueType::Ref(&[DeclKind::Capability]);
        static TARGET: ValueType = ValueType::Word(&TARGETS);
        assert_eq!(ValueType::List(&CLASSES).describe(), "a list of classes");
        assert_eq!(
            ValueType::List(&CAPABILITIES).describe(),
            "a list of capabilities"
        );
        assert_eq!(
            ValueType::List(&TARGET).describe(),
            "a list of threat targets"
        );
        assert_eq!(
            ValueType::Ref(ENDPOINT_KINDS).describe(),
            "a class, a service or a management gateway"
        );
    }
}
