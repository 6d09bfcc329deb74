//! The formatter: golden files, idempotence, and meaning preserved, over the test corpus,
//! the standard library and the example policies.

use std::path::{Path, PathBuf};

use ward_lang::{format, parse};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ward_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            ward_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "ward") {
            out.push(path);
        }
    }
}

/// The corpus: every `.ward` file of the formatter goldens, the stdlib and the policies.
fn corpus() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in [
        "lang/tests/format",
        "stdlib/ward",
        "policies",
        "compiler/tests/diagnostics",
    ] {
        ward_files(&root.join(dir), &mut files);
    }
    // Files with syntax errors are there to test errors, not layout.
    files.retain(|path| !parse(&read(path)).has_errors());
    assert!(files.len() >= 12, "the corpus is missing files: {files:?}");
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The tree's Debug output without byte ranges: what the file means, not where it says it.
fn meaning(text: &str) -> String {
    let parse = parse(text);
    let mut debug = format!("{:?}", parse.file.items);
    for marker in ["range: TextRange { ", "pattern_start: "] {
        while let Some(start) = debug.find(marker) {
            let rest = &debug[start..];
            let end = if marker.starts_with("range") {
                rest.find('}').map_or(rest.len(), |i| i + 1)
            } else {
                let digits = &rest[marker.len()..];
                marker.len()
                    + digits
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(digits.len())
            };
            debug.replace_range(start..start + end, "");
        }
    }
    // `flow a -> b {}` is printed as `flow a -> b`: an empty optional block means nothing.
    debug
        .replace("has_block: true, ", "")
        .replace("has_block: false, ", "")
}

fn comment_texts(text: &str) -> Vec<String> {
    parse(text)
        .file
        .comments
        .into_iter()
        .map(|c| c.text)
        .collect()
}

#[test]
fn golden_files() {
    let dir = workspace_root().join("lang/tests/format");
    let mut checked = 0;
    let mut inputs = Vec::new();
    ward_files(&dir, &mut inputs);
    for input in inputs
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".in.ward"))
    {
        let expected_path = PathBuf::from(input.to_string_lossy().replace(".in.ward", ".out.ward"));
        let formatted = format(&read(input)).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        let expected = read(&expected_path);
        assert_eq!(
            formatted,
            expected,
            "{} differs from its golden file",
            input.display()
        );
        checked += 1;
    }
    assert!(checked >= 4);
}

#[test]
fn formatting_is_idempotent() {
    for path in corpus() {
        let once = format(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let twice = format(&once).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            once,
            twice,
            "formatting {} twice changes it",
            path.display()
        );
    }
}

#[test]
fn formatting_keeps_meaning_and_comments() {
    for path in corpus() {
        let text = read(&path);
        let formatted = format(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            meaning(&text),
            meaning(&formatted),
            "{} changed meaning",
            path.display()
        );
        assert_eq!(
            comment_texts(&text),
            comment_texts(&formatted),
            "{} lost or reordered comments",
            path.display()
        );
    }
}

#[test]
fn stdlib_and_policies_are_formatted() {
    let root = workspace_root();
    let mut files = Vec::new();
    ward_files(&root.join("stdlib/ward"), &mut files);
    ward_files(&root.join("policies"), &mut files);
    for path in files {
        let text = read(&path);
        let formatted = format(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            formatted == text,
            "{} is not formatted: run `ward fmt`",
            path.display()
        );
    }
}

#[test]
fn a_file_with_syntax_errors_is_refused() {
    let error = format("class a { function = }\nclass b {}").expect_err("must refuse");
    assert_eq!(error.errors.len(), 1);
    assert_eq!(
        error.to_string(),
        "the file has 1 syntax error; fix it before formatting"
    );
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format("").as_deref(), Ok(""));
    assert_eq!(format("\n\n").as_deref(), Ok(""));
    assert_eq!(
        format("// only\n\n\n// comments").as_deref(),
        Ok("// only\n\n// comments\n")
    );
}

/// Found by the `parse_format` fuzz target: a comment ending with `{` inside a block's only
/// statement made the printer think the block was still empty, and its `}` went into the
/// comment: the formatted text no longer parsed.
#[test]
fn a_comment_ending_with_a_brace_does_not_swallow_the_blocks_close() {
    let text = "class isolation \"Quarantine\" {hea // tes \"Update server\" {\n  host = \"updates.example\"\n}\n";
    assert!(!ward_lang::parse(text).has_errors());
    let formatted = ward_lang::format(text).expect("formats");
    assert!(
        !ward_lang::parse(&formatted).has_errors(),
        "the formatted text does not parse:\n{formatted}"
    );
    assert_eq!(ward_lang::format(&formatted).expect("formats"), formatted);
}

/// Found by the `parse_format` fuzz target: a byte-order mark between two doc comments (it
/// is whitespace to the grammar) broke the chain of docs above a declaration; the formatter,
/// which drops it, joined them: formatting changed what the declaration's docs were.
#[test]
fn a_byte_order_mark_between_doc_comments_keeps_them_together() {
    let text = "/// a\n\u{feff}/// b\nclass c \"C\" {\n  function = sensing\n}\n";
    let parsed = ward_lang::parse(text);
    assert!(!parsed.has_errors());
    let docs = |parse: &ward_lang::Parse| parse.file.decls().next().map(|d| d.docs.clone());
    assert_eq!(docs(&parsed), Some(vec!["a".to_string(), "b".to_string()]));
    let formatted = ward_lang::format(text).expect("formats");
    assert_eq!(docs(&ward_lang::parse(&formatted)), docs(&parsed));
}
