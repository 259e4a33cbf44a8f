//! The start-up cost on a tree the size of a large site: 100,000 files of 100 B to 8 KiB, 50 to a
//! folder. Run with `cargo test -p ferrostatic-scan --release --test bench -- --ignored --nocapture`.

mod common;

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use ferrostatic_scan::scan;

const FILES: usize = 100_000;
const PER_FOLDER: usize = 50;

/// The tree is kept between runs (it takes longer to write than to scan); a marker written last
/// tells a complete one.
fn tree() -> PathBuf {
    let root = std::env::temp_dir().join("ferrostatic-scan-bench-100k");
    let marker = root.with_extension("done");
    if marker.exists() {
        return fs::canonicalize(root).unwrap();
    }
    let _ = fs::remove_dir_all(&root);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let mut body = Vec::with_capacity(8192);
    for i in 0..FILES {
        let folder = i / PER_FOLDER;
        let dir = root.join(format!("d{}/e{}", folder / 50, folder % 50));
        if i % PER_FOLDER == 0 {
            fs::create_dir_all(&dir).unwrap();
        }
        let size = 100 + usize::try_from(next() % (8192 - 100 + 1)).unwrap();
        body.clear();
        body.extend((0..size).map(|_| next().to_le_bytes()[0]));
        fs::write(dir.join(format!("file{i}.js")), &body).unwrap();
    }
    fs::write(&marker, b"").unwrap();
    fs::canonicalize(root).unwrap()
}

#[test]
#[ignore = "writes 100,000 files; a measurement, not a check"]
fn scan_100k_small_files() {
    let root = tree();
    let options = ferrostatic_scan::Options {
        threads: 2,
        ..common::options()
    };
    // The first scan warms the page cache.
    assert_eq!(scan(&root, &options).unwrap().files.len(), FILES);
    let mut times = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let tree = scan(&root, &options).unwrap();
        times.push(start.elapsed().as_secs_f64());
        assert_eq!(tree.files.len(), FILES);
    }
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    println!("scan of {FILES} files on 2 threads: best {best:.3} s of {times:.3?}");
}
