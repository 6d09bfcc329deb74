//! The whole checker on arbitrary text, beside the standard library: every check, then the IDE
//! queries at an offset the fuzzer picks; and a text that checks without errors builds, and
//! the PAVA engine builds its rules (the invariant of the real-inputs issue: check accepts,
//! every later stage works).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ward_compiler::emit::{BuildOptions, build};
use ward_compiler::{Policy, Severity, ide};

fuzz_target!(|data: &[u8]| {
    // Raw text, so that the real policies seed the corpus as they are; the IDE queries' offset
    // is a hash of it.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let offset = data
        .iter()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(*b)));
    let mut policy = Policy::default();
    let file = policy.add_file("fuzz.ward", text);
    let result = policy.check();
    let (db, ws) = (policy.db(), policy.workspace());
    let offset = offset % (text.len() as u32 + 1);
    let _ = ide::hover(db, ws, file, offset);
    let _ = ide::completions(db, ws, file, offset);
    let _ = ide::goto_definition(db, ws, file, offset);
    let _ = ide::references(db, ws, file, offset);
    let _ = ide::rename(db, ws, file, offset, "renamed_by_fuzz");
    let _ = ide::semantic_tokens(db, ws, file);
    let _ = ide::folding_ranges(db, file);
    let _ = ide::inlay_hints(db, ws, file);
    let _ = ide::document_symbols(db, file);
    let _ = ide::workspace_symbols(db, ws, "a");
    let errors = result
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    if !errors {
        if let Err(error) = build(db, ws, BuildOptions::default()) {
            panic!("checks clean but does not build: {error:?}\n{text}");
        }
        // The gateway's PAVA engine builds every rule the checker accepted (a regex that
        // parses may still compile past the engine's limit).
        let ir = ward_compiler::ir::build_ir(db, ws);
        if let Err(error) = ward_pava::engine::Engine::new(&ir.detections, 16) {
            panic!("checks clean but the PAVA engine refuses it: {error}\n{text}");
        }
    }
});
