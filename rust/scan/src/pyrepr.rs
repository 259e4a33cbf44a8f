//! Text as the Python side writes it in its log messages: `%r` of a path and `str()` of an
//! `OSError`, so that a warning reads the same whichever walk produced it.

use std::fmt::Write as _;
use std::io;

/// Python's `repr()` of a file name or path decoded with `surrogateescape`: each byte that is not
/// part of valid UTF-8 shows as the lone surrogate Python holds for it (`'\udce9'`).
///
/// Non-printable characters are escaped as Python does for the control characters, separators,
/// format characters and private-use areas listed in `is_printable`; code points that Python
/// only knows to be non-printable from its Unicode database (unassigned ones) are written as is.
pub(crate) fn repr(bytes: &[u8]) -> String {
    let mut single = false;
    let mut double = false;
    for chunk in bytes.utf8_chunks() {
        single |= chunk.valid().contains('\'');
        double |= chunk.valid().contains('"');
    }
    let quote = if single && !double { '"' } else { '\'' };
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push(quote);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c, quote);
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\udc{byte:02x}");
        }
    }
    out.push(quote);
    out
}

fn push_escaped(out: &mut String, c: char, quote: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if is_printable(c) => out.push(c),
        c => {
            let code = u32::from(c);
            let _ = if code <= 0xff {
                write!(out, "\\x{code:02x}")
            } else if code <= 0xffff {
                write!(out, "\\u{code:04x}")
            } else {
                write!(out, "\\U{code:08x}")
            };
        }
    }
}

/// Python's `str.isprintable` for one character, for the categories that can be told without a
/// Unicode database: Cc, Zs (but the space), Zl, Zp, Co, the noncharacters and the Cf characters
/// of Unicode 15.
fn is_printable(c: char) -> bool {
    let code = u32::from(c);
    if code < 0x7f {
        return code >= 0x20;
    }
    if code & 0xfffe == 0xfffe {
        return false;
    }
    !matches!(
        code,
        0x7f..=0xa0
            | 0xad
            | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x890..=0x891
            | 0x8e2
            | 0x1680
            | 0x180e
            | 0x2000..=0x200f
            | 0x2028..=0x202f
            | 0x205f..=0x2064
            | 0x2066..=0x206f
            | 0x3000
            | 0xd800..=0xdfff
            | 0xe000..=0xf8ff
            | 0xfdd0..=0xfdef
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0x110bd
            | 0x110cd
            | 0x13430..=0x1343f
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0001
            | 0xe0020..=0xe007f
            | 0xf0000..=0x0010_ffff
    )
}

/// Python's `str()` of the `OSError` a failed call raises: `[Errno 13] Permission denied: '/x'`,
/// the file name present when the failing call was given one (open, scandir), absent for a read.
pub(crate) fn os_error(error: &io::Error, filename: Option<&[u8]>) -> String {
    let Some(code) = error.raw_os_error() else {
        return error.to_string();
    };
    // Rust and Python both take the description from strerror; Rust appends the number.
    let text = error.to_string();
    let description = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    match filename {
        Some(name) => format!("[Errno {code}] {description}: {}", repr(name)),
        None => format!("[Errno {code}] {description}"),
    }
}

/// The text Python's `.encode("utf-8", "replace")` makes of a name decoded with
/// `surrogateescape`: one '?' for each byte that is not valid UTF-8.
pub(crate) fn replace_invalid(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|_| '?'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(repr(b"a/b.js"), "'a/b.js'");
        assert_eq!(repr(b"it's"), "\"it's\"");
        assert_eq!(repr(b"it's \"x\""), "'it\\'s \"x\"'");
        assert_eq!(repr(b"say \"x\""), "'say \"x\"'");
        assert_eq!(repr(b"a\\b"), "'a\\\\b'");
    }

    #[test]
    fn repr_escapes_like_python() {
        assert_eq!(repr(b"a\tb\nc\rd\x01\x7f"), "'a\\tb\\nc\\rd\\x01\\x7f'");
        assert_eq!(
            repr("é\u{85}\u{a0}\u{200b}\u{e000}ü€".as_bytes()),
            "'é\\x85\\xa0\\u200b\\ue000ü€'"
        );
        assert_eq!(repr("\u{f0000}😀".as_bytes()), "'\\U000f0000😀'");
        assert_eq!(repr(b"caf\xe9/\xe2\x82x"), "'caf\\udce9/\\udce2\\udc82x'");
    }

    #[test]
    fn replace_invalid_gives_one_mark_per_byte() {
        assert_eq!(replace_invalid(b"caf\xe9"), "caf?");
        assert_eq!(replace_invalid(b"\xe2\x82x\xff\xfe"), "??x??");
        assert_eq!(replace_invalid("déjà".as_bytes()), "déjà");
    }

    #[test]
    fn os_error_reads_like_python() {
        let error = io::Error::from_raw_os_error(13);
        assert_eq!(
            os_error(&error, Some(b"/srv/x")),
            "[Errno 13] Permission denied: '/srv/x'"
        );
        assert_eq!(
            os_error(&io::Error::from_raw_os_error(5), None),
            "[Errno 5] Input/output error"
        );
    }
}
