//! The codecs behind `ferrostatic compress`: brotli, zstd and gzip, one-shot, GIL released.
//!
//! Every output is a pure function of the input bytes, the format and the level, so that two
//! hosts building the same tree produce the same variants (and so the same `ETag`s):
//!
//! - gzip carries no name, an mtime of 0 and the "unknown" OS byte (RFC 1952 §2.3.1), and the
//!   deflate stream comes from the stock zlib — the library Python's `zlib` module wraps — with
//!   zlib's defaults (memory level 8, default strategy), so the pure-Python fallback writes the
//!   same bytes.
//! - zstd is single-threaded, with the content size in the frame header and no checksum, as
//!   libzstd's one-shot API writes by default; levels above 19 have their window capped at
//!   8 MiB, the most a decoder must accept for the `zstd` content coding (RFC 9659 §3).
//! - brotli uses the reference encoder's defaults (generic mode, 4 MiB window) at the quality
//!   asked for.
use std::io::Write;
use std::ops::RangeInclusive;

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The formats, by the names `compress` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Brotli,
    Zstd,
    Gzip,
}

/// RFC 9659 §3: a `zstd` content-coded response must not need a window above 8 MiB.
const ZSTD_MAX_WINDOW_LOG: u32 = 23;
/// The highest level whose parameters stay within that window on their own.
const ZSTD_LAST_LEVEL_IN_WINDOW: i32 = 19;

impl Format {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "br" => Some(Self::Brotli),
            "zstd" => Some(Self::Zstd),
            "gzip" => Some(Self::Gzip),
            _ => None,
        }
    }

    fn levels(self) -> RangeInclusive<i32> {
        match self {
            Self::Brotli => 0..=11,
            Self::Zstd => 1..=22,
            Self::Gzip => 0..=9,
        }
    }

    /// The most compression each offers: variants are built once and served many times.
    fn default_level(self) -> i32 {
        match self {
            Self::Brotli => 11,
            Self::Zstd => 19,
            Self::Gzip => 9,
        }
    }

    fn compress(self, data: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Brotli => brotli(data, level),
            Self::Zstd => zstd(data, level),
            Self::Gzip => gzip(data, level),
        }
    }
}

fn brotli(data: &[u8], quality: i32) -> std::io::Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut output = Vec::with_capacity(data.len() / 4 + 64);
    brotli::BrotliCompress(&mut &data[..], &mut output, &params)?;
    Ok(output)
}

fn zstd(data: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    let mut compressor = zstd::bulk::Compressor::new(level)?;
    if level > ZSTD_LAST_LEVEL_IN_WINDOW {
        compressor.set_parameter(zstd::zstd_safe::CParameter::WindowLog(ZSTD_MAX_WINDOW_LOG))?;
    }
    compressor.compress(data)
}

/// The fixed 10-byte member header of RFC 1952 §2.3: no flags, no name, no mtime.
fn gzip_header(level: i32) -> [u8; 10] {
    // XFL: 2 for the slowest, densest setting, 4 for the fastest, 0 otherwise.
    let extra_flags = match level {
        9 => 2,
        1 => 4,
        _ => 0,
    };
    // OS 255 ("unknown"): the bytes must not depend on the machine that made them.
    [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extra_flags, 255]
}

fn gzip(data: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    let mut output = Vec::with_capacity(data.len() / 3 + 32);
    output.extend_from_slice(&gzip_header(level));
    let level = u32::try_from(level).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let mut encoder = DeflateEncoder::new(output, Compression::new(level));
    encoder.write_all(data)?;
    let mut output = encoder.finish()?;
    let mut crc = Crc::new();
    crc.update(data);
    output.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE is the input length modulo 2^32 (RFC 1952 §2.3.1).
    output.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(output)
}

/// Compress `data` into `format` ("br", "zstd" or "gzip") at `level` (the densest if None).
///
/// The GIL is released while compressing, so a thread pool uses every core. The output is
/// deterministic: the same input, format and level give the same bytes on every host.
#[pyfunction]
#[pyo3(signature = (data, format, level = None))]
pub fn compress<'py>(
    py: Python<'py>,
    data: &[u8],
    format: &str,
    level: Option<i32>,
) -> PyResult<Bound<'py, PyBytes>> {
    let Some(parsed) = Format::parse(format) else {
        return Err(PyValueError::new_err(format!(
            "format: expected 'br', 'zstd' or 'gzip', got '{format}'"
        )));
    };
    let level = level.unwrap_or_else(|| parsed.default_level());
    let levels = parsed.levels();
    if !levels.contains(&level) {
        return Err(PyValueError::new_err(format!(
            "level: {format} takes {} to {}, got {level}",
            levels.start(),
            levels.end()
        )));
    }
    let output = py
        .detach(|| parsed.compress(data, level))
        .map_err(|error| {
            PyRuntimeError::new_err(format!("{format} compression failed: {error}"))
        })?;
    Ok(PyBytes::new(py, &output))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::Format;

    const TEXT: &[u8] = b"body { color: red }\n.a { color: blue }\n.b { color: green }\n";

    fn sample() -> Vec<u8> {
        TEXT.repeat(200)
    }

    fn decompress(format: Format, data: &[u8]) -> Vec<u8> {
        let mut output = Vec::new();
        match format {
            Format::Brotli => {
                brotli::Decompressor::new(data, 4096)
                    .read_to_end(&mut output)
                    .unwrap();
            }
            Format::Zstd => output = zstd::bulk::decompress(data, 1 << 24).unwrap(),
            Format::Gzip => {
                flate2::read::GzDecoder::new(data)
                    .read_to_end(&mut output)
                    .unwrap();
            }
        }
        output
    }

    #[test]
    fn every_format_round_trips_at_every_level() {
        let data = sample();
        for format in [Format::Brotli, Format::Zstd, Format::Gzip] {
            for level in format.levels() {
                let packed = format.compress(&data, level).unwrap();
                assert_eq!(decompress(format, &packed), data, "{format:?} {level}");
            }
        }
    }

    #[test]
    fn output_is_deterministic_and_smaller() {
        let data = sample();
        for format in [Format::Brotli, Format::Zstd, Format::Gzip] {
            let level = format.default_level();
            let first = format.compress(&data, level).unwrap();
            assert_eq!(first, format.compress(&data, level).unwrap(), "{format:?}");
            assert!(first.len() * 10 < data.len(), "{format:?}: {}", first.len());
        }
    }

    #[test]
    fn gzip_header_has_no_name_no_time_and_unknown_os() {
        let packed = Format::Gzip.compress(TEXT, 9).unwrap();
        assert_eq!(packed[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]);
        assert_eq!(Format::Gzip.compress(TEXT, 1).unwrap()[8], 4);
        assert_eq!(Format::Gzip.compress(TEXT, 6).unwrap()[8], 0);
        let trailer = &packed[packed.len() - 4..];
        assert_eq!(trailer, (TEXT.len() as u32).to_le_bytes());
    }

    #[test]
    fn empty_input_has_known_encodings() {
        // RFC 7932 §9.2: WBITS = 22 (bits 1, 101), then a last, empty meta-block (ISLAST,
        // ISLASTEMPTY), padded to a byte: 0b0011_1011.
        assert_eq!(Format::Brotli.compress(b"", 11).unwrap(), [0x3b]);
        // RFC 1951 §3.2.3: an empty final fixed-Huffman block is 0x03 0x00.
        let gzip = Format::Gzip.compress(b"", 9).unwrap();
        assert_eq!(gzip[10..], [3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        // RFC 8878 §3.1.1: magic number, then a frame header declaring a size of 0.
        let zstd = Format::Zstd.compress(b"", 19).unwrap();
        assert_eq!(zstd[..4], [0x28, 0xb5, 0x2f, 0xfd]);
        assert_eq!(decompress(Format::Zstd, &zstd), b"");
    }

    /// The window a decoder needs for a frame (RFC 8878 §3.1.1.1): the content size for a
    /// single-segment frame, otherwise what the window descriptor says.
    fn zstd_window(frame: &[u8]) -> u64 {
        let descriptor = frame[4];
        if descriptor & 0x20 != 0 {
            let size_bytes = match descriptor >> 6 {
                0 => 1,
                1 => 2,
                2 => 4,
                _ => 8,
            };
            let mut size = [0u8; 8];
            size[..size_bytes].copy_from_slice(&frame[5..5 + size_bytes]);
            let size = u64::from_le_bytes(size);
            return if size_bytes == 2 { size + 256 } else { size };
        }
        let log = 10 + u32::from(frame[5] >> 3);
        let base = 1u64 << log;
        base + base / 8 * u64::from(frame[5] & 7)
    }

    #[test]
    fn high_zstd_levels_keep_the_window_within_8_mib() {
        let data: Vec<u8> = (0..(20u32 << 20))
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 & 0x0f)
            .collect();
        for level in [19, 22] {
            let window = zstd_window(&Format::Zstd.compress(&data, level).unwrap());
            assert!(window <= 8 << 20, "level {level}: window of {window} bytes");
        }
        let small = zstd_window(&Format::Zstd.compress(&sample(), 22).unwrap());
        assert_eq!(small, sample().len() as u64, "a small file is one segment");
    }

    #[test]
    fn names_and_levels_are_checked() {
        assert_eq!(Format::parse("br"), Some(Format::Brotli));
        assert_eq!(Format::parse("gz"), None);
        assert!(!Format::Brotli.levels().contains(&12));
        assert!(!Format::Zstd.levels().contains(&0));
    }
}
