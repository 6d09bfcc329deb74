//! Where a policy's files are named from (its root) and writing files atomically; finding and
//! reading them is `ward_compiler::files`, shared with the language server.

use std::io::Write;
use std::path::{Path, PathBuf};

pub use ward_compiler::files::{FileError, collect, read};

/// The policy's root: the deepest folder holding every path given (a file counts by its
/// folder). Bundles name source files relative to it, so that the same sources give the
/// same bytes from wherever `ward build` runs, and no absolute path leaks into an output.
pub fn policy_root(paths: &[PathBuf]) -> Option<PathBuf> {
    let mut root: Option<PathBuf> = None;
    for path in paths {
        let absolute = std::fs::canonicalize(path).ok()?;
        let folder = if absolute.is_dir() {
            absolute
        } else {
            absolute.parent()?.to_path_buf()
        };
        root = Some(match root {
            None => folder,
            Some(root) => {
                let common: PathBuf = root
                    .components()
                    .zip(folder.components())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect();
                common
            }
        });
    }
    root
}

/// How a file is named in a bundle: relative to the policy's root, `/`-separated; as given
/// when it is not under the root.
pub fn name_in_root(path: &Path, root: Option<&Path>) -> String {
    let relative = root.and_then(|root| {
        let absolute = std::fs::canonicalize(path).ok()?;
        absolute.strip_prefix(root).ok().map(Path::to_path_buf)
    });
    display(relative.as_deref().unwrap_or(path))
}

/// A path as users gave it, with `/` separators for stable output.
pub fn display(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    text.replace('\\', "/")
}

/// Replaces the file's contents through a temporary file in the same folder and a rename,
/// so that an interrupted write never leaves a half-written policy.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.ward-tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
