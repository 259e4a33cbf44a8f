//! Python's non-strict `os.path.realpath`: where a link dangles, loops or cannot be read, the
//! path is still resolved as far as it exists and the rest is taken lexically. A dangling link is
//! then judged inside or outside the root by where it points, like the Python walk judges it.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The real path of `path`, as `os.path.realpath(path)` gives it.
pub(crate) fn realpath(path: &Path) -> PathBuf {
    // Where every component exists, realpath(3) and Python agree, and it is one call.
    fs::canonicalize(path).unwrap_or_else(|_| resolve(path.as_os_str().as_bytes()))
}

enum Part {
    Name(Vec<u8>),
    /// Every part of the target of this link has been resolved: the path so far is its target.
    Resolved(Vec<u8>),
}

fn push_parts(rest: &mut Vec<Part>, path: &[u8]) {
    rest.extend(
        path.split(|&b| b == b'/')
            .rev()
            .map(|name| Part::Name(name.to_vec())),
    );
}

/// `posixpath.realpath(filename, strict=False)` of Python 3.13, step by step.
fn resolve(filename: &[u8]) -> PathBuf {
    let mut path: Vec<u8> = if filename.starts_with(b"/") {
        b"/".to_vec()
    } else {
        std::env::current_dir()
            .map_or_else(|_| b"/".to_vec(), |cwd| cwd.into_os_string().into_vec())
    };
    let mut rest = Vec::new();
    push_parts(&mut rest, filename);
    // A link's real path once resolved; None while its target is being resolved.
    let mut seen: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
    while let Some(part) = rest.pop() {
        let name = match part {
            Part::Resolved(link) => {
                seen.insert(link, Some(path.clone()));
                continue;
            }
            Part::Name(name) => name,
        };
        if name.is_empty() || name == b"." {
            continue;
        }
        if name == b".." {
            let cut = path.iter().rposition(|&b| b == b'/').unwrap_or(0);
            path.truncate(cut);
            if path.is_empty() {
                path.push(b'/');
            }
            continue;
        }
        let mut newpath = path.clone();
        if newpath != b"/" {
            newpath.push(b'/');
        }
        newpath.extend_from_slice(&name);
        let new = Path::new(OsStr::from_bytes(&newpath));
        let is_link = fs::symlink_metadata(new).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            path = newpath;
            continue;
        }
        if let Some(cached) = seen.get(&newpath) {
            // None: the link is being resolved, so this is a loop; it stays as written.
            path = cached.clone().unwrap_or(newpath);
            continue;
        }
        let Ok(target) = fs::read_link(new) else {
            path = newpath;
            continue;
        };
        let target = target.into_os_string().into_vec();
        seen.insert(newpath.clone(), None);
        if target.starts_with(b"/") {
            path = b"/".to_vec();
        }
        rest.push(Part::Resolved(newpath));
        push_parts(&mut rest, &target);
    }
    PathBuf::from(OsString::from_vec(path))
}

/// Python's `inside`: whether the real path `target` is `root` or below it.
pub(crate) fn inside(target: &Path, root: &Path) -> bool {
    let target = target.as_os_str().as_bytes();
    let root = root.as_os_str().as_bytes();
    if target == root {
        return true;
    }
    let trimmed = root
        .iter()
        .rposition(|&b| b != b'/')
        .map_or(&b""[..], |last| &root[..=last]);
    target.len() > trimmed.len() && target.starts_with(trimmed) && target[trimmed.len()] == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_is_a_path_prefix_test() {
        let root = Path::new("/srv/site");
        assert!(inside(Path::new("/srv/site"), root));
        assert!(inside(Path::new("/srv/site/a"), root));
        assert!(!inside(Path::new("/srv/site2/a"), root));
        assert!(!inside(Path::new("/srv"), root));
        assert!(inside(Path::new("/anything"), Path::new("/")));
    }

    #[test]
    fn resolve_is_lexical_where_nothing_exists() {
        let base = "/nonexistent-ferrostatic-scan";
        assert_eq!(
            resolve(format!("{base}/a/../b/./c//d").as_bytes()),
            PathBuf::from(format!("{base}/b/c/d"))
        );
        assert_eq!(resolve(b"/../.."), PathBuf::from("/"));
    }
}
