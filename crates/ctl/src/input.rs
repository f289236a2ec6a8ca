//! Reading manifests from a file, a directory or stdin: the CLI's only file access for input.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One input stream and the name to report it by.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path as given, or `-` for stdin.
    pub name: String,
    /// The text.
    pub text: String,
}

/// Why input could not be read.
#[derive(Debug)]
pub struct InputError {
    /// The path involved.
    pub path: PathBuf,
    /// What went wrong.
    pub error: std::io::Error,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path.display(), self.error)
    }
}

/// What was read, and the subdirectories that were skipped because `-R` was not given.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The streams, sorted by path.
    pub sources: Vec<Source>,
    /// Subdirectories not entered.
    pub skipped_dirs: Vec<PathBuf>,
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Reads `path`: `-` is stdin, a file is read whole, a directory yields its `.yaml`, `.yml`
/// and `.json` files in name order (recursing only when `recursive`).
///
/// # Errors
/// The first file or directory that cannot be read.
pub fn read(path: &Path, recursive: bool) -> Result<Inputs, InputError> {
    let mut inputs = Inputs::default();
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| InputError {
                path: path.to_path_buf(),
                error,
            })?;
        inputs.sources.push(Source {
            name: "-".into(),
            text,
        });
        return Ok(inputs);
    }
    let meta = std::fs::metadata(path).map_err(|error| InputError {
        path: path.to_path_buf(),
        error,
    })?;
    if meta.is_dir() {
        read_dir(path, recursive, &mut inputs)?;
    } else {
        let text = std::fs::read_to_string(path).map_err(|error| InputError {
            path: path.to_path_buf(),
            error,
        })?;
        inputs.sources.push(Source {
            name: path.display().to_string(),
            text,
        });
    }
    Ok(inputs)
}

fn read_dir(dir: &Path, recursive: bool, inputs: &mut Inputs) -> Result<(), InputError> {
    let err = |error| InputError {
        path: dir.to_path_buf(),
        error,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if recursive {
                read_dir(&p, true, inputs)?;
            } else {
                inputs.skipped_dirs.push(p);
            }
        } else if is_manifest(&p) {
            let text = std::fs::read_to_string(&p).map_err(|error| InputError {
                path: p.clone(),
                error,
            })?;
            inputs.sources.push(Source {
                name: p.display().to_string(),
                text,
            });
        }
    }
    Ok(())
}
