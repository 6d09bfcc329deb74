//! What the gateway's PAVA engine compiles for a detection rule's pattern, in one place: the
//! checker compiles the very same text under the same limit, so a pattern `ward check` accepts
//! is one every gateway builds, and the Sigma export's captures read the same way.

/// The regex flags ward accepts after the closing `/`.
pub const FLAGS: &str = "imsxU";

/// The most heap one compiled regex of a rule may take on the gateway (the `regex` crate's
/// size limit). A counted repetition copies its body: `\w{1,500}` under Unicode is past it.
pub const REGEX_SIZE_LIMIT: usize = 1 << 22;

/// What the gateway's engine compiles for a pattern: repeated capture names numbered
/// (`capture_names.rs`) and the rule's flags inline. The checker compiles the same text, so
/// a pattern `ward check` accepts is one the engine builds.
pub fn engine_pattern(pattern: &str, flags: &str) -> String {
    let (numbered, _) = crate::capture_names::number_repeats(pattern);
    let flags: String = flags.chars().filter(|c| FLAGS.contains(*c)).collect();
    if flags.is_empty() {
        numbered.into_owned()
    } else {
        format!("(?{flags}){numbered}")
    }
}

/// The engine's regex for a pattern, within `REGEX_SIZE_LIMIT`.
pub fn engine_regex(pattern: &str, flags: &str) -> Result<regex::Regex, regex::Error> {
    compile(&engine_pattern(pattern, flags))
}

/// An `engine_pattern` compiled, within `REGEX_SIZE_LIMIT`.
pub fn compile(full: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(full)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
}
