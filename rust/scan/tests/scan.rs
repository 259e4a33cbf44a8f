//! The walk on real trees: what is served, what is left out and why, in which order.

mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{content_etag, options, rels, set_mtime, write, TempDir};
use ferrostatic_scan::{scan, Coding, Options, Tree};

fn codings(tree: &Tree, rel: &str) -> Vec<Coding> {
    let file = tree.files.iter().find(|f| f.rel == rel).expect(rel);
    file.variants.iter().map(|v| v.coding).collect()
}

fn running_as_root() -> bool {
    // Root reads a file whatever its mode: the permission tests have nothing to test then.
    fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

#[test]
fn hidden_entries_are_left_out_but_the_top_level_well_known() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "a.txt", b"a");
    write(&root, ".env", b"secret");
    write(&root, ".git/config", b"x");
    write(&root, ".well-known/security.txt", b"contact");
    write(&root, ".well-known/.hidden", b"x");
    write(&root, "d/.well-known/x", b"x");
    write(&root, "d/.DS_Store", b"x");
    let tree = scan(&root, &options()).unwrap();
    let mut served = rels(&tree);
    served.sort();
    assert_eq!(served, [".well-known/security.txt", "a.txt"]);
    let mut hidden = tree.hidden.clone();
    hidden.sort();
    assert_eq!(
        hidden,
        [
            ".env",
            ".git",
            ".well-known/.hidden",
            "d/.DS_Store",
            "d/.well-known"
        ]
    );

    let all = Options {
        allow_hidden: true,
        ..options()
    };
    let tree = scan(&root, &all).unwrap();
    let mut served = rels(&tree);
    served.sort();
    assert_eq!(
        served,
        [
            ".env",
            ".git/config",
            ".well-known/.hidden",
            ".well-known/security.txt",
            "a.txt",
            "d/.DS_Store",
            "d/.well-known/x"
        ]
    );
    assert!(tree.hidden.is_empty());
}

#[test]
fn the_compress_bookkeeping_is_never_served() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "a.txt", b"a");
    write(&root, ".ferrostatic-compress.json", b"{}");
    write(&root, "d/.ferrostatic-compress.json", b"{}");
    for allow_hidden in [false, true] {
        let tree = scan(
            &root,
            &Options {
                allow_hidden,
                ..options()
            },
        )
        .unwrap();
        assert_eq!(rels(&tree), ["a.txt"]);
        assert!(tree.hidden.is_empty(), "{:?}", tree.hidden);
        assert!(tree.warnings.is_empty());
    }
}

#[test]
fn a_name_that_is_not_utf8_is_reported_with_question_marks() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "ok.txt", b"a");
    fs::create_dir(root.join("d")).unwrap();
    let bad = std::ffi::OsStr::from_bytes(b"caf\xe9\xe2\x82.txt");
    fs::write(root.join("d").join(bad), b"x").unwrap();
    fs::write(root.join(std::ffi::OsStr::from_bytes(b".\xff")), b"x").unwrap();
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(rels(&tree), ["ok.txt"]);
    assert_eq!(tree.unreadable, ["d/caf???.txt"]);
    assert_eq!(tree.hidden, [".?"]);
    // Python logs the name as it holds it: one lone surrogate for each undecodable byte.
    assert_eq!(
        tree.warnings,
        ["skipping 'd/caf\\udce9\\udce2\\udc82.txt': its name is not valid UTF-8"]
    );
}

#[test]
fn a_link_to_a_file_outside_is_refused_unless_allowed() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    let outside = tmp.dir("outside");
    write(&outside, "secret.txt", b"hello");
    write(&root, "a.txt", b"a");
    symlink(outside.join("secret.txt"), root.join("abs")).unwrap();
    symlink("../outside/secret.txt", root.join("rel")).unwrap();
    // A sibling directory whose name starts with the root's is still outside.
    let twin = tmp.dir("root2");
    write(&twin, "x.txt", b"x");
    symlink(twin.join("x.txt"), root.join("twin")).unwrap();
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(rels(&tree), ["a.txt"]);
    let mut refused = tree.outside_symlinks.clone();
    refused.sort();
    assert_eq!(refused, ["abs", "rel", "twin"]);

    let follow = Options {
        follow_symlinks_outside: true,
        ..options()
    };
    let tree = scan(&root, &follow).unwrap();
    assert_eq!(rels(&tree), ["a.txt", "abs", "rel", "twin"]);
    assert!(tree.outside_symlinks.is_empty());
    let abs = &tree.files[1];
    assert_eq!(abs.variants[0].etag, "\"2cf24dba5fb0a30e26e83b2a\"");
    assert_eq!(abs.variants[0].size, 5);
}

#[test]
fn dangling_links_are_unreadable_inside_and_refused_outside() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    let outside = tmp.dir("outside");
    symlink(root.join("missing"), root.join("in-abs")).unwrap();
    symlink("nowhere/deeper/file", root.join("in-rel")).unwrap();
    symlink(outside.join("missing"), root.join("out-abs")).unwrap();
    symlink("../outside/gone/file", root.join("out-rel")).unwrap();
    // Where a link leads through "..", it is judged by where it ends, not by its text.
    symlink("../root/../outside/none", root.join("out-dots")).unwrap();
    // A chain: the first link is inside, the second leads out and dangles.
    symlink("../outside/none", root.join("hop")).unwrap();
    symlink("hop", root.join("via-hop")).unwrap();
    let tree = scan(&root, &options()).unwrap();
    assert!(tree.files.is_empty());
    let mut unreadable = tree.unreadable.clone();
    unreadable.sort();
    assert_eq!(unreadable, ["in-abs", "in-rel"]);
    let mut refused = tree.outside_symlinks.clone();
    refused.sort();
    assert_eq!(
        refused,
        ["hop", "out-abs", "out-dots", "out-rel", "via-hop"]
    );
    assert!(tree.warnings.is_empty());

    let follow = Options {
        follow_symlinks_outside: true,
        ..options()
    };
    let tree = scan(&root, &follow).unwrap();
    assert_eq!(tree.unreadable.len(), 7);
}

#[test]
fn a_linked_directory_inside_is_walked_under_both_names() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "real/a.txt", b"a");
    write(&root, "real/sub/b.txt", b"b");
    symlink("real", root.join("alias")).unwrap();
    symlink(root.join("real/sub"), root.join("sub-alias")).unwrap();
    let tree = scan(&root, &options()).unwrap();
    let mut served = rels(&tree);
    served.sort();
    assert_eq!(
        served,
        [
            "alias/a.txt",
            "alias/sub/b.txt",
            "real/a.txt",
            "real/sub/b.txt",
            "sub-alias/b.txt"
        ]
    );
    assert!(tree.outside_symlinks.is_empty());
}

#[test]
fn a_link_back_to_an_ancestor_is_not_followed() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "a.txt", b"a");
    write(&root, "d/e/b.txt", b"b");
    symlink("..", root.join("d/up")).unwrap();
    symlink(&root, root.join("d/e/top")).unwrap();
    symlink(".", root.join("d/e/self")).unwrap();
    // Two links pointing at each other: inside, but stat(2) fails on them.
    symlink("loop-b", root.join("loop-a")).unwrap();
    symlink("loop-a", root.join("loop-b")).unwrap();
    let tree = scan(&root, &options()).unwrap();
    let mut served = rels(&tree);
    served.sort();
    assert_eq!(served, ["a.txt", "d/e/b.txt"]);
    let mut unreadable = tree.unreadable.clone();
    unreadable.sort();
    assert_eq!(unreadable, ["loop-a", "loop-b"]);
    assert!(tree.outside_symlinks.is_empty());
}

#[test]
fn pre_compressed_siblings_are_variants_of_their_source() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "app.js", b"source");
    write(&root, "app.js.br", b"b");
    write(&root, "app.js.gz", b"gg");
    write(&root, "app.js.zstd", b"zzzzz");
    write(&root, "app.js.zst", b"zzz");
    write(&root, "style.css", b"css");
    write(&root, "style.css.zstd", b"zstd!");
    write(&root, "lone.gz", b"gzip");
    write(&root, "d/.hidden.br", b"x");
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(rels(&tree), ["app.js", "lone.gz", "style.css"]);
    assert_eq!(
        codings(&tree, "app.js"),
        [Coding::Identity, Coding::Br, Coding::Zstd, Coding::Gzip]
    );
    let app = &tree.files[0];
    let sizes: Vec<u64> = app.variants.iter().map(|v| v.size).collect();
    // The .zst wins over the .zstd.
    assert_eq!(sizes, [6, 1, 3, 2]);
    let suffixes: Vec<&str> = app.variants.iter().map(|v| v.suffix).collect();
    assert_eq!(suffixes, ["", ".br", ".zst", ".gz"]);
    assert_eq!(app.variants[2].etag, content_etag(b"zzz"));
    assert_eq!(app.variants[0].etag, content_etag(b"source"));
    assert_eq!(
        codings(&tree, "style.css"),
        [Coding::Identity, Coding::Zstd]
    );
    assert_eq!(codings(&tree, "lone.gz"), [Coding::Identity]);
    assert_eq!(tree.files[1].variants[0].suffix, "");
    assert_eq!(tree.files[2].variants[1].suffix, ".zstd");
    assert!(tree.stale_variants.is_empty());
    assert!(tree.warnings.is_empty());
}

#[test]
fn a_zstd_sibling_is_used_when_the_zst_one_is_stale() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    let now = SystemTime::now();
    write(&root, "a.js", b"source");
    write(&root, "a.js.zst", b"old");
    write(&root, "a.js.zstd", b"fresh");
    set_mtime(&root.join("a.js"), now);
    set_mtime(&root.join("a.js.zst"), now - Duration::from_secs(60));
    set_mtime(&root.join("a.js.zstd"), now);
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(codings(&tree, "a.js"), [Coding::Identity, Coding::Zstd]);
    assert_eq!(tree.files[0].variants[1].size, 5);
    assert_eq!(tree.files[0].variants[1].suffix, ".zstd");
    assert_eq!(
        tree.stale_variants,
        [("a.js.zst".to_owned(), "a.js".to_owned())]
    );
}

#[test]
fn a_sibling_older_than_its_source_is_not_served() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    let now = SystemTime::now();
    write(&root, "d/a.css", b"new");
    write(&root, "d/a.css.gz", b"old");
    write(&root, "d/a.css.br", b"same age");
    set_mtime(&root.join("d/a.css"), now);
    set_mtime(&root.join("d/a.css.gz"), now - Duration::from_nanos(1));
    set_mtime(&root.join("d/a.css.br"), now);
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(rels(&tree), ["d/a.css"]);
    assert_eq!(codings(&tree, "d/a.css"), [Coding::Identity, Coding::Br]);
    assert_eq!(
        tree.stale_variants,
        [("d/a.css.gz".to_owned(), "d/a.css".to_owned())]
    );
    assert_eq!(
        tree.warnings,
        ["not serving 'd/a.css.gz': it is older than 'd/a.css'; rebuild it (ferrostatic compress) \
          or delete it"]
    );
}

#[test]
fn a_sibling_of_a_sibling_is_a_file_of_its_own() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "a.js", b"a");
    write(&root, "a.js.gz", b"gz");
    write(&root, "a.js.gz.br", b"gz then br");
    write(&root, "a.js.gz.br.gz", b"and gz again");
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(rels(&tree), ["a.js", "a.js.gz.br"]);
    assert_eq!(codings(&tree, "a.js"), [Coding::Identity, Coding::Gzip]);
    assert_eq!(
        codings(&tree, "a.js.gz.br"),
        [Coding::Identity, Coding::Gzip]
    );
    assert_eq!(tree.files[1].variants[0].size, 10);
    assert_eq!(tree.files[1].variants[1].size, 12);
}

#[test]
fn files_come_in_walk_order_sorted_within_a_directory() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    for dir in ["a", "b", "c", "d"] {
        write(&root, &format!("{dir}/y.txt"), b"y");
        write(&root, &format!("{dir}/x.txt"), b"x");
        write(&root, &format!("{dir}/sub/z.txt"), b"z");
    }
    write(&root, "top-b.txt", b"b");
    write(&root, "top-a.txt", b"a");
    let tree = scan(&root, &options()).unwrap();
    // The directories are taken from the end of a stack, so in the reverse of the order the
    // kernel lists them; each one's subdirectories before the next one.
    let listed: Vec<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| fs::metadata(root.join(name)).unwrap().is_dir())
        .collect();
    let mut expected = vec!["top-a.txt".to_owned(), "top-b.txt".to_owned()];
    for dir in listed.iter().rev() {
        expected.extend([
            format!("{dir}/x.txt"),
            format!("{dir}/y.txt"),
            format!("{dir}/sub/z.txt"),
        ]);
    }
    assert_eq!(rels(&tree), expected);
}

#[test]
fn directories_holding_the_index_file_are_listed() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "index.html", b"home");
    write(&root, "docs/index.html", b"docs");
    write(&root, "docs/api/page.html", b"api");
    write(&root, "blog/index.html.gz", b"only the gzip");
    write(&root, "linked/target.html", b"t");
    symlink("target.html", root.join("linked/index.html")).unwrap();
    fs::create_dir_all(root.join("dir-named/index.html")).unwrap();
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(tree.index_dirs[0], "");
    let mut dirs = tree.index_dirs.clone();
    dirs.sort();
    assert_eq!(dirs, ["", "docs", "linked"]);

    let none = Options {
        index_file: None,
        ..options()
    };
    assert!(scan(&root, &none).unwrap().index_dirs.is_empty());
}

#[test]
fn a_clean_url_is_offered_unless_something_has_its_name() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "about.html", b"about");
    write(&root, "contact.html", b"contact");
    fs::create_dir(root.join("contact")).unwrap();
    write(&root, "blog.html", b"blog");
    symlink("nowhere", root.join("blog")).unwrap();
    write(&root, "team.html", b"team");
    write(&root, "team", b"a file");
    write(&root, "d/.secret.html", b"hidden");
    write(&root, "d/page.html", b"page");
    write(&root, "d/page.htm", b"htm");
    // Left out as hidden, and still a name taken.
    write(&root, "d/.secret", b"hidden but there");
    write(&root, "d/x.HTML", b"upper case");
    write(&root, ".html", b"only the extension");
    let tree = scan(&root, &options()).unwrap();
    let clean: Vec<&str> = tree
        .files
        .iter()
        .filter(|f| f.clean_url)
        .map(|f| f.rel.as_str())
        .collect();
    assert_eq!(clean, ["about.html", "d/page.html"]);
    let tree = scan(
        &root,
        &Options {
            allow_hidden: true,
            ..options()
        },
    )
    .unwrap();
    let mut clean: Vec<&str> = tree
        .files
        .iter()
        .filter(|f| f.clean_url)
        .map(|f| f.rel.as_str())
        .collect();
    clean.sort_unstable();
    assert_eq!(clean, ["about.html", "d/page.html"]);
    assert!(tree.files.iter().any(|f| f.rel == "d/.secret.html"));
    assert!(tree.files.iter().any(|f| f.rel == ".html"));
    let off = Options {
        html_extension_fallback: false,
        ..options()
    };
    assert!(scan(&root, &off)
        .unwrap()
        .files
        .iter()
        .all(|f| !f.clean_url));
}

#[test]
fn the_etag_of_a_small_file_is_its_sha256() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "hello.txt", b"hello");
    write(&root, "empty", b"");
    // Larger than a read: hashed in several pieces.
    let large: Vec<u8> = (0..700_000_u32).map(|i| (i % 251) as u8).collect();
    write(&root, "large.bin", &large);
    let when = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    set_mtime(&root.join("hello.txt"), when);
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(rels(&tree), ["empty", "hello.txt", "large.bin"]);
    let hello = &tree.files[1].variants[0];
    assert_eq!(hello.etag, "\"2cf24dba5fb0a30e26e83b2a\"");
    assert_eq!((hello.size, hello.mtime_ns), (5, 1_700_000_000_123_456_789));
    assert_eq!(
        tree.files[0].variants[0].etag,
        "\"e3b0c44298fc1c149afbf4c8\""
    );
}

#[test]
fn a_large_file_gets_an_etag_from_mtime_and_size() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "big.bin", b"hello");
    write(&root, "old.bin", b"hello");
    write(&root, "small.bin", b"hell");
    set_mtime(
        &root.join("big.bin"),
        UNIX_EPOCH + Duration::new(1_700_000_000, 5),
    );
    set_mtime(
        &root.join("old.bin"),
        UNIX_EPOCH - Duration::from_millis(1500),
    );
    let limit = Options {
        hash_max_file_size: 4,
        ..options()
    };
    let tree = scan(&root, &limit).unwrap();
    assert_eq!(rels(&tree), ["big.bin", "old.bin", "small.bin"]);
    assert_eq!(tree.files[0].variants[0].etag, "\"m17979cfe362a0005-5\"");
    let old = &tree.files[1].variants[0];
    // Not every file system keeps a time before 1970.
    if old.mtime_ns == -1_500_000_000 {
        assert_eq!(old.etag, "\"m-59682f00-5\"");
    }
    assert_eq!(tree.files[2].variants[0].etag, content_etag(b"hell"));
}

#[test]
fn the_result_does_not_depend_on_the_number_of_threads() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    let now = SystemTime::now();
    for i in 0..600_usize {
        let rel = format!("d{}/e{}/f{i}.js", i % 7, i % 3);
        let body = vec![u8::try_from(i % 251).unwrap(); i * 37 % 5000];
        write(&root, &rel, &body);
        if i % 5 == 0 {
            write(&root, &format!("{rel}.gz"), &body[..body.len() / 2]);
        }
        if i % 11 == 0 {
            write(&root, &format!("{rel}.br"), b"old");
            set_mtime(
                &root.join(format!("{rel}.br")),
                now - Duration::from_secs(3600),
            );
        }
    }
    let one = scan(
        &root,
        &Options {
            threads: 1,
            ..options()
        },
    )
    .unwrap();
    assert_eq!(one.files.len(), 600);
    for threads in [0, 2, 4, 64] {
        let many = scan(
            &root,
            &Options {
                threads,
                ..options()
            },
        )
        .unwrap();
        assert_eq!(one, many, "threads = {threads}");
    }
}

#[test]
fn an_unreadable_file_is_left_out_with_a_warning() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "a.txt", b"a");
    write(&root, "secret.txt", b"s");
    write(&root, "b.txt", b"b");
    write(&root, "b.txt.gz", b"g");
    let secret = root.join("secret.txt");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let gz = root.join("b.txt.gz");
    fs::set_permissions(&gz, fs::Permissions::from_mode(0o000)).unwrap();
    if running_as_root() {
        return;
    }
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(rels(&tree), ["a.txt", "b.txt"]);
    assert_eq!(codings(&tree, "b.txt"), [Coding::Identity]);
    assert_eq!(tree.unreadable, ["secret.txt"]);
    assert_eq!(
        tree.warnings,
        [
            format!(
                "cannot read variant of 'b.txt': [Errno 13] Permission denied: '{}'",
                gz.display()
            ),
            format!(
                "cannot read 'secret.txt': [Errno 13] Permission denied: '{}'",
                secret.display()
            ),
        ]
    );
}

#[test]
fn an_unreadable_directory_is_reported() {
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "a.txt", b"a");
    write(&root, "locked/b.txt", b"b");
    let locked = root.join("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if running_as_root() {
        return;
    }
    let tree = scan(&root, &options()).unwrap();
    assert_eq!(rels(&tree), ["a.txt"]);
    assert_eq!(tree.unreadable, ["locked"]);
    assert_eq!(
        tree.warnings,
        [format!(
            "cannot read directory 'locked': [Errno 13] Permission denied: '{}'",
            locked.display()
        )]
    );
}

/// Files that fail to read even for root, from /proc: a read error (no file name in Python's
/// message) on a variant, and an open error (with the file name) on a file.
#[test]
fn read_and_open_errors_read_like_python() {
    let mem = Path::new("/proc/self/mem");
    let write_only = Path::new("/proc/sys/vm/compact_memory");
    if !mem.exists() || !write_only.exists() || fs::File::open(write_only).is_ok() {
        return;
    }
    let tmp = TempDir::new();
    let root = tmp.dir("root");
    write(&root, "a.js", b"a");
    set_mtime(&root.join("a.js"), UNIX_EPOCH + Duration::from_secs(86_400));
    symlink(mem, root.join("a.js.gz")).unwrap();
    symlink(write_only, root.join("b.txt")).unwrap();
    let follow = Options {
        follow_symlinks_outside: true,
        ..options()
    };
    let tree = scan(&root, &follow).unwrap();
    assert_eq!(rels(&tree), ["a.js"]);
    assert_eq!(codings(&tree, "a.js"), [Coding::Identity]);
    assert_eq!(tree.unreadable, ["b.txt"]);
    assert_eq!(
        tree.warnings,
        [
            "cannot read variant of 'a.js': [Errno 5] Input/output error".to_owned(),
            format!(
                "cannot read 'b.txt': [Errno 13] Permission denied: '{}'",
                root.join("b.txt").display()
            ),
        ]
    );
}

#[test]
fn a_root_that_is_not_there_is_an_error() {
    let tmp = TempDir::new();
    assert!(scan(&tmp.path().join("missing"), &options()).is_err());
    // A root that is a file can be stat'ed: it is an unreadable directory.
    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    let tree = scan(&file, &options()).unwrap();
    assert!(tree.files.is_empty());
    assert_eq!(tree.unreadable, ["/"]);
    assert_eq!(
        tree.warnings,
        [format!(
            "cannot read directory '/': [Errno 20] Not a directory: '{}'",
            file.display()
        )]
    );
}
