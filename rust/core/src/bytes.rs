//! Small byte helpers shared by the parsers and the renderer.

/// Optional whitespace (RFC 9110 §5.6.3): space and horizontal tab.
pub(crate) const fn is_ows(octet: u8) -> bool {
    octet == b' ' || octet == b'\t'
}

/// `value` without leading and trailing OWS, like Python's `bytes.strip(b" \t")`.
pub(crate) fn strip_ows(value: &[u8]) -> &[u8] {
    let start = value
        .iter()
        .position(|&c| !is_ows(c))
        .unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&c| !is_ows(c))
        .map_or(start, |last| last + 1);
    &value[start..end]
}

/// 1*DIGIT as a number; None when empty, not all ASCII digits, or too long to matter.
///
/// Only used where the grammar fixes the width (dates, qvalues), so overflow cannot happen.
pub(crate) fn small_digits(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0, |n, &c| n * 10 + u32::from(c - b'0')))
}

/// A fixed-capacity byte buffer on the stack for per-response header values.
pub(crate) struct StackBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    pub(crate) const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Appends as much of `bytes` as fits; callers size `N` for the largest value they write.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        // Byte by byte: the values are a few bytes long, shorter than a call to memcpy.
        for (slot, &byte) in self.buf[self.len..].iter_mut().zip(bytes) {
            *slot = byte;
            self.len += 1;
        }
    }

    pub(crate) fn push_u64(&mut self, value: u64) {
        let mut digits = [0u8; 20];
        let start = write_u64(&mut digits, value);
        self.push(&digits[start..]);
    }
}

/// Writes `value` in decimal at the end of `out`, returning where the digits start.
pub(crate) fn write_u64(out: &mut [u8; 20], mut value: u64) -> usize {
    let mut pos = out.len();
    loop {
        pos -= 1;
        out[pos] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return pos;
        }
    }
}

/// Appends `value` in decimal to a vector.
pub(crate) fn push_u64(out: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let start = write_u64(&mut digits, value);
    out.extend_from_slice(&digits[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_ows_table() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b" \t ", b""),
            (b" a ", b"a"),
            (b"\ta b\t", b"a b"),
            (b"\r a", b"\r a"),
        ];
        for &(input, expected) in cases {
            assert_eq!(strip_ows(input), expected, "{input:?}");
        }
    }

    #[test]
    fn decimal() {
        for value in [0, 1, 9, 10, 12_345, u64::MAX] {
            let mut buf = StackBuf::<20>::new();
            buf.push_u64(value);
            assert_eq!(buf.as_bytes(), value.to_string().as_bytes());
        }
        assert_eq!(small_digits(b"007"), Some(7));
        assert_eq!(small_digits(b""), None);
        assert_eq!(small_digits(b"1a"), None);
        assert_eq!(small_digits(b"+1"), None);
    }
}
