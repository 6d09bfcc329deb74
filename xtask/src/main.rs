//! `cargo run -p xtask -- gen-policy LINES OUT` writes one generated policy file;
//! `cargo run -p xtask -- gen-workspace FILES CLASSES DIR` writes a generated workspace.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen-policy", lines, out] => lines
            .parse()
            .map_err(|e| format!("LINES: {e}"))
            .and_then(|n| std::fs::write(out, xtask::policy(n)).map_err(|e| e.to_string())),
        ["gen-workspace", files, classes, dir] => match (files.parse(), classes.parse()) {
            (Ok(files), Ok(classes)) => write_workspace(dir, files, classes),
            _ => Err("FILES and CLASSES are numbers".to_string()),
        },
        _ => Err("usage: xtask gen-policy LINES OUT | gen-workspace FILES CLASSES DIR".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn write_workspace(dir: &str, files: usize, classes: usize) -> Result<(), String> {
    for (path, text) in xtask::workspace(files, classes) {
        let path = std::path::Path::new(dir).join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
