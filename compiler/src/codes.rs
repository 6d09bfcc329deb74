//! The registry of diagnostic codes. A code never changes meaning once released: tools and
//! reviewers key on it (SARIF rule ids, `ward explain`, suppression lists).
//!
//! Numbering: E00xx syntax, E01xx names, E02xx declaration structure.

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
Each kind of declaration accepts a fixed set of properties; `ward explain` of this code and the
language reference in README.md list them. A misspelled key gets a suggestion.

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
        let mut previous = "";
        for code in ALL {
            assert!(code.code > previous, "{} is out of order", code.code);
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
