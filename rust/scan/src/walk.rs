//! The walk of `_index._walk` and the grouping of `_index._group_variants`, then the `ETag`s of
//! `_index._variant`, with the same order of files and of everything left out.

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::hash::{self, Queue, Tagged};
use crate::{pyrepr, realpath, Coding, File, Options, Tree, Variant};

/// The bookkeeping of `ferrostatic compress`: never served, even with `allow_hidden`.
const NEVER_SERVED: &[u8] = b".ferrostatic-compress.json";

/// The codings in the order of `File::variants`; a representation's slot is its index here.
const CODINGS: [Coding; 4] = [Coding::Identity, Coding::Br, Coding::Zstd, Coding::Gzip];

/// A representation as stat'ed by the walk, before it is read.
#[derive(Clone, Copy)]
struct Stat {
    size: u64,
    mtime_ns: i64,
    suffix: &'static str,
}

/// A file the walk found, with the siblings that are its variants.
pub(crate) struct Found {
    rel: String,
    /// By slot (see `CODINGS`); the identity is always there.
    stats: [Option<Stat>; 4],
    clean_url: bool,
}

/// A directory waiting on the stack.
struct Dir {
    rel: String,
    /// `root/rel`, through any symlinks on the way, as Python's `entry.path` spells it.
    path: PathBuf,
    /// The (device, inode) of this directory and of those above it: a link back to one of them
    /// is a loop.
    ancestors: Vec<(u64, u64)>,
}

/// A regular file of the directory being walked.
struct Regular {
    name: String,
    size: u64,
    mtime_ns: i64,
}

/// Finds the servable files under `root`, grouped with their siblings, in the order of the Python
/// walk; records what is left out in `tree`.
///
/// Each directory's representations to hash are queued as soon as it is grouped, in file order,
/// so that they are hashed while the walk goes on.
pub(crate) fn walk(
    root: &Path,
    options: &Options,
    tree: &mut Tree,
    queue: &mut Queue,
) -> io::Result<Vec<Found>> {
    let root_metadata = fs::metadata(root)?;
    let mut found = Vec::new();
    let mut stack = vec![Dir {
        rel: String::new(),
        path: root.to_path_buf(),
        ancestors: vec![identity(&root_metadata)],
    }];
    // Last in, first out, like the Python list it mirrors: the order of `files` depends on it.
    while let Some(dir) = stack.pop() {
        let entries =
            match fs::read_dir(&dir.path).and_then(Iterator::collect::<io::Result<Vec<_>>>) {
                Ok(entries) => entries,
                Err(error) => {
                    let shown = if dir.rel.is_empty() { "/" } else { &dir.rel };
                    tree.warnings.push(format!(
                        "cannot read directory {}: {}",
                        pyrepr::repr(shown.as_bytes()),
                        pyrepr::os_error(&error, Some(dir.path.as_os_str().as_bytes())),
                    ));
                    tree.unreadable.push(shown.to_owned());
                    continue;
                }
            };
        let mut here = Vec::with_capacity(entries.len());
        for entry in &entries {
            let name = entry.file_name();
            let bytes = name.as_bytes();
            if bytes == NEVER_SERVED {
                continue;
            }
            // Only the top-level .well-known is exempt: that is where RFC 8615 puts it.
            let well_known = dir.rel.is_empty() && bytes == b".well-known";
            if bytes.starts_with(b".") && !well_known && !options.allow_hidden {
                tree.hidden
                    .push(pyrepr::replace_invalid(&rel_bytes(&dir.rel, bytes)));
                continue;
            }
            let name = match name.into_string() {
                Ok(name) => name,
                Err(name) => {
                    let rel = rel_bytes(&dir.rel, name.as_bytes());
                    tree.warnings.push(format!(
                        "skipping {}: its name is not valid UTF-8",
                        pyrepr::repr(&rel)
                    ));
                    tree.unreadable.push(pyrepr::replace_invalid(&rel));
                    continue;
                }
            };
            let is_link = entry.file_type().is_ok_and(|kind| kind.is_symlink());
            // Most entries are regular files that are not links: they need no path of their
            // own, and are stat'ed relative to the open directory, which gives the answer of
            // stat(2) on their path without resolving it again.
            let metadata = if is_link {
                let path = child(&dir.path, &name);
                if !options.follow_symlinks_outside
                    && !realpath::inside(&realpath::realpath(&path), root)
                {
                    tree.outside_symlinks.push(join(&dir.rel, &name));
                    continue;
                }
                fs::metadata(&path)
            } else {
                entry.metadata()
            };
            let Ok(metadata) = metadata else {
                tree.unreadable.push(join(&dir.rel, &name));
                continue;
            };
            if metadata.is_dir() {
                let id = identity(&metadata);
                if !dir.ancestors.contains(&id) {
                    let mut ancestors = dir.ancestors.clone();
                    ancestors.push(id);
                    stack.push(Dir {
                        rel: join(&dir.rel, &name),
                        path: child(&dir.path, &name),
                        ancestors,
                    });
                }
            } else if metadata.is_file() {
                here.push(Regular {
                    name,
                    size: metadata.len(),
                    mtime_ns: mtime_ns(&metadata),
                });
            }
        }
        group(&dir, here, options, tree, &mut found, queue);
    }
    Ok(found)
}

/// `_group_variants`: the regular files of one directory become files, each with the siblings
/// that are its pre-compressed variants, in sorted order; those small enough are queued.
fn group(
    dir: &Dir,
    mut here: Vec<Regular>,
    options: &Options,
    tree: &mut Tree,
    found: &mut Vec<Found>,
    queue: &mut Queue,
) {
    // Byte order of UTF-8 is code point order, the order Python sorts names in.
    here.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    // For a sibling, the index of its source in `here` and its coding. A name whose base is
    // itself a sibling is a file of its own: a.js.gz.br is not a variant of a variant.
    let mut sibling_of: Vec<Option<(usize, Coding)>> = vec![None; here.len()];
    for index in 0..here.len() {
        let Some((base, coding)) = sibling_suffix(&here[index].name) else {
            continue;
        };
        // A base is a proper prefix of the name, so it sorts before it and is decided already.
        if let Ok(source) = here[..index].binary_search_by(|r| r.name.as_str().cmp(base)) {
            if sibling_of[source].is_none() {
                sibling_of[index] = Some((source, coding));
            }
        }
    }
    // Each file of the directory, as the index in `here` of its representations by slot.
    let mut members: Vec<[Option<usize>; 4]> = Vec::with_capacity(here.len());
    // The index in `members` of each name that is a file (a sibling's entry is never read).
    let mut member_at = Vec::with_capacity(here.len());
    for (index, sibling) in sibling_of.iter().enumerate() {
        member_at.push(members.len());
        if sibling.is_none() {
            members.push([Some(index), None, None, None]);
        }
    }
    for (index, sibling) in sibling_of.iter().enumerate() {
        let Some((source, coding)) = *sibling else {
            continue;
        };
        let regular = &here[index];
        if regular.mtime_ns < here[source].mtime_ns {
            let rel = join(&dir.rel, &regular.name);
            let source_rel = join(&dir.rel, &here[source].name);
            tree.warnings.push(format!(
                "not serving {}: it is older than {}; rebuild it (ferrostatic compress) or delete it",
                pyrepr::repr(rel.as_bytes()),
                pyrepr::repr(source_rel.as_bytes()),
            ));
            tree.stale_variants.push((rel, source_rel));
            continue;
        }
        let slot = &mut members[member_at[source]][coding as usize];
        // Python's str.endswith: ".ZST" is not ".zst".
        if slot.is_none() || regular.name.as_bytes().ends_with(b".zst") {
            *slot = Some(index);
        }
    }
    for slots in &members {
        let Some(identity) = slots[0] else {
            continue;
        };
        let mut stats = [None; 4];
        for (stat, &member) in stats.iter_mut().zip(slots) {
            let Some(member) = member else {
                continue;
            };
            let regular = &here[member];
            *stat = Some(Stat {
                size: regular.size,
                mtime_ns: regular.mtime_ns,
                suffix: suffix_of(&regular.name),
            });
            if regular.size <= options.hash_max_file_size {
                queue.push(&regular.name, regular.size);
            }
        }
        let name = &here[identity].name;
        if let Some(identity) = &mut stats[0] {
            identity.suffix = "";
        }
        found.push(Found {
            rel: join(&dir.rel, name),
            stats,
            clean_url: clean_url(dir, name, options),
        });
    }
    queue.flush(&dir.path);
    if let Some(index_file) = &options.index_file {
        if here
            .binary_search_by(|r| r.name.as_str().cmp(index_file))
            .is_ok()
        {
            tree.index_dirs.push(dir.rel.clone());
        }
    }
}

/// The base and coding of a name that ends in a sibling suffix, split like `os.path.splitext`
/// splits it: at the last dot, unless only dots come before it (".br" and "..br" have no suffix).
fn sibling_suffix(name: &str) -> Option<(&str, Coding)> {
    let dot = name.rfind('.')?;
    let base = &name[..dot];
    if base.bytes().all(|b| b == b'.') {
        return None;
    }
    let coding = match &name[dot..] {
        ".br" => Coding::Br,
        ".zst" | ".zstd" => Coding::Zstd,
        ".gz" => Coding::Gzip,
        _ => return None,
    };
    Some((base, coding))
}

/// The sibling suffix a variant's name ends with, as a constant.
fn suffix_of(name: &str) -> &'static str {
    [".br", ".zstd", ".zst", ".gz"]
        .into_iter()
        .find(|suffix| name.ends_with(suffix))
        .unwrap_or("")
}

/// Whether /about serves about.html: only when nothing named "about" is there, whatever it is.
fn clean_url(dir: &Dir, name: &str, options: &Options) -> bool {
    let Some(stem) = name.strip_suffix(".html") else {
        return false;
    };
    options.html_extension_fallback
        && !stem.is_empty()
        && fs::symlink_metadata(child(&dir.path, stem)).is_err()
}

/// Gives each representation its `ETag` (`tags` are those of the files the walk queued, in
/// order), then keeps the files whose own bytes could be read, reporting the rest in file order.
pub(crate) fn describe(found: Vec<Found>, tags: Vec<Tagged>, options: &Options, tree: &mut Tree) {
    let limit = options.hash_max_file_size;
    let mut tags = tags.into_iter();
    for file in found {
        let mut variants = Vec::with_capacity(file.stats.iter().flatten().count());
        let mut errors: [Option<String>; 4] = Default::default();
        for (slot, stat) in file.stats.iter().enumerate() {
            let Some(stat) = stat else {
                continue;
            };
            let etag = if stat.size <= limit {
                match tags.next().expect("a tag for each representation hashed") {
                    Ok(tag) => hash::content_etag(&tag),
                    Err(error) => {
                        errors[slot] = Some(error);
                        continue;
                    }
                }
            } else {
                // Hashing very large files would make start-up slow; like nginx, their tag comes
                // from the modification time and size.
                hash::stat_etag(stat.mtime_ns, stat.size)
            };
            variants.push(Variant {
                coding: CODINGS[slot],
                size: stat.size,
                mtime_ns: stat.mtime_ns,
                etag,
                suffix: stat.suffix,
            });
        }
        if let Some(error) = &errors[0] {
            let rel = pyrepr::repr(file.rel.as_bytes());
            tree.warnings.push(format!("cannot read {rel}: {error}"));
            tree.unreadable.push(file.rel);
            continue;
        }
        // Python reads the variants in the order their siblings sort in: .br, .gz, .zst.
        for coding in [Coding::Br, Coding::Gzip, Coding::Zstd] {
            if let Some(error) = &errors[coding as usize] {
                let rel = pyrepr::repr(file.rel.as_bytes());
                tree.warnings
                    .push(format!("cannot read variant of {rel}: {error}"));
            }
        }
        tree.files.push(File {
            rel: file.rel,
            variants,
            clean_url: file.clean_url,
        });
    }
}

fn identity(metadata: &Metadata) -> (u64, u64) {
    (metadata.dev(), metadata.ino())
}

/// `st_mtime_ns`: seconds and nanoseconds as the kernel gives them, before 1970 too.
fn mtime_ns(metadata: &Metadata) -> i64 {
    metadata
        .mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(metadata.mtime_nsec())
}

fn join(rel_dir: &str, name: &str) -> String {
    if rel_dir.is_empty() {
        return name.to_owned();
    }
    let mut rel = String::with_capacity(rel_dir.len() + 1 + name.len());
    rel.push_str(rel_dir);
    rel.push('/');
    rel.push_str(name);
    rel
}

/// `dir/name` in one allocation (`Path::join` takes two).
fn child(dir: &Path, name: &str) -> PathBuf {
    let dir = dir.as_os_str().as_bytes();
    let mut path = Vec::with_capacity(dir.len() + 1 + name.len());
    path.extend_from_slice(dir);
    if !dir.ends_with(b"/") {
        path.push(b'/');
    }
    path.extend_from_slice(name.as_bytes());
    PathBuf::from(OsString::from_vec(path))
}

fn rel_bytes(rel_dir: &str, name: &[u8]) -> Vec<u8> {
    let mut rel = Vec::with_capacity(rel_dir.len() + 1 + name.len());
    if !rel_dir.is_empty() {
        rel.extend_from_slice(rel_dir.as_bytes());
        rel.push(b'/');
    }
    rel.extend_from_slice(name);
    rel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_split_like_splitext() {
        assert_eq!(sibling_suffix("a.js.gz").map(|s| s.0), Some("a.js"));
        assert_eq!(sibling_suffix("a..br"), Some(("a.", Coding::Br)));
        assert_eq!(sibling_suffix("a.zst"), Some(("a", Coding::Zstd)));
        assert_eq!(sibling_suffix("a.zstd"), Some(("a", Coding::Zstd)));
        assert_eq!(sibling_suffix(".br"), None);
        assert_eq!(sibling_suffix("..br"), None);
        assert_eq!(sibling_suffix("a.gzip"), None);
        assert_eq!(sibling_suffix("gz"), None);
    }
}
