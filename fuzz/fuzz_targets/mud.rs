//! The MUD reader (RFC 8520/8519) on arbitrary bytes: no panic; a file it reads is imported
//! (`ward mud import`) into declarations that parse.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_mud::import::{ImportOptions, import};

fuzz_target!(|data: &[u8]| {
    let Ok(mud) = ward_mud::parse::parse_mud(data) else {
        return;
    };
    let text = import(&[("fuzz.json".to_string(), mud)], &ImportOptions::default());
    let parse = ward_lang::parse(&text);
    assert!(
        !parse.has_errors(),
        "imported declarations do not parse: {:?}\n{text}",
        parse.errors
    );
});
