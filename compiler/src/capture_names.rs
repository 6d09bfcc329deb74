//! One capture name in several alternatives of a detection rule's regex, as PCRE's `(?J)`
//! allows: `Failed .* from (?<src>...) port \d+|Bad password .* from (?<src>...):\d+`. The
//! regex engine (Rust's `regex`) refuses a repeated name, so the second and later groups of a
//! name are numbered (`src__ward2`) before compiling, and the value of the one that took
//! part in a match is read back under the name written. The checker, the engine and the
//! Sigma export all go through here, so they agree on what a pattern captures.

use std::borrow::Cow;

/// What separates a name from the number given to its repeats. Two underscores and `ward`
/// cannot collide with a name an author would write by accident.
const MARK: &str = "__ward";

/// The pattern with repeated group names numbered, and, for error positions, where each
/// inserted suffix sits: `(position in the result, bytes inserted)`.
pub fn number_repeats(pattern: &str) -> (Cow<'_, str>, Vec<(usize, usize)>) {
    let groups = named_groups(pattern);
    let mut seen: Vec<&str> = Vec::new();
    let mut out = String::new();
    let mut inserted = Vec::new();
    let mut copied = 0;
    for (name_end, name) in groups {
        let repeats = seen.iter().filter(|n| **n == name).count();
        seen.push(name);
        if repeats == 0 {
            continue;
        }
        out.push_str(&pattern[copied..name_end]);
        let suffix = format!("{MARK}{}", repeats + 1);
        inserted.push((out.len(), suffix.len()));
        out.push_str(&suffix);
        copied = name_end;
    }
    if inserted.is_empty() {
        return (Cow::Borrowed(pattern), inserted);
    }
    out.push_str(&pattern[copied..]);
    (Cow::Owned(out), inserted)
}

/// The name an author wrote for a (possibly numbered) group name.
pub fn written_name(name: &str) -> &str {
    match name.rfind(MARK) {
        Some(at) if name[at + MARK.len()..].bytes().all(|b| b.is_ascii_digit()) => &name[..at],
        _ => name,
    }
}

/// Maps a position in the numbered pattern back to the pattern as written.
pub fn written_offset(offset: usize, inserted: &[(usize, usize)]) -> usize {
    let mut shift = 0;
    for &(at, len) in inserted {
        if offset >= at + len {
            shift += len;
        } else if offset >= at {
            return at - shift;
        }
    }
    offset - shift
}

/// The pattern with every group name removed (`(?<src>x)` -> `(x)`): what regex dialects
/// without named groups (Sigma's backends) take.
pub fn without_names(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut copied = 0;
    for (name_end, name) in named_groups(pattern) {
        // `(?<name>` or `(?P<name>`: from the `?` to the `>`.
        let open = name_end
            - name.len()
            - if pattern[..name_end - name.len()].ends_with("?P<") {
                3
            } else {
                2
            };
        out.push_str(&pattern[copied..open]);
        copied = name_end + 1;
    }
    out.push_str(&pattern[copied..]);
    out
}

/// `(end of the name, name)` for every named group opening `(?<name>` / `(?P<name>`, outside
/// escapes and character classes.
fn named_groups(pattern: &str) -> Vec<(usize, &str)> {
    let bytes = pattern.as_bytes();
    let mut groups = Vec::new();
    let mut class_depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b'[' => {
                class_depth += 1;
                // A `]` right after `[` or `[^` is a literal in the class.
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                } else if bytes.get(i + 1) == Some(&b'^') && bytes.get(i + 2) == Some(&b']') {
                    i += 2;
                }
            }
            b']' if class_depth > 0 => class_depth -= 1,
            b'(' if class_depth == 0 => {
                let rest = &pattern[i + 1..];
                let start = if rest.starts_with("?<")
                    && !rest.starts_with("?<=")
                    && !rest.starts_with("?<!")
                {
                    Some(i + 3)
                } else if rest.starts_with("?P<") {
                    Some(i + 4)
                } else {
                    None
                };
                if let Some(start) = start
                    && let Some(len) = pattern[start..].find('>')
                {
                    groups.push((start + len, &pattern[start..start + len]));
                }
            }
            _ => {}
        }
        i += 1;
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_numbered_and_read_back() {
        let pattern = r"a (?<src>\d+)|b (?P<src>\w+)|c (?<src>x)(?<other>y)";
        let (numbered, inserted) = number_repeats(pattern);
        assert_eq!(
            numbered,
            r"a (?<src>\d+)|b (?P<src__ward2>\w+)|c (?<src__ward3>x)(?<other>y)"
        );
        assert_eq!(inserted.len(), 2);
        assert!(regex_syntax::Parser::new().parse(&numbered).is_ok());
        assert_eq!(written_name("src__ward3"), "src");
        assert_eq!(written_name("src"), "src");
        assert_eq!(written_name("a__wardx"), "a__wardx");
        // After the first insertion, positions move back by its length.
        let second = numbered.find("(?<src__ward3").expect("there");
        assert_eq!(
            written_offset(second, &inserted),
            pattern.find("(?<src>x)").expect("there")
        );
    }

    #[test]
    fn escapes_and_classes_are_not_groups() {
        let pattern = r"\(?<src>x [(?<src>] (?<src>y)";
        assert!(matches!(number_repeats(pattern).0, Cow::Borrowed(_)));
        assert_eq!(without_names(r"a(?<x>b)(?P<y>c)[(?<z>]"), r"a(b)(c)[(?<z>]");
        assert_eq!(without_names("plain"), "plain");
    }
}
