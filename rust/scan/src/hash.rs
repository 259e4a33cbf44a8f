//! Content `ETag`s: the first 96 bits of the SHA-256 of a file's bytes, hashed on several threads
//! while the walk goes on.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, PoisonError};
use std::thread;

use sha2::{Digest, Sha256};

use crate::pyrepr;

/// Bytes of a digest that go into an `ETag`.
const TAG_BYTES: usize = 12;

/// Larger than most files of a web tree, so that one read takes a whole file.
const BUFFER: usize = 256 * 1024;

/// The tag of a file's content, or the message Python would log for the error that stopped it.
pub(crate) type Tagged = Result<[u8; TAG_BYTES], String>;

/// Files of one directory to hash. The names share one string so that the hashing threads,
/// which free the batch, free three blocks per directory rather than one per file.
struct Batch {
    dir: PathBuf,
    names: String,
    /// Each file's place in the results, the end of its name in `names`, the size the walk
    /// stat'ed.
    jobs: Vec<(usize, usize, u64)>,
}

/// Where the walk hands over the files to hash, a directory at a time, while it goes on.
pub(crate) struct Queue {
    sender: Sender<Batch>,
    names: String,
    jobs: Vec<(usize, usize, u64)>,
    count: usize,
}

impl Queue {
    /// Adds a file of the directory being walked; its tag will be at this position in the
    /// results (the order of the calls).
    pub(crate) fn push(&mut self, name: &str, size: u64) {
        self.names.push_str(name);
        self.jobs.push((self.count, self.names.len(), size));
        self.count += 1;
    }

    /// Hands the files pushed since the last call, all in `dir`, to the hashing threads.
    pub(crate) fn flush(&mut self, dir: &Path) {
        if !self.jobs.is_empty() {
            let batch = Batch {
                dir: dir.to_path_buf(),
                names: std::mem::take(&mut self.names),
                jobs: std::mem::take(&mut self.jobs),
            };
            // The receiver lives until every sender is gone: a send cannot fail.
            let _ = self.sender.send(batch);
        }
    }
}

/// Runs `walk` on this thread while `threads - 1` others hash what it queues, then hashes the
/// rest on `threads` threads: the walk, a third as long as the hashing, is then mostly hidden
/// behind it. Each tag lands at the position of its job, whichever thread computed it.
pub(crate) fn pipeline<T>(threads: usize, walk: impl FnOnce(&mut Queue) -> T) -> (T, Vec<Tagged>) {
    let (sender, receiver) = mpsc::channel();
    let receiver = Mutex::new(receiver);
    let mut queue = Queue {
        sender,
        names: String::new(),
        jobs: Vec::new(),
        count: 0,
    };
    thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads.max(1))
            .map(|_| scope.spawn(|| consume(&receiver)))
            .collect();
        let walked = walk(&mut queue);
        let Queue { sender, count, .. } = queue;
        drop(sender);
        let mut results: Vec<Option<Tagged>> = Vec::new();
        results.resize_with(count, || None);
        let mut place = |done: Vec<(usize, Tagged)>| {
            for (index, tagged) in done {
                results[index] = Some(tagged);
            }
        };
        place(consume(&receiver));
        for helper in helpers {
            place(
                helper
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        let tags = results
            .into_iter()
            .map(|tagged| tagged.expect("every queued file is hashed by one thread"))
            .collect();
        (walked, tags)
    })
}

/// Hashes batches until the walk is over and the queue empty.
fn consume(receiver: &Mutex<Receiver<Batch>>) -> Vec<(usize, Tagged)> {
    let mut buffer = vec![0; BUFFER];
    let mut path = Vec::new();
    let mut done = Vec::new();
    loop {
        let batch = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok(batch) = batch else {
            return done;
        };
        let dir = batch.dir.as_os_str().as_bytes();
        let mut start = 0;
        for (index, end, size) in batch.jobs {
            path.clear();
            path.extend_from_slice(dir);
            if !dir.ends_with(b"/") {
                path.push(b'/');
            }
            path.extend_from_slice(&batch.names.as_bytes()[start..end]);
            start = end;
            let file = Path::new(OsStr::from_bytes(&path));
            done.push((index, hash_file(file, size, &mut buffer)));
        }
    }
}

/// Hashes whatever the file holds when read, to its end, like Python's `_etag_of_file`.
///
/// `size` is the size the walk stat'ed: a short read that reaches it is taken for the end of the
/// file, which saves the read that would return nothing (a quarter of the system calls).
fn hash_file(path: &Path, size: u64, buffer: &mut [u8]) -> Tagged {
    let mut file = fs::File::open(path)
        .map_err(|error| pyrepr::os_error(&error, Some(path.as_os_str().as_bytes())))?;
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    loop {
        match file.read(buffer) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buffer[..n]);
                total += n as u64;
                if n < buffer.len() && total == size {
                    break;
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(pyrepr::os_error(&error, None)),
        }
    }
    let digest = hasher.finalize();
    let mut tag = [0; TAG_BYTES];
    tag.copy_from_slice(&digest[..TAG_BYTES]);
    Ok(tag)
}

/// `"<24 hex digits>"`.
pub(crate) fn content_etag(tag: &[u8; TAG_BYTES]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * TAG_BYTES + 2);
    out.push('"');
    for byte in tag {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out.push('"');
    out
}

/// `b'"m%x-%x"' % (st_mtime_ns, st_size)`: Python writes a negative number as '-' and the hex
/// digits of its magnitude.
pub(crate) fn stat_etag(mtime_ns: i64, size: u64) -> String {
    let sign = if mtime_ns < 0 { "-" } else { "" };
    format!("\"m{sign}{:x}-{size:x}\"", mtime_ns.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_read_like_python() {
        let mut tag = [0; TAG_BYTES];
        tag.copy_from_slice(&Sha256::digest(b"hello")[..TAG_BYTES]);
        assert_eq!(content_etag(&tag), "\"2cf24dba5fb0a30e26e83b2a\"");
        assert_eq!(stat_etag(0x1234, 0xff), "\"m1234-ff\"");
        assert_eq!(stat_etag(-1_500_000_000, 5), "\"m-59682f00-5\"");
        assert_eq!(stat_etag(i64::MIN, 0), "\"m-8000000000000000-0\"");
    }
}
