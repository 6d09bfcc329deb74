//! The parser and the formatter on arbitrary text: no panic; a text that parses formats to a
//! text that parses to the same tree (ranges aside), and formatting that again changes
//! nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The debug form of a tree with every byte position taken out (ranges, a regex's start):
/// formatting moves declarations, never changes them.
fn shape(text: &str) -> String {
    let debug = format!("{:?}", ward_lang::parse(text).file.items);
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    while let Some(at) = rest.find("TextRange {") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find('}').map_or(rest.len(), |e| e + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    // A regex's offset in the file (for diagnostics inside it) is a byte position too.
    let mut shaped = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find("pattern_start: ") {
        let after = at + "pattern_start: ".len();
        shaped.push_str(&rest[..after]);
        rest = rest[after..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    shaped.push_str(rest);
    shaped
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parse = ward_lang::parse(text);
    if parse.has_errors() {
        return;
    }
    let Ok(formatted) = ward_lang::format(text) else {
        return;
    };
    let again = ward_lang::parse(&formatted);
    assert!(
        !again.has_errors(),
        "the formatted text does not parse: {:?}\n{formatted}",
        again.errors
    );
    let (before, after) = (shape(text), shape(&formatted));
    if before != after {
        let at = before
            .bytes()
            .zip(after.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(before.len().min(after.len()));
        let around =
            |s: &str| s[at.saturating_sub(200).min(s.len())..(at + 200).min(s.len())].to_string();
        panic!(
            "formatting changed the tree at {at}:\n  before: {}\n  after:  {}\n{formatted}",
            around(&before),
            around(&after)
        );
    }
    let twice = ward_lang::format(&formatted).expect("the formatted text formats");
    assert_eq!(twice, formatted, "formatting is not idempotent");
});
