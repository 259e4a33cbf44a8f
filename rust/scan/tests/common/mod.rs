//! Trees made for a test, and what to expect of them.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use ferrostatic_scan::{Options, Tree};
use sha2::{Digest, Sha256};

/// A directory removed with everything in it when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "ferrostatic-scan-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        // The walk takes a resolved root, and the temporary directory may be behind a link.
        Self(fs::canonicalize(path).unwrap())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A new directory in this one.
    pub fn dir(&self, name: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::create_dir_all(&path).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Tests take permissions away; give them back so that everything can be removed.
        let _ = std::process::Command::new("chmod")
            .args(["-R", "u+rwx"])
            .arg(&self.0)
            .status();
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Writes `root/rel`, making the directories on the way.
pub fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

pub fn set_mtime(path: &Path, when: SystemTime) {
    fs::File::open(path).unwrap().set_modified(when).unwrap();
}

pub fn options() -> Options {
    Options {
        allow_hidden: false,
        follow_symlinks_outside: false,
        index_file: Some("index.html".to_owned()),
        html_extension_fallback: true,
        hash_max_file_size: 10 * 1024 * 1024,
        threads: 2,
    }
}

pub fn rels(tree: &Tree) -> Vec<String> {
    tree.files.iter().map(|file| file.rel.clone()).collect()
}

pub fn content_etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut etag = String::from("\"");
    for byte in &digest[..12] {
        write!(etag, "{byte:02x}").unwrap();
    }
    etag.push('"');
    etag
}
