//! Bad input never panics: the example policies, mutated at random (deterministically),
//! go through parsing, every check, the IR, and the IDE queries at random offsets.

use std::path::Path;

use ward_compiler::{Policy, ide};

/// A small deterministic generator (xorshift), so that a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "=",
    ",",
    ";",
    "\"",
    "\"\"\"",
    "//",
    "///",
    "->",
    "<->",
    ":",
    "/",
    "class",
    "flow",
    "segment",
    "profile",
    "mitigate",
    "with",
    "when",
    "then",
    "for",
    " in ",
    "(",
    ")",
    "allow flow",
    "action",
    "-5m",
    "0s",
    "10.0.0.300",
    "fd00::/200",
    "tcp/70000",
    "SecProf_9",
    "T99",
    "é",
    "\n",
    " ",
    "(?<",
    "\\",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut bytes: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(3) {
            0 if !bytes.is_empty() => {
                let end = (at + 1 + rng.below(12)).min(bytes.len());
                bytes.drain(at.min(bytes.len())..end);
            }
            _ => {
                let piece = PIECES[rng.below(PIECES.len())];
                for (i, c) in piece.chars().enumerate() {
                    bytes.insert((at + i).min(bytes.len()), c);
                }
            }
        }
    }
    bytes.into_iter().collect()
}

#[test]
fn mutated_policies_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let mut sources = Vec::new();
    for folder in ["home", "managed_home", "industrial", "managed_industrial"] {
        for entry in std::fs::read_dir(root.join(folder))
            .expect("folder")
            .flatten()
        {
            sources.push(std::fs::read_to_string(entry.path()).expect("read"));
        }
    }
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..120 {
        let mut policy = Policy::default();
        let mut files = Vec::new();
        for (i, text) in sources.iter().enumerate() {
            let text = if rng.below(2) == 0 {
                mutate(text, &mut rng)
            } else {
                text.clone()
            };
            files.push(policy.add_file(format!("p{i}.ward"), text));
        }
        let result = policy.check();
        // Every range points inside its file, on character boundaries.
        for d in &result.diagnostics {
            let text = d.file.text(policy.db());
            assert!(d.range.end as usize <= text.len(), "round {round}: {d:?}");
            assert!(
                text.is_char_boundary(d.range.start as usize),
                "round {round}: {d:?}"
            );
            assert!(
                text.is_char_boundary(d.range.end as usize),
                "round {round}: {d:?}"
            );
        }
        if !result.has_errors() {
            let _ = ward_compiler::emit::build(policy.db(), policy.workspace(), Default::default());
        }
        let db = policy.db();
        let ws = policy.workspace();
        for &file in &files {
            let len = file.text(db).len() as u32;
            for _ in 0..5 {
                let offset = rng.below(len as usize + 1) as u32;
                let _ = ide::hover(db, ws, file, offset);
                let _ = ide::goto_definition(db, ws, file, offset);
                let _ = ide::references(db, ws, file, offset);
                let _ = ide::completions(db, ws, file, offset);
                let _ = ide::rename(db, ws, file, offset, "renamed");
            }
            let _ = ide::semantic_tokens(db, ws, file);
            let _ = ide::inlay_hints(db, ws, file);
            let _ = ide::folding_ranges(db, file);
            let _ = ide::document_symbols(db, file);
        }
    }
}

#[test]
fn offsets_inside_characters_are_harmless() {
    let mut policy = Policy::default();
    let text = "class é \"Ünïcode\" { function = sensing }\nsegment s { classes = [é] }\n";
    let file = policy.add_file("u.ward", text);
    for offset in 0..=text.len() as u32 {
        let _ = ide::completions(policy.db(), policy.workspace(), file, offset);
        let _ = ide::hover(policy.db(), policy.workspace(), file, offset);
    }
}
