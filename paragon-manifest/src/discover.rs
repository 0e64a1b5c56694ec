//! Finding manifests (`specs/*/integration.toml`) and validating many at once.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostics;
use crate::manifest::{MANIFEST_FILE, Manifest};

/// The manifests under `specs_dir`: every `<specs_dir>/*/integration.toml`, sorted by path.
///
/// A missing or unreadable `specs_dir` gives an empty list.
///
/// ```
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs");
/// let found = paragon_manifest::discover(dir);
/// assert!(found.iter().any(|p| p.ends_with("tasklab/integration.toml")));
/// ```
pub fn discover(specs_dir: impl AsRef<Path>) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(specs_dir.as_ref()) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join(MANIFEST_FILE))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// Validates manifests, for `paragon-codegen validate [PATH]...`.
///
/// Each path is an `integration.toml`, an integration folder, or a folder of integration folders
/// (such as `specs/`), which is expanded with [`discover`]. No paths at all means
/// `specs/` under the current directory. Results come in the order of the paths.
///
/// ```
/// use std::path::PathBuf;
///
/// let specs = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs"));
/// for (path, result) in paragon_manifest::validate_paths(&[specs]) {
///     if let Err(diagnostics) = result {
///         panic!("{}: {diagnostics}", path.display());
///     }
/// }
/// ```
pub fn validate_paths(paths: &[PathBuf]) -> Vec<(PathBuf, Result<Manifest, Diagnostics>)> {
    let default = [PathBuf::from("specs")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() && !path.join(MANIFEST_FILE).is_file() {
            let found = discover(path);
            if found.is_empty() {
                files.push(path.join(MANIFEST_FILE));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|file| {
            let result = Manifest::load(&file);
            let file = if file.is_dir() {
                file.join(MANIFEST_FILE)
            } else {
                file
            };
            (file, result)
        })
        .collect()
}
