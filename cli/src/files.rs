//! Finding and reading `.ward` files, with clear errors for what cannot be read, and writing
//! files atomically.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file or folder that could not be used.
#[derive(Debug)]
pub struct FileError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// The `.ward` files named by `paths` (files as given, folders searched recursively, skipping
/// hidden folders and `target`), sorted and without repeats. Paths that do not exist or
/// cannot be listed are returned as errors beside the files found.
pub fn collect(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut found, &mut errors),
            Ok(_) => found.push(path.clone()),
            Err(error) => errors.push(FileError {
                path: path.clone(),
                message: match error.kind() {
                    std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
                    _ => error.to_string(),
                },
            }),
        }
    }
    found.sort();
    found.dedup();
    (found, errors)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, errors: &mut Vec<FileError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(FileError {
                path: dir.to_path_buf(),
                message: format!("cannot list the folder: {error}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&path, found, errors);
            }
        } else if path.extension().is_some_and(|ext| ext == "ward") {
            found.push(path);
        }
    }
}

/// Reads a policy file as UTF-8 text.
pub fn read(path: &Path) -> Result<String, FileError> {
    let bytes = std::fs::read(path).map_err(|error| FileError {
        path: path.to_path_buf(),
        message: match error.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            std::io::ErrorKind::IsADirectory => "is a folder, not a file".to_string(),
            _ => format!("cannot read: {error}"),
        },
    })?;
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        FileError {
            path: path.to_path_buf(),
            message: format!(
                "not valid UTF-8 (first invalid byte at offset {offset}); ward files are UTF-8 text"
            ),
        }
    })
}

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
