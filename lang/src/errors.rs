//! Pest's errors, retold in the user's words.
//!
//! Pest reports the rules it tried at the furthest position it reached. Users should never
//! see a rule name, so each rule that can be expected has a description here, and the
//! message says what came just before ("after the class name") and what was found instead.

use pest::error::{Error, ErrorVariant, InputLocation};

use crate::ast::{DeclKind, TextRange};
use crate::parse::{ParseError, ParseErrorKind};
use crate::syntax::Rule;

/// Turns the error of parsing a declaration at `offset` in `text` into a [`ParseError`].
pub(crate) fn describe_error(text: &str, offset: usize, error: &Error<Rule>) -> ParseError {
    let relative = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let at = (offset + relative).min(text.len());
    let mut expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => expected_words(positives),
        ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    if expected.is_empty() && at == offset {
        // Nothing of a declaration matched at all: pest names no rule, but we know what
        // may start one.
        expected.push("a declaration (`class`, `segment`, `flow`, ...)".to_string());
    }
    let found = found_token(text, at);
    let context = context_before(text, offset, at);
    let expected = simplify(expected, context.as_deref());
    let mut message = if expected.is_empty() {
        format!("unexpected {}", found.describe())
    } else {
        format!("expected {}", join_or(&expected))
    };
    if let Some(context) = context {
        message.push(' ');
        message.push_str(&context);
    }
    if !expected.is_empty() {
        message.push_str(", found ");
        message.push_str(&found.describe());
    }
    let help = help_for(&expected, &found, text, offset);
    ParseError {
        kind: ParseErrorKind::Syntax,
        message,
        range: TextRange::new(at as u32, (at + found.len).min(text.len()) as u32),
        help,
    }
}

/// What a rule is called in a message, or `None` for rules never worth naming.
fn rule_words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the file",
        Rule::name => "a name",
        Rule::value_name => "a value",
        Rule::title => "a title string",
        Rule::string | Rule::quoted | Rule::raw_string => "a string",
        Rule::block => "`{`",
        Rule::field_block | Rule::action_block => "`{`",
        Rule::decl_keyword
        | Rule::kw_capability
        | Rule::kw_flow
        | Rule::kw_test
        | Rule::named_decl
        | Rule::capability_decl
        | Rule::flow_decl
        | Rule::test_decl => "a declaration (`class`, `segment`, `flow`, ...)",
        Rule::flow_spec => "a flow such as `a -> b : tcp/443`",
        Rule::arrow => "`->` or `<->`",
        Rule::port_list | Rule::port_spec => "a protocol such as `tcp/443`",
        Rule::port_range => "a port or port range",
        Rule::property => "a property such as `key = value`",
        Rule::mitigate_stmt
        | Rule::param_stmt
        | Rule::bound_stmt
        | Rule::match_stmt
        | Rule::when_stmt
        | Rule::then_stmt
        | Rule::flow_assert
        | Rule::expect_detect
        | Rule::expect_stmt
        | Rule::table_stmt
        | Rule::verdict_param => "a statement",
        Rule::kw_in => "`in`",
        Rule::table_params => "a parameter name or `(names)`",
        Rule::table_rows => "`[` and the table's rows",
        Rule::table_row | Rule::port_cell => "a row such as `(a, b)` or a value",
        Rule::kw_with => "`with`",
        Rule::kw_within => "`within`",
        Rule::kw_by => "`by`",
        Rule::kw_fires => "`fires`",
        Rule::kw_on => "`on`",
        Rule::action => "an action such as `quarantine`",
        Rule::call => "a call such as `risk(class, threat)`",
        Rule::name_list => "a name",
        Rule::path => "a name",
        Rule::cmp_op => "a comparison (`==`, `<=`, `>=`, ...)",
        Rule::list
        | Rule::regex
        | Rule::ipv4
        | Rule::ipv6
        | Rule::date
        | Rule::duration
        | Rule::integer => "a value",
        Rule::eq => "`=`",
        Rule::colon => "`:`",
        Rule::rbrace => "`}`",
        Rule::lbrace => "`{`",
        Rule::lbracket => "`[`",
        Rule::lparen => "`(`",
        Rule::rbracket => "`]`",
        Rule::rparen => "`)`",
        Rule::comma => "`,`",
        _ => return None,
    })
}

fn expected_words(rules: &[Rule]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut statement_like = false;
    for rule in rules {
        let Some(word) = rule_words(*rule) else {
            continue;
        };
        if matches!(word, "a statement" | "a property such as `key = value`") {
            statement_like = true;
            continue;
        }
        if !words.iter().any(|w| w == word) {
            words.push(word.to_string());
        }
    }
    if statement_like {
        words.push("a property or statement".to_string());
    }
    // Punctuation first: "expected `=` or `{`" reads better than the other way round.
    words.sort_by_key(|w| (!w.starts_with('`'), w.clone()));
    words
}

/// Folds the expected set into what a person would say: "a value" already covers lists,
/// names and strings; right after a declaration's name a string can only be its title.
fn simplify(mut words: Vec<String>, context: Option<&str>) -> Vec<String> {
    let has = |words: &[String], w: &str| words.iter().any(|x| x == w);
    if has(&words, "a value") {
        words.retain(|w| !matches!(w.as_str(), "`[`" | "a name" | "a string"));
    }
    if has(&words, "a property or statement") {
        words.retain(|w| w != "a name");
    }
    // After `for NAME`, `=` is only the property the words could also have started: no
    // property is called `for`.
    if has(&words, "`in`") {
        words.retain(|w| w != "`=`");
    }
    if context.is_some_and(|c| c.ends_with(" name")) {
        for w in &mut words {
            if w == "a string" {
                *w = "a title string".to_string();
            }
        }
    }
    words
}

fn join_or(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

struct Found {
    text: String,
    len: usize,
}

impl Found {
    fn describe(&self) -> String {
        if self.len == 0 {
            "the end of the file".to_string()
        } else if self.text == "\n" {
            "the end of the line".to_string()
        } else if let Some(c) = self.text.chars().next().filter(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}')
        }) {
            // A character a terminal shows as nothing or as a blank (NUL, a no-break space, a
            // zero-width one) is named by its code point, or the message reads "found ` `".
            format!("the character U+{:04X}", c as u32)
        } else {
            format!("`{}`", self.text)
        }
    }
}

/// The token at `at`: a word, a number, or one character.
fn found_token(text: &str, at: usize) -> Found {
    let rest = &text[at..];
    let Some(first) = rest.chars().next() else {
        return Found {
            text: String::new(),
            len: 0,
        };
    };
    let len = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    // At most 40 bytes, cut at a character's boundary.
    let mut len = len.min(40);
    while !rest.is_char_boundary(len) {
        len -= 1;
    }
    let text = rest[..len].to_string();
    Found { text, len }
}

/// "after the class name" / "after `=`": what came just before the error, skipping blanks.
fn context_before(text: &str, decl_start: usize, at: usize) -> Option<String> {
    let before = text.get(decl_start..at)?.trim_end();
    if before.is_empty() {
        return None;
    }
    let last = before.chars().next_back()?;
    let token_start = if last.is_alphanumeric() || last == '_' {
        // After the character that ends the word, whatever its width (a BOM, a dash).
        before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(0, |(i, c)| i + c.len_utf8())
    } else if last == '"' {
        return Some(
            if before.matches('"').count() == 2 && !before.contains('{') {
                "after the title".to_string()
            } else {
                "after the string".to_string()
            },
        );
    } else {
        before.len() - last.len_utf8()
    };
    let token = &before[token_start..];
    let head = before[..token_start].trim_end();
    if let Some(kind) = DeclKind::from_keyword(head)
        && kind != DeclKind::Flow
        && kind != DeclKind::Test
    {
        return Some(format!("after the {} name", kind.noun()));
    }
    Some(format!("after `{token}`"))
}

fn help_for(expected: &[String], found: &Found, text: &str, decl_start: usize) -> Option<String> {
    let decl_word: String = text[decl_start..]
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if DeclKind::from_keyword(&decl_word).is_none() {
        let mut help = String::from(
            "a ward file is a list of declarations: threat, mitigation, capability, profile, \
             environment, class, service, gateway, segment, flow, detect and test",
        );
        if decl_word == "import" || decl_word == "use" {
            help.push_str("; there are no imports: all files of a folder form one policy");
        }
        return Some(help);
    }
    if found.text == "=" && expected.iter().any(|w| w == "`{`") {
        return Some(format!(
            "properties go inside the block: `{decl_word} name {{ key = value }}`"
        ));
    }
    if found.text == "," && expected.iter().any(|w| w == "`in`") {
        return Some(
            "a table's names go in parentheses: `for (verdict, source) in [(allow, app), ...]`"
                .to_string(),
        );
    }
    if found.text == ":" && expected.iter().any(|w| w == "`=`") {
        return Some("write properties as `key = value`".to_string());
    }
    if found.len == 0 && expected.iter().any(|w| w == "`}`") {
        return Some("a block was opened with `{` but never closed".to_string());
    }
    None
}
