//! Finding and reading a policy's `.ward` files: one walker for the CLI and the language
//! server, which never follows a symbolic link to a folder (a link `x -> .` would loop) and
//! skips hidden folders, `target` and `node_modules`.

use std::fmt;
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
