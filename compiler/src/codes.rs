//! The registry of diagnostic codes. A code never changes meaning once released: tools and
//! reviewers key on it (SARIF rule ids, `ward explain`, suppression lists).
//!
//! Numbering: the letter is the default severity (E error, W warning, N note); E00xx syntax,
//! E01xx names, E02xx declaration structure, E03xx flows, E04xx profiles and risk, E05xx
//! segments, E06xx detection rules, E07xx tests, E08xx classification of things (PASC).

use crate::diagnostic::Severity;

#[derive(Debug, PartialEq, Eq)]
pub struct Code {
    /// The stable code, `E0100`.
    pub code: &'static str,
    /// A kebab-case name, accepted by `ward explain` too.
    pub name: &'static str,
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// Several paragraphs with an example, printed by `ward explain`.
    pub explanation: &'static str,
}

pub static SYNTAX_ERROR: Code = Code {
    code: "E0001",
    name: "syntax-error",
    severity: Severity::Error,
    summary: "the text does not follow the grammar of ward",
    explanation: "\
The parser expected something else at this place. The message says what it expected, what it
found, and what came just before.

A broken declaration does not hide the others: the parser skips to the next line that starts a
declaration (`class`, `segment`, `flow`, ...) and goes on, so later errors are still reported.

Example:

    class door_lock = { function = actuation }   // error: expected `{` or a title string

Fixed:

    class door_lock \"Smart door lock\" {
      function = actuation
    }
",
};

pub static INVALID_LITERAL: Code = Code {
    code: "E0002",
    name: "invalid-literal",
    severity: Severity::Error,
    summary: "a literal has the right shape but an impossible value",
    explanation: "\
An address, prefix length, port, integer, duration or string escape that cannot be decoded:
`10.0.0.300`, `10.0.0.0/33`, `tcp/70000`, an integer beyond 64 bits, or `\\q` in a string.

Example:

    segment cameras { classes = [camera], subnet = 10.20.300.0/24 }

Fixed:

    segment cameras { classes = [camera], subnet = 10.20.3.0/24 }
",
};

pub static UNKNOWN_NAME: Code = Code {
    code: "E0100",
    name: "unknown-name",
    severity: Severity::Error,
    summary: "a name refers to nothing declared in the policy or the standard library",
    explanation: "\
Every name used in a policy must be declared once, in any `.ward` file of the checked folders or
in the standard library (threats T1-T25, mitigations M1-M11, capabilities, SecProf_1-4). When a
declared name is close to the unknown one, ward suggests it, and editors offer it as a quick fix.

Example:

    class door_lock \"Smart door lock\" {
      function = actuation
      profile = SecProf2        // error: unknown security profile `SecProf2`
    }

Fixed:

    class door_lock \"Smart door lock\" {
      function = actuation
      profile = SecProf_2
    }
",
};

pub static DUPLICATE_DEFINITION: Code = Code {
    code: "E0101",
    name: "duplicate-definition",
    severity: Severity::Error,
    summary: "two declarations have the same name",
    explanation: "\
All declarations of a policy share one namespace, across files and kinds: a class and a service
cannot both be called `camera`, because a flow `camera -> nvr` must know which one it means.
Standard library names (T1, M4, SecProf_2, x509, ...) are taken too.

Example:

    class camera \"Camera\" { function = sensing }
    service camera \"Camera cloud\" { host = \"cam.example.com\" }   // error

Fixed: rename one of them, for example `service camera_cloud`.
",
};

pub static WRONG_KIND: Code = Code {
    code: "E0102",
    name: "wrong-kind",
    severity: Severity::Error,
    summary: "a name refers to a declaration of the wrong kind",
    explanation: "\
The name exists, but it names another kind of declaration than this place needs: a class where
a security profile is expected, a mitigation where a threat is expected, and so on.

Example:

    profile strict \"Strict\" {
      level = 4
      mitigate M4 with T4       // error: `M4` is a mitigation, but a threat is expected here
    }

Fixed:

    profile strict \"Strict\" {
      level = 4
      mitigate T4 with M4
    }
",
};

pub static UNKNOWN_WORD: Code = Code {
    code: "E0103",
    name: "unknown-word",
    severity: Severity::Error,
    summary: "a word is not one of the values this property accepts",
    explanation: "\
Some properties take one of a fixed set of words: a level is `low`, `moderate` or `high`; a
threat target is `arch`, `device`, `network` or `application`; a protocol is `tcp`, `udp`,
`icmp`, `icmpv6` or `any`. The message lists the accepted words.

Example:

    environment smart_home \"Smart home\" {
      likelihood T22 = medium    // error: unknown level `medium`
    }

Fixed:

    environment smart_home \"Smart home\" {
      likelihood T22 = moderate
    }
",
};

pub static UNKNOWN_PROPERTY: Code = Code {
    code: "E0200",
    name: "unknown-property",
    severity: Severity::Error,
    summary: "a declaration has a property it does not know",
    explanation: "\
Each kind of declaration accepts a fixed set of properties: the message lists them, and the
language reference (docs/language.md) gives each with its value type and an example. A
misspelled key gets a suggestion.

Example:

    class camera \"Camera\" {
      fuction = sensing          // error: unknown property `fuction` of a class
    }

Fixed:

    class camera \"Camera\" {
      function = sensing
    }
",
};

pub static MISPLACED_STATEMENT: Code = Code {
    code: "E0201",
    name: "misplaced-statement",
    severity: Severity::Error,
    summary: "a statement appears in a declaration that does not take it",
    explanation: "\
`mitigate` and `bound` belong in profiles, `param` in mitigations, `match` in classes and
detection rules, `when` and `then` in detection rules, `allow`, `deny` and `expect` in tests.

Example:

    class camera \"Camera\" {
      function = sensing
      mitigate T4 with M4        // error: `mitigate` is not allowed in a class
    }

Fixed: put the table in a profile and give the class that profile.
",
};

pub static DUPLICATE_PROPERTY: Code = Code {
    code: "E0202",
    name: "duplicate-property",
    severity: Severity::Error,
    summary: "a property is given twice in one declaration",
    explanation: "\
A property may appear once per declaration (once per subject for `likelihood` and `impact`).
Which of two values was meant cannot be guessed, so both places are shown.

Example:

    class camera \"Camera\" {
      function = sensing
      function = actuation       // error: `function` is already set
    }
",
};

pub static MISSING_PROPERTY: Code = Code {
    code: "E0203",
    name: "missing-property",
    severity: Severity::Error,
    summary: "a declaration lacks a property it must have",
    explanation: "\
Some properties are required: a class's `function`, a profile's `level`, a segment's `classes`,
a detection rule's `threat`, among others. The message names the property and what it takes.

Example:

    profile strict \"Strict\" {
      mitigate T4 with M4        // error: profile `strict` has no `level`
    }

Fixed:

    profile strict \"Strict\" {
      level = 4
      mitigate T4 with M4
    }
",
};

pub static WRONG_VALUE_TYPE: Code = Code {
    code: "E0204",
    name: "wrong-value-type",
    severity: Severity::Error,
    summary: "a property has a value of the wrong type",
    explanation: "\
Each property takes one type of value: a duration (`30d`), an integer, a string, a subnet
(`10.20.0.0/24`), a name, or a list of those. The message says what was expected.

Example:

    segment cameras {
      classes = camera           // error: expected a list of classes, found a name
    }

Fixed:

    segment cameras {
      classes = [camera]
    }
",
};

pub static NAME_TOO_LONG: Code = Code {
    code: "E0206",
    name: "name-too-long",
    severity: Severity::Error,
    summary: "a declaration's name is longer than 128 characters",
    explanation: "\
Names become file names in the bundle (`devices/<class>.json`, `sigma/<rule>.yml`) and the
names of nftables sets (`e4_<name>`), which file systems and the kernel limit to 255 bytes.
ward allows 128 characters, so that every output can be written and loaded. Say more in the
declaration's title, which has no limit.

Example:

    class smart_door_lock_of_the_north_entrance_made_by_acme_with_fingerprint_reader_and_... \"Lock\" { ... }

Fixed:

    class north_door_lock \"Smart door lock of the north entrance (Acme, fingerprint reader)\" { ... }
",
};

pub static VALUE_OUT_OF_RANGE: Code = Code {
    code: "E0207",
    name: "value-out-of-range",
    severity: Severity::Error,
    summary: "a value of the right type that no device or gateway can use",
    explanation: "\
The value has the right shape but means nothing, or more than ward can keep: a credential
refresh of zero (`0s`), port 0 (ports are 1 to 65535), a VLAN id outside 1 to 4094, a detection
count above 10,000 (the gateway keeps the time of every counted message of a group within the
window; a rule that needs more is better written with a shorter window).

Example:

    flow app -> lock : tcp/0          // error: port 0

Fixed:

    flow app -> lock : tcp/8883
",
};

pub static UNKNOWN_PARAMETER: Code = Code {
    code: "E0205",
    name: "unknown-parameter",
    severity: Severity::Error,
    summary: "a bound names a parameter its mitigation does not declare",
    explanation: "\
A profile's `bound M.param <= value` limits a parameter that mitigation `M` declares with
`param`. The parameter must exist, and the bound must have its type.

Example:

    profile strict \"Strict\" {
      level = 4
      bound M11.refresh_period <= 30d   // error: M11 has no parameter `refresh_period`
    }

Fixed:

    profile strict \"Strict\" {
      level = 4
      bound M11.refresh <= 30d
    }
",
};

pub static FLOW_TO_HIGHER_PROFILE: Code = Code {
    code: "E0300",
    name: "flow-to-higher-profile",
    severity: Severity::Error,
    summary: "a thing of a lower security profile connects to one of a higher profile",
    explanation: "\
The draft: \"It is considered best practice in the security world to allow higher security
profiles to connect to lower security profiles, but to never let lower security profiles
connect to higher security profiles.\" A flow goes from its left endpoint to its right one; a
`<->` flow goes both ways, so its endpoints must have the same level. The profile of a class
is the one it declares, or the one the risk assessment assigns; a service or gateway counts
when it declares a profile.

Example:

    flow banana_button -> front_door_lock : tcp/8883   // SecProf_1 -> SecProf_2: error

Fixed: let the higher profile start the connection, or send the request to the management
gateway of the lower one's segment, which relays it and decides.

A thing always reaches the management gateway of its own segment, whatever their levels: the
gateway manages it (PAVA's reports, the MUD controllers: DNS, DHCP, NTP), and its level
guards it against other segments, not against the things it serves.
",
};

pub static FLOW_BYPASSES_GATEWAY: Code = Code {
    code: "E0301",
    name: "flow-bypasses-gateway",
    severity: Severity::Error,
    summary: "a flow between segments does not pass the management gateway its profile requires",
    explanation: "\
SecProf_2 and SecProf_4 say: \"All communication with specific services as well as other smart
objects MUST go through the management gateway.\" A flow whose endpoints are not in one segment
must name the gateway it passes (`via = gateway_name`) when either endpoint's profile has
`gateway = required`. Flows to or from the gateway itself pass it by definition.

Example:

    flow front_door_lock -> lock_vendor : tcp/443            // error

Fixed:

    flow front_door_lock -> lock_vendor : tcp/443 { via = home_hub }
",
};

pub static UNIDIRECTIONAL_PROFILE: Code = Code {
    code: "E0302",
    name: "unidirectional-profile-violated",
    severity: Severity::Error,
    summary: "a thing of a unidirectional profile receives traffic or talks to several services",
    explanation: "\
SecProf_1 \"requires unidirectional communication from the thing to a specific service.\" A
class whose profile has `communication = unidirectional` may have flows out of it to one
endpoint only, and no flow into it (a `<->` flow counts as both).

Example:

    flow banana_button -> banana_shop : tcp/443
    flow banana_button -> analytics : tcp/443      // error: a second service
    flow banana_shop -> banana_button : tcp/8883   // error: traffic into the button
",
};

pub static ADDRESS_FAMILY_MISMATCH: Code = Code {
    code: "E0303",
    name: "address-family-mismatch",
    severity: Severity::Error,
    summary: "a flow's ends, or its ICMP, have no address family in common",
    explanation: "\
A flow between an endpoint that has only IPv4 addresses and one that has only IPv6 addresses
allows traffic no packet can carry: the firewall has no rule to write for it, and the flow
would silently do nothing. So does `icmp` (ICMP for IPv4) between IPv6-only ends, and
`icmpv6` between IPv4-only ones. An endpoint's families come from its addresses: a class's
segment subnets, a service's or gateway's address; one known by host name, or a segment
without a subnet, may have either.

Example:

    segment sensors { classes = [sensor], subnet = fd00:1::/64 }
    service console \"Console\" { address = 10.0.0.5 }
    flow sensor -> console : tcp/443                 // error: IPv6 to IPv4

Fixed: give the console an IPv6 address, or the sensors an IPv4 subnet.
",
};

pub static VIA_UNRELATED_GATEWAY: Code = Code {
    code: "E0304",
    name: "via-unrelated-gateway",
    severity: Severity::Error,
    summary: "a flow passes a gateway that does not serve its ends, or one of a lower level",
    explanation: "\
`via = <gateway>` routes a flow through a management gateway: it must be the gateway of a
segment of one of the flow's classes (`segment ... { gateway = ... }`), since that is the one
their traffic reaches, and its profile may not be lower than either end's: traffic of a higher
profile does not pass through a lower one.

Example:

    segment cameras { classes = [camera], gateway = floor_gw }
    flow camera -> nvr : tcp/554 { via = office_gw }      // error: office_gw serves neither

Fixed:

    flow camera -> nvr : tcp/554 { via = floor_gw }
",
};

pub static QUARANTINE_FLOW: Code = Code {
    code: "E0305",
    name: "quarantine-flow",
    severity: Severity::Error,
    summary: "a flow names the quarantine place, which reaches nothing and nothing reaches",
    explanation: "\
The quarantine place (`quarantine = true`, or `match mud \"*\"`) holds the things no class
matches and the things PAVA quarantines. They are there because nothing is known of them, or
because they misbehaved: no flow leaves or enters it, so the firewall drops all their traffic.

Example:

    class isolation \"Quarantine\" { quarantine = true }
    flow isolation -> updates : tcp/443      // error: the quarantine place reaches nothing

Fixed: remove the flow; to let a quarantined thing fetch an update, onboard it again into its
class once it is trusted.
",
};

pub static UNMITIGATED_THREAT: Code = Code {
    code: "E0400",
    name: "unmitigated-threat",
    severity: Severity::Error,
    summary: "a profile lists a threat without any mitigation",
    explanation: "\
A line `mitigate T9` without `with` names a threat the profile applies to but does not
mitigate. Every threat of a profile's table needs at least one mitigation.

Example:

    profile strict \"Strict\" {
      level = 4
      communication = mixed
      gateway = required
      mitigate T9                 // error
    }

Fixed:

    mitigate T9 with M9
",
};

pub static MISSING_CAPABILITY: Code = Code {
    code: "E0401",
    name: "missing-capability",
    severity: Severity::Error,
    summary: "a class lacks a capability that a mitigation of its profile needs",
    explanation: "\
A profile's mitigations need capabilities of the thing: client authentication (M3) needs an
X.509 identity and TLS, authenticated updates (M1) need `secure_update`, and so on (see the
`needs` of each mitigation in the standard library). A class holding the profile must list
them in `capabilities`.

Example:

    class camera \"Camera\" {
      function = surveillance
      capabilities = [tls]          // error: SecProf_2's M3 needs `x509`
      profile = SecProf_2
    }
",
};

pub static PROFILE_BELOW_REQUIRED: Code = Code {
    code: "E0402",
    name: "profile-below-required",
    severity: Severity::Error,
    summary: "a class's profile is lower than its risk assessment requires",
    explanation: "\
ward runs the draft's risk assessment (RA) and privacy impact assessment (PIA) for each class
in each of its environments: likelihood (from the environment) times impact (from the class's
function, its personal data and the environment) gives a risk per threat on a 3x3 matrix.
Moderate and high risks must be mitigated. The required profile is the lowest one whose table
mitigates all of them and whose mitigations the class can perform. A class that declares a
lower profile is an error naming the threats left unmitigated; `ward check --explain-risk
CLASS` shows the whole assessment.

Example:

    class front_door_lock \"Smart door lock\" {
      function = access_control     // high impact
      environment = managed_home     // moderate likelihood: high risks
      profile = SecProf_1           // error: SecProf_2 is required
    }
",
};

pub static PARAMETER_OUT_OF_BOUND: Code = Code {
    code: "E0403",
    name: "parameter-out-of-bound",
    severity: Severity::Error,
    summary: "a parameter is outside the bound its profile sets",
    explanation: "\
Profiles bound the parameters of their mitigations: `bound M11.refresh <= 30d` means
credentials are refreshed at least every 30 days. A class sets the refresh period with
`credential_refresh`; without it, the mitigation's default applies.

Example:

    class camera \"Camera\" {
      function = surveillance
      profile = SecProf_4
      credential_refresh = 90d      // error: SecProf_4 bounds it to 30d
    }
",
};

pub static NO_PROFILE_FITS: Code = Code {
    code: "E0404",
    name: "no-profile-fits",
    severity: Severity::Error,
    summary: "no profile is for the class, mitigates its risks and asks only what it can do",
    explanation: "\
No profile passes every step of the assignment (docs/language.md, \"How a class gets its
profile\"): one for the environment's `area`, the class's `management`, its required access
and its highest risk, whose table mitigates its moderate and high risks with mitigations the
class can perform. The message says, per profile, the step it failed: usually a capability
(add it, if the things have it), a management or area no profile of that risk is for, or a
threat no profile covers at that level. `ward check --explain-risk CLASS` shows each step.

Example:

    class sensor \"Sensor\" {
      function = sensing
      environment = datacenter      // high likelihood
      capabilities = []             // cannot encrypt or authenticate: no profile fits
    }
",
};

pub static UNWAIVABLE_FINDING: Code = Code {
    code: "E0405",
    name: "unwaivable-finding",
    severity: Severity::Error,
    summary: "a waiver names a finding that cannot be waived",
    explanation: "\
A waiver (`waiver NAME { class = ..., waives = [...] }`) may waive warnings, and of the errors
only those that say a class cannot meet a profile: E0401 (a capability its profile needs),
E0402 (a profile below what the assessment requires) and E0404 (no profile fits). ward never
builds a policy whose flows, segments or names are wrong, so no other error can be waived; a
note needs no waiver.

A class whose E0404 is waived holds the lowest-level profile of the policy: the most confined,
from which no flow may reach a higher level.

Example:

    waiver tv_flows \"Guest TVs\" {
      class = guest_tv
      waives = [E0300]             // error: a flow to a higher level is never waived
      reason = \"...\"
      owner = \"ciso@hospital.example\"
      expires = 2027-06-30
    }

Fixed: remove the flow, or route it through the management gateway.
",
};

pub static WAIVER_EXPIRED: Code = Code {
    code: "E0406",
    name: "waiver-expired",
    severity: Severity::Error,
    summary: "a waiver or an accepted risk is past its expiry date",
    explanation: "\
A waiver holds until its `expires` date (a date alone is 00:00 UTC at its start). After it, it
accepts and waives nothing: the findings it waived are reported again, and this error says so,
so that someone decides again: renew it with a new date (and the owner's agreement), or fix
what it waived. `ward check --today DATE` checks as of another day (for reproducible runs).

Example:

    waiver pump_legacy \"Legacy pumps until their replacement\" {
      class = legacy_pump
      waives = [E0404]
      reason = \"replacement ordered, delivery in May\"
      owner = \"biomed@hospital.example\"
      expires = 2026-06-01           // error once 2026-06-01 has begun
    }
",
};

pub static CLASS_WITHOUT_SEGMENT: Code = Code {
    code: "E0500",
    name: "class-without-segment",
    severity: Severity::Error,
    summary: "a class is in no segment",
    explanation: "\
\"Each one of these IoT device classes will represent an isolated segment in itself\", and
\"the segments must be pre-defined before the PASC is created.\" Every class belongs to exactly
one segment.

Example:

    class camera \"Camera\" { function = surveillance }   // error: no segment lists it

Fixed:

    segment cameras { classes = [camera], subnet = 10.20.3.0/24 }
",
};

pub static CLASS_IN_SEVERAL_SEGMENTS: Code = Code {
    code: "E0501",
    name: "class-in-several-segments",
    severity: Severity::Error,
    summary: "a class is listed by more than one segment",
    explanation: "\
A class is one isolated segment: listing it in two segments would make its things reachable
from both. Split the class in two if the things really live in two places.

Example:

    segment hall { classes = [camera] }
    segment yard { classes = [camera] }     // error
",
};

pub static MIXED_PROFILE_SEGMENT: Code = Code {
    code: "E0502",
    name: "mixed-profile-segment",
    severity: Severity::Error,
    summary: "a segment holds classes of different security profiles",
    explanation: "\
Things in one segment reach each other without a gateway in between, so a segment mixing
profiles lets a lower profile reach a higher one. Give each profile its own segment.

Example:

    segment home { classes = [banana_button, front_door_lock] }   // SecProf_1 and SecProf_2
",
};

pub static OVERLAPPING_SEGMENTS: Code = Code {
    code: "E0503",
    name: "overlapping-segments",
    severity: Severity::Error,
    summary: "two segments' subnets overlap",
    explanation: "\
Each class is an isolated segment, and a thing's address says which segment it is in. When one
segment's subnet holds another's, an address in both belongs to two segments at once: the
firewall could not tell which rules apply (nftables itself refuses the overlap in one set:
\"conflicting intervals\"). Give each segment its own subnet.

Example:

    segment lights  { classes = [lamp], subnet = 10.1.0.0/16 }
    segment cameras { classes = [camera], subnet = 10.1.2.0/24 }   // error: inside 10.1.0.0/16

Fixed:

    segment lights  { classes = [lamp], subnet = 10.1.1.0/24 }
    segment cameras { classes = [camera], subnet = 10.1.2.0/24 }
",
};

pub static SERVICE_INSIDE_SEGMENT: Code = Code {
    code: "E0504",
    name: "service-inside-segment",
    severity: Severity::Error,
    summary: "a service's address lies inside a segment's subnet",
    explanation: "\
Services are what lies outside the policy's segments; the things inside a segment are its
classes'. A service address inside a segment's subnet would be both to the firewall: the
segment's flows and its level's lower-to-higher drops would apply to it as to the segment's
things. Move the service out of the subnet, or declare what it is as a class of the segment.
(Gateways may sit inside the segments they serve.)

Example:

    segment plcs { classes = [plc], subnet = 10.5.2.0/24 }
    service historian \"Historian\" { address = 10.5.2.40 }      // error

Fixed:

    service historian \"Historian\" { address = 10.5.9.40 }
",
};

pub static INVALID_REGEX: Code = Code {
    code: "E0600",
    name: "invalid-regex",
    severity: Severity::Error,
    summary: "a detection rule's regex does not compile",
    explanation: "\
Detection rules match syslog fields with regexes in Rust's `regex` syntax (no look-around or
backreferences; named groups `(?<name>...)`). The error points at the column where the regex
goes wrong. Flags after the closing `/` may be `i`, `m`, `s`, `x` and `U`.

Example:

    match syslog { msg = /Failed (password/ }      // error: unclosed group
",
};

pub static INVALID_WINDOW: Code = Code {
    code: "E0601",
    name: "invalid-window",
    severity: Severity::Error,
    summary: "a detection rule counts over a zero or negative window, or to zero",
    explanation: "\
`when count >= N within W` counts matching messages over a sliding window of length W: W must
be longer than zero, and N at least 1.

Example:

    when count >= 5 within 0s      // error
",
};

pub static UNKNOWN_CAPTURE: Code = Code {
    code: "E0602",
    name: "unknown-capture",
    severity: Severity::Error,
    summary: "a detection rule groups by a capture its regexes do not define",
    explanation: "\
`by NAME` groups counts by the value of a named capture `(?<NAME>...)` of the rule's regexes,
or by a syslog field (`host`, `app`, ...). Any other name would group everything under an
empty key.

Example:

    match syslog { msg = /Failed password for .* from (?<src>\\S+)/ }
    when count >= 5 within 10m by source         // error: the capture is `src`
",
};

pub static TABLE_ROW_ARITY: Code = Code {
    code: "E0700",
    name: "table-row-arity",
    severity: Severity::Error,
    summary: "a row of a test's table has another number of values than the table has names",
    explanation: "\
A table (`for (a, b) in [rows] { ... }`) runs its assertions once per row, with the row's
values put in for the names. Each row needs one value per name, in order. A row that does not
fit is not run; the other rows are.

Example:

    for (verdict, source) in [
      (allow, resident_app),
      (deny),                     // error: 1 value for 2 names
    ] {
      verdict flow source -> front_door_lock : tcp/8883
    }

Fixed:

      (deny, banana_button),
",
};

pub static AMBIGUOUS_MUD_MATCH: Code = Code {
    code: "E0800",
    name: "ambiguous-mud-match",
    severity: Severity::Error,
    summary: "two classes' `match mud` patterns claim the same MUD URLs equally",
    explanation: "\
PASC classifies a thing by the most specific `match mud` pattern its MUD URL matches (the one
with the most characters other than `*`). When two classes have patterns of the same
specificity that can match one URL, and no more specific pattern takes that URL, a thing with
such a URL matches both equally and the gateway refuses it (`ambiguous-class`). The checker
finds this before any onboarding does, and shows such a URL.

The quarantine pattern `*` is not compared: it applies only when nothing else matches.

Example:

    class lamp \"Lamp\"   { function = actuation  match mud \"https://mud.acme.example/*\" }
    class plug \"Plug\"   { function = monitoring match mud \"https://mud.acme.example/*\" }   // error

Fixed: make each pattern say which things it is for.

    class lamp \"Lamp\"   { function = actuation  match mud \"https://mud.acme.example/lamp/*\" }
    class plug \"Plug\"   { function = monitoring match mud \"https://mud.acme.example/plug/*\" }
",
};

pub static SEVERAL_QUARANTINE_PLACES: Code = Code {
    code: "E0801",
    name: "several-quarantine-places",
    severity: Severity::Error,
    summary: "more than one class is the quarantine place",
    explanation: "\
PASC puts a thing that no class matches into the quarantine place, and PAVA moves the things
it quarantines there: a policy has one. `quarantine = true` and `match mud \"*\"` both make a
class the quarantine place.

Example:

    class isolation \"Quarantine\" { quarantine = true }
    class catch_all \"Everything else\" {
      function = sensing
      match mud \"*\"                        // error: a second quarantine place
    }

Fixed: keep one.
",
};

pub static UNUSED_DECLARATION: Code = Code {
    code: "W0001",
    name: "unused-declaration",
    severity: Severity::Warning,
    summary: "a declaration is never used",
    explanation: "\
An environment no class is deployed in, a service or gateway no flow names, a capability,
mitigation or profile nothing refers to: usually a leftover or a misspelling elsewhere.
Classes are covered by `class-without-segment`; detection rules and tests are used by being
declared.

Example:

    service old_cloud \"Retired service\" { host = \"old.example\" }   // warning
",
};

pub static DUPLICATE_FLOW: Code = Code {
    code: "W0002",
    name: "duplicate-flow",
    severity: Severity::Warning,
    summary: "the same flow is declared twice",
    explanation: "\
Two flows with the same endpoints, direction and ports allow the same traffic; the second
adds nothing, and a later edit to one of them will not change what is allowed.

Example:

    flow phone -> lock : tcp/8883
    flow phone -> lock : tcp/8883    // warning
",
};

pub static UNUSED_PARAMETER: Code = Code {
    code: "W0003",
    name: "unused-parameter",
    severity: Severity::Warning,
    summary: "a name of a test's table is used by none of its assertions",
    explanation: "\
Every row gives a value for this name, and no assertion of the table uses it: the column is
ignored, which is most likely a slip (the assertion names a fixed endpoint where the row's
was meant).

Example:

    for (verdict, source) in [(allow, resident_app), (deny, banana_button)] {
      verdict flow resident_app -> front_door_lock : tcp/8883   // warning: `source` unused
    }
",
};

pub static UNDECLARED_OPERATION: Code = Code {
    code: "W0006",
    name: "undeclared-operation",
    severity: Severity::Warning,
    summary: "a test asserts an operation no flow declares: the assertion tests nothing",
    explanation: "\
Cedar decides operations (`{ action = unlock }`), and an operation that no flow declares and
that is none of the device operations every gateway knows (send, configure, update, unlock)
is denied whatever the policy says. A `deny` of it always holds, an `allow` never: usually
the name is misspelled. `ward test --strict` fails on it.

Example:

    deny flow resident_app -> front_door_lock : tcp/8883 { action = unlok }   // warning

Fixed:

    deny flow resident_app -> front_door_lock : tcp/8883 { action = unlock }
",
};

pub static UNTESTABLE_EXPECTATION: Code = Code {
    code: "W0012",
    name: "untestable-expectation",
    severity: Severity::Warning,
    summary: "a test expects what can never hold: the profile of an endpoint that holds none, or a privacy risk that does not apply",
    explanation: "\
A class, service or gateway holds a profile when it declares one or when the risk assessment
assigns one (it is placed in an environment). Without either, `expect x.profile == ...` and
`expect x.level ...` can never hold: `ward check` says so instead of `ward test` failing later.
Likewise, the privacy threats (T12-T18) apply only to classes with personal data (`data =
[...]`): `expect risk(c, T12) == low` on a class without any has no risk level to compare.
`ward test --strict` fails on it.

Example:

    service tmc \"Traffic management center\" { address = 10.0.9.1 }
    test \"levels\" { expect tmc.profile == SecProf_4 }     // warning

Fixed:

    service tmc \"Traffic management center\" {
      address = 10.0.9.1
      environment = district        // or: profile = SecProf_4
      function = control
      capabilities = [x509, tls, secure_update, credential_rotation]
    }
",
};

pub static WEAK_EVIDENCE: Code = Code {
    code: "W0013",
    name: "weak-evidence",
    severity: Severity::Warning,
    summary: "a detection rule acts on evidence weaker than its things' profile requires",
    explanation: "\
PAVA ties a message to a thing by its TLS certificate, its source address or the host name it
claims. An action with effect on the thing (quarantine, raise_profile, revoke_credentials)
is taken, by default, only on the evidence the thing's profile requires: its certificate
when the profile has client authentication (M3), as every standard profile does. A rule that
says `evidence = address` acts on the source address alone, which anyone on the LAN can put
on a UDP datagram: one forged message could then quarantine a thing, or revoke it.

Example:

    detect firmware_tamper \"Firmware tampering\" {
      threat = T8
      severity = high
      evidence = address         // warning: cameras' SecProf_2 requires client authentication
      classes = [cameras]
      match syslog { msg = /signature verification failed/ }
      then { quarantine }
    }

Fixed: leave `evidence` out (the things' certificates over TLS then decide), or act only by
`report`.
",
};

pub static WAIVER_EXPIRES_SOON: Code = Code {
    code: "W0014",
    name: "waiver-expires-soon",
    severity: Severity::Warning,
    summary: "a waiver expires within 30 days",
    explanation: "\
A waiver's `expires` date is less than 30 days away. After it, the findings it waives come back
as errors (E0406): ask its owner whether to renew it, or fix what it waives.

Example (checked on 2027-06-10):

    waiver guest_tvs \"Guest TVs\" {
      class = guest_tv
      waives = [E0404]
      reason = \"consumer devices, alone on their segment\"
      owner = \"ciso@hospital.example\"
      expires = 2027-06-30           // warning: in 20 days
    }
",
};

pub static WAIVER_UNUSED: Code = Code {
    code: "W0015",
    name: "waiver-unused",
    severity: Severity::Warning,
    summary: "a waiver accepts a risk or waives a finding that the policy no longer has",
    explanation: "\
A waiver names a threat that is no residual risk of its class (its profile mitigates it, or it
does not apply), or a code that no finding on the class has. It was needed once, or never: a
stale waiver would silently waive the next, different finding of that code. Remove what it no
longer needs.

Example:

    waiver pumps \"Pumps\" {
      class = infusion_pump
      accepts = [T1]                 // warning: SecProf_4 mitigates T1
      waives = [W0008]               // warning: the pump has no cleartext flow
      reason = \"...\"
      owner = \"biomed@hospital.example\"
      expires = 2027-06-30
    }
",
};

pub static FLOW_EXPIRED: Code = Code {
    code: "W0016",
    name: "flow-expired",
    severity: Severity::Warning,
    summary: "a time-limited flow has ended",
    explanation: "\
A flow's `until` is past: the firewall and Cedar refuse its new connections already (the
emitted rule and permit carry the end), so the declaration only misleads a reader. Remove it,
or give it a new end.

Example:

    flow pump_vendor -> infusion_pump : tcp/22 {
      via = med_gw
      until = 2026-11-30T18:00Z      // warning once it has passed
    }
",
};

pub static UNKNOWN_LEVEL_SOURCE: Code = Code {
    code: "W0017",
    name: "unknown-level-source",
    severity: Severity::Warning,
    summary: "an endpoint of unknown level connects to a thing of level 2 or more",
    explanation: "\
\"Never let lower security profiles connect to higher security profiles\" can only be judged
between endpoints that hold a profile. A service or gateway that declares none (and is not
assessed in an environment) has no level: a vendor's cloud, or `internet`, the standard
library's endpoint for any address; so has a class with nothing to mitigate that no profile
fits (N0003). A flow from it into a thing of level 2 or more passes the lower-to-higher check
unjudged; so does such a class in a segment with classes of level 2 or more, since things of
one segment reach each other without a gateway (the finding sits on the class's name in the
segment's list, where a waiver of the class can waive it). `--deny warnings` makes it an error.

Example:

    service pump_vendor_cloud \"Pump vendor\" { host = \"service.pumpvendor.example\" }
    flow pump_vendor_cloud -> infusion_pump : tcp/22 { via = med_gw }   // warning

Fixed: declare how far the vendor is trusted (`profile = SecProf_4`, under contract), or let the
pump open the connection (`flow infusion_pump -> pump_vendor_cloud : tcp/443`).
",
};

pub static BROAD_FLOW: Code = Code {
    code: "W0007",
    name: "broad-flow",
    severity: Severity::Warning,
    summary: "a flow opens every port, or traffic from anywhere, into a thing of level 3 or more",
    explanation: "\
Industrial and managed profiles (level 3 and up) protect things whose compromise matters; a
flow into them that names no port, `any`, a whole protocol or a range of a thousand ports or
more, or that comes from a service whose address is `0.0.0.0/0` or `::/0`, lets through far
more than any thing needs. The rules allow it; a reviewer would ask why. Name the ports and
sources, or say why in the flow: `because = \"...\"` silences the warning and keeps the reason
in the source.

Example:

    flow engineering_ws -> plc                       // warning: every port of a SecProf_4 PLC

Fixed:

    flow engineering_ws -> plc : tcp/802 { because = \"Modbus/TCP Security for the PLC programs\" }
",
};

pub static CLEARTEXT_PROTOCOL: Code = Code {
    code: "W0008",
    name: "cleartext-protocol",
    severity: Severity::Warning,
    summary: "a well-known cleartext protocol on a flow of a profile that requires encryption",
    explanation: "\
A profile whose table has M4 (\"encryption on the transport layer\") promises encrypted traffic,
and FTP (21), telnet (23), HTTP (80), TFTP (69), SNMP (161), Modbus/TCP (502), MQTT (1883),
DNP3 (20000) and BACnet/IP (47808) carry their data in clear text. Use the protocol's TLS form,
or say why the flow must stay as it is: `because = \"...\"`.

Example:

    flow hmi -> plc : tcp/502                        // warning: Modbus/TCP on SecProf_4

Fixed:

    flow hmi -> plc : tcp/802                        // Modbus/TCP Security
",
};

pub static RESIDUAL_RISK: Code = Code {
    code: "W0009",
    name: "residual-risk",
    severity: Severity::Warning,
    summary: "moderate or high risks of a class that its profile does not mitigate",
    explanation: "\
\"Risks classified as moderate or high must be mitigated\" (section 6). The risks a class's
profile leaves unmitigated (often threats no profile's table covers: counterfeiting, timing
attacks, the privacy threats) stay: the warning lists them, with what would mitigate them
where a profile of the policy says so (a mitigation and the profiles that use it). Mitigate
them (a profile whose table covers them, and the capabilities it needs), or accept them, in
the class or in its environment, with the reason a reviewer can weigh.

Example:

    class camera \"Camera\" {       // warning: T11 (high), T24 (high), T23 (high) unmitigated
      function = surveillance
      environment = plant
      profile = SecProf_4
    }

Fixed:

    class camera \"Camera\" {
      ...
      accept T11, T24 because \"no key material leaves the secure element\"
    }

    environment plant \"Plant\" {
      accept T23 because \"the plant network has its own DDoS protection upstream\"
    }

The report lists each class's residual and accepted risks, with the reasons.
",
};

pub static QUARANTINE_WITHOUT_PLACE: Code = Code {
    code: "W0010",
    name: "quarantine-without-place",
    severity: Severity::Warning,
    summary: "a detection rule quarantines, and the policy declares no quarantine place",
    explanation: "\
A `quarantine` action moves the thing to the policy's quarantine place. Without one, the gateway
cannot: it records `quarantine-unavailable` in its audit log and the thing stays where it is.
The standard library's rules that quarantine (such as `firmware_signature_failure`) are
noted on the policy's first class (N0002).

Example:

    detect bruteforce \"Logins\" {
      ...
      then { report user; quarantine }         // warning: nowhere to move the thing
    }

Fixed:

    class isolation \"Quarantine\" { quarantine = true }
",
};

pub static PERSONAL_DATA_FLOW: Code = Code {
    code: "W0011",
    name: "personal-data-flow",
    severity: Severity::Warning,
    summary: "a flow carries a class's personal data to an endpoint not declared to receive it",
    explanation: "\
The privacy impact assessment concerns \"Personal Identifiable Information (PII) that is
collected, processed, or used in the IoT system\" (section 6): where a class's personal data
(`data = [...]`) goes matters as much as which threats apply. A flow between a class with
personal data and another endpoint carries that data to it, whichever end opens the
connection (replies carry data too), except to the class's own management gateway. An
endpoint says what it may receive with `receives_data = [...]`; the report lists where each
kind of personal data goes.

Example:

    class cctv \"CCTV camera\" { ... data = [video, location] }
    service open_data \"Open-data platform\" { host = \"data.city.example\" }
    flow cctv -> open_data : tcp/443     // warning: video and location to open_data

Fixed: remove the flow (publish aggregates instead), or, when it may, declare it:

    service open_data \"Open-data platform\" {
      host = \"data.city.example\"
      receives_data = [location]         // still a warning for video
    }
",
};

pub static CLASS_NOT_ASSESSED: Code = Code {
    code: "W0004",
    name: "class-not-assessed",
    severity: Severity::Warning,
    summary: "a class declares neither a profile nor an environment: it is not assessed",
    explanation: "\
The risk assessment (RA and PIA) runs per environment, the class's deployment scope: without
`environment` there is nothing to assess, and without `profile` the class holds none. Its
things still onboard and get the class's flows, but with no profile level: the rule \"lower
never connects to higher\" neither protects them nor holds them back, no mitigation is
configured, and their configuration (m6) says `profile: null`.

Give the class an environment (PASC then assigns the lowest profile that mitigates its
moderate and high risks), a profile, or both.

Example:

    class plug \"Smart plug\" {
      function = monitoring            // warning: not assessed
    }

Fixed:

    class plug \"Smart plug\" {
      function = monitoring
      environment = private_home
      capabilities = [x509, tls]
    }
",
};

pub static HOST_BITS_IN_PREFIX: Code = Code {
    code: "W0005",
    name: "host-bits-in-prefix",
    severity: Severity::Warning,
    summary: "a prefix has bits set beyond its length",
    explanation: "\
`10.1.2.3/24` names the network `10.1.2.0/24`: the bits after the prefix length are ignored.
Written that way it usually means a typo (a host address where a network was meant, or the
wrong length); ward reads it as the network, and the fix writes it so.

Example:

    segment lights { classes = [lamp], subnet = 10.1.2.3/24 }   // warning

Fixed:

    segment lights { classes = [lamp], subnet = 10.1.2.0/24 }
",
};

pub static ASSIGNED_PROFILE: Code = Code {
    code: "N0001",
    name: "assigned-profile",
    severity: Severity::Note,
    summary: "the risk assessment assigns a profile to a class that declares none",
    explanation: "\
A class without `profile` gets the lowest profile that mitigates its moderate and high risks
and whose mitigations it can perform, per environment: this is PASC's automatic assignment.
The note says which profile and why; editors show it as an inlay hint.

Example:

    class lamp \"Lamp\" {
      function = actuation
      environment = smart_home
      capabilities = [tls, x509]
    }                                 // note: gets SecProf_1 in `smart_home`
",
};

pub static STDLIB_QUARANTINE_WITHOUT_PLACE: Code = Code {
    code: "N0002",
    name: "stdlib-quarantine-without-place",
    severity: Severity::Note,
    summary: "the standard library's rules quarantine, and the policy has no quarantine place",
    explanation: "\
The standard library's detection rules apply to every policy; some quarantine (a firmware image
with a bad signature). Without a quarantine place the gateway cannot move such a thing: it
records `quarantine-unavailable` and the thing stays where it is. The note sits on the policy's
first class; declaring the place answers it.

Example:

    class lamp \"Lamp\" { ... }          // note: `firmware_signature_failure` quarantines

Fixed:

    class isolation \"Quarantine\" { quarantine = true }
",
};

pub static NOTHING_TO_MITIGATE: Code = Code {
    code: "N0003",
    name: "nothing-to-mitigate",
    severity: Severity::Note,
    summary: "a class has no moderate or high risk, and no profile fits it: it holds none",
    explanation: "\
Only moderate and high risks must be mitigated. A class with none needs no profile; when no
profile fits what it can do (its capabilities, area, management, access), it holds none rather
than failing: its things onboard with no profile level. Declare a profile (and the capabilities
its mitigations need) to give it one.

Example:

    class doorbell \"Doorbell\" {
      function = ordering
      environment = private_home        // every risk low
      capabilities = []                 // note: no profile fits, none is needed
    }
",
};

/// Every code, in code order.
pub static ALL: &[&Code] = &[
    &SYNTAX_ERROR,
    &INVALID_LITERAL,
    &UNKNOWN_NAME,
    &DUPLICATE_DEFINITION,
    &WRONG_KIND,
    &UNKNOWN_WORD,
    &UNKNOWN_PROPERTY,
    &MISPLACED_STATEMENT,
    &DUPLICATE_PROPERTY,
    &MISSING_PROPERTY,
    &WRONG_VALUE_TYPE,
    &UNKNOWN_PARAMETER,
    &NAME_TOO_LONG,
    &VALUE_OUT_OF_RANGE,
    &FLOW_TO_HIGHER_PROFILE,
    &FLOW_BYPASSES_GATEWAY,
    &UNIDIRECTIONAL_PROFILE,
    &ADDRESS_FAMILY_MISMATCH,
    &VIA_UNRELATED_GATEWAY,
    &QUARANTINE_FLOW,
    &UNMITIGATED_THREAT,
    &MISSING_CAPABILITY,
    &PROFILE_BELOW_REQUIRED,
    &PARAMETER_OUT_OF_BOUND,
    &NO_PROFILE_FITS,
    &UNWAIVABLE_FINDING,
    &WAIVER_EXPIRED,
    &CLASS_WITHOUT_SEGMENT,
    &CLASS_IN_SEVERAL_SEGMENTS,
    &MIXED_PROFILE_SEGMENT,
    &OVERLAPPING_SEGMENTS,
    &SERVICE_INSIDE_SEGMENT,
    &INVALID_REGEX,
    &INVALID_WINDOW,
    &UNKNOWN_CAPTURE,
    &TABLE_ROW_ARITY,
    &AMBIGUOUS_MUD_MATCH,
    &SEVERAL_QUARANTINE_PLACES,
    &UNUSED_DECLARATION,
    &DUPLICATE_FLOW,
    &UNUSED_PARAMETER,
    &CLASS_NOT_ASSESSED,
    &HOST_BITS_IN_PREFIX,
    &UNDECLARED_OPERATION,
    &BROAD_FLOW,
    &CLEARTEXT_PROTOCOL,
    &RESIDUAL_RISK,
    &QUARANTINE_WITHOUT_PLACE,
    &PERSONAL_DATA_FLOW,
    &UNTESTABLE_EXPECTATION,
    &WEAK_EVIDENCE,
    &WAIVER_EXPIRES_SOON,
    &WAIVER_UNUSED,
    &FLOW_EXPIRED,
    &UNKNOWN_LEVEL_SOURCE,
    &ASSIGNED_PROFILE,
    &STDLIB_QUARANTINE_WITHOUT_PLACE,
    &NOTHING_TO_MITIGATE,
];

/// Finds a code by its code (`E0100`, case-insensitive) or its name (`unknown-name`).
pub fn lookup(query: &str) -> Option<&'static Code> {
    ALL.iter()
        .copied()
        .find(|c| c.code.eq_ignore_ascii_case(query) || c.name == query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_ordered() {
        let mut previous = "E0000";
        for code in ALL {
            // Errors, then warnings, then notes; by number within each.
            let order = |c: &str| ("EWN".find(&c[..1]), c.to_string());
            assert!(
                order(previous) < order(code.code),
                "{} is out of order",
                code.code
            );
            let letter = match code.severity {
                Severity::Error => 'E',
                Severity::Warning => 'W',
                Severity::Note => 'N',
            };
            assert!(
                code.code.starts_with(letter),
                "{}: letter and severity",
                code.code
            );
            previous = code.code;
            assert_eq!(
                ALL.iter().filter(|c| c.name == code.name).count(),
                1,
                "name {} is used twice",
                code.name
            );
        }
    }

    #[test]
    fn every_explanation_has_an_example() {
        for code in ALL {
            assert!(
                code.explanation.contains("Example"),
                "{} has no example",
                code.code
            );
            assert!(
                !code.summary.ends_with('.'),
                "{}: summary ends with a period",
                code.code
            );
        }
    }

    #[test]
    fn lookup_by_code_and_name() {
        assert_eq!(lookup("e0100").map(|c| c.name), Some("unknown-name"));
        assert_eq!(lookup("unknown-name").map(|c| c.code), Some("E0100"));
        assert!(lookup("E9999").is_none());
    }
}
