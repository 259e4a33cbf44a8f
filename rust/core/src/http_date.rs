//! HTTP-date (RFC 9110 §5.6.7): the three forms a recipient must accept, and IMF-fixdate out.
//!
//! ```text
//! HTTP-date    = IMF-fixdate / obs-date
//! IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT    ; Sun, 06 Nov 1994 08:49:37 GMT
//! rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT  ; Sunday, 06-Nov-94 08:49:37 GMT
//! asctime-date = day-name SP date3 SP time-of-day SP year       ; Sun Nov  6 08:49:37 1994
//! ```
//!
//! Names are case-sensitive (`%s"..."` in the ABNF). The weekday is not checked against the date.

use crate::bytes::{small_digits, strip_ows};

const DAY_NAMES: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const DAY_NAMES_LONG: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The largest magnitude of `current_year` for which every parsed date fits in i64 seconds.
pub const MAX_CURRENT_YEAR: i64 = 1_000_000_000;

const fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

const fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn timestamp(year: i64, month_name: &[u8], day: u32, clock: &[u8]) -> Option<i64> {
    let month = MONTHS.iter().zip(1..).find(|&(&m, _)| m == month_name)?.1;
    if clock.len() != 8 || clock[2] != b':' || clock[5] != b':' {
        return None;
    }
    let hour = i64::from(small_digits(&clock[0..2])?);
    let minute = i64::from(small_digits(&clock[3..5])?);
    let second = i64::from(small_digits(&clock[6..8])?);
    let day = i64::from(day);
    if hour > 23 || minute > 59 || second > 60 || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Parse any of the three HTTP-date forms to seconds since the epoch; None if it is not one.
///
/// `current_year` resolves rfc850's two-digit year: a year that would be more than 50 years in
/// the future is the most recent past year with the same last two digits (§5.6.7). Beyond
/// `MAX_CURRENT_YEAR` from zero, where the seconds would not fit, no rfc850 date parses.
pub fn parse_http_date(value: &[u8], current_year: i64) -> Option<i64> {
    let value = strip_ows(value);
    if value.len() == 29 && &value[3..5] == b", " && DAY_NAMES.iter().any(|&d| d == &value[..3]) {
        // IMF-fixdate
        if value[7] != b' ' || value[11] != b' ' || value[16] != b' ' {
            return None;
        }
        let day = small_digits(&value[5..7])?;
        let year = small_digits(&value[12..16])?;
        if &value[25..] != b" GMT" {
            return None;
        }
        return timestamp(i64::from(year), &value[8..11], day, &value[17..25]);
    }
    if let Some(comma) = value.iter().position(|&c| c == b',') {
        if comma > 0 && DAY_NAMES_LONG.contains(&&value[..comma]) {
            // rfc850-date
            let rest = &value[comma..];
            if rest.len() != 24 || &rest[..2] != b", " || rest[4] != b'-' || rest[8] != b'-' {
                return None;
            }
            let day = small_digits(&rest[2..4])?;
            let short_year = small_digits(&rest[9..11])?;
            if rest[11] != b' ' || &rest[20..] != b" GMT" {
                return None;
            }
            if current_year.unsigned_abs() > MAX_CURRENT_YEAR.unsigned_abs() {
                return None;
            }
            let mut year = current_year.div_euclid(100) * 100 + i64::from(short_year);
            if year > current_year + 50 {
                year -= 100;
            }
            return timestamp(year, &rest[5..8], day, &rest[12..20]);
        }
    }
    if value.len() == 24 && DAY_NAMES.iter().any(|&d| d == &value[..3]) && value[3] == b' ' {
        // asctime-date
        if value[7] != b' ' || value[10] != b' ' || value[19] != b' ' {
            return None;
        }
        let day_text = if value[8] == b' ' {
            &value[9..10]
        } else {
            &value[8..10]
        };
        let day = small_digits(day_text)?;
        let year = small_digits(&value[20..24])?;
        return timestamp(i64::from(year), &value[4..7], day, &value[11..19]);
    }
    None
}

/// An IMF-fixdate, formatted without allocating: 29 bytes for years 0 to 9999.
#[derive(Clone, Copy)]
pub struct HttpDate {
    buf: [u8; 48],
    len: usize,
}

impl HttpDate {
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Two decimal digits of `value`, which is in 0..100.
fn two_digits(out: &mut [u8], value: i64) {
    let value = value.unsigned_abs();
    out[0] = b'0' + (value / 10 % 10) as u8;
    out[1] = b'0' + (value % 10) as u8;
}

/// Render seconds since the epoch as an IMF-fixdate (the only form a sender may generate).
///
/// The year is zero-padded to four digits, and longer (or signed) outside 0 to 9999, so that
/// every second has a rendering, as in the Python twin.
pub fn format_http_date(seconds: i64) -> HttpDate {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // civil_from_days (Howard Hinnant), the inverse of days_from_civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // 1970-01-01 was a Thursday; index 0 is Monday.
    let weekday = (days + 3).rem_euclid(7).unsigned_abs() as usize;
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);

    let mut out = HttpDate {
        buf: [0; 48],
        len: 0,
    };
    let buf = &mut out.buf;
    buf[..3].copy_from_slice(DAY_NAMES[weekday]);
    buf[3..5].copy_from_slice(b", ");
    two_digits(&mut buf[5..7], day);
    buf[7] = b' ';
    buf[8..11].copy_from_slice(MONTHS[month.unsigned_abs() as usize - 1]);
    buf[11] = b' ';
    let mut pos = 12;
    if (0..10_000).contains(&year) {
        two_digits(&mut buf[12..14], year / 100);
        two_digits(&mut buf[14..16], year % 100);
        pos += 4;
    } else {
        // Python's "%04d": the sign counts towards the width.
        let digits = year.unsigned_abs().to_string();
        let width = digits.len() + usize::from(year < 0);
        if year < 0 {
            buf[pos] = b'-';
            pos += 1;
        }
        for _ in width..4 {
            buf[pos] = b'0';
            pos += 1;
        }
        buf[pos..pos + digits.len()].copy_from_slice(digits.as_bytes());
        pos += digits.len();
    }
    buf[pos] = b' ';
    two_digits(&mut buf[pos + 1..pos + 3], hour);
    buf[pos + 3] = b':';
    two_digits(&mut buf[pos + 4..pos + 6], minute);
    buf[pos + 6] = b':';
    two_digits(&mut buf[pos + 7..pos + 9], second);
    buf[pos + 9..pos + 13].copy_from_slice(b" GMT");
    out.len = pos + 13;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: i64 = 2026;

    #[test]
    fn parse_table() {
        let cases: &[(&[u8], Option<i64>)] = &[
            (b"Sun, 06 Nov 1994 08:49:37 GMT", Some(784_111_777)),
            (b" \tSun, 06 Nov 1994 08:49:37 GMT\t", Some(784_111_777)),
            (b"Sunday, 06-Nov-94 08:49:37 GMT", Some(784_111_777)),
            (b"Sun Nov  6 08:49:37 1994", Some(784_111_777)),
            (b"Sun Nov 06 08:49:37 1994", Some(784_111_777)),
            // The weekday is not checked against the date.
            (b"Mon, 06 Nov 1994 08:49:37 GMT", Some(784_111_777)),
            // Second 60 (a leap second) is allowed.
            (b"Sun, 06 Nov 1994 08:49:60 GMT", Some(784_111_800)),
            (b"Thu, 01 Jan 1970 00:00:00 GMT", Some(0)),
            (b"Wed, 31 Dec 1969 23:59:59 GMT", Some(-1)),
            (b"Sat, 01 Jan 0000 00:00:00 GMT", Some(-62_167_219_200)),
            (b"Tue, 29 Feb 2000 00:00:00 GMT", Some(951_782_400)),
            (b"Tue, 29 Feb 1900 00:00:00 GMT", None),
            (b"Tue, 31 Apr 2000 00:00:00 GMT", None),
            (b"Tue, 00 Apr 2000 00:00:00 GMT", None),
            (b"Sun, 06 Nov 1994 24:00:00 GMT", None),
            (b"Sun, 06 Nov 1994 08:60:00 GMT", None),
            (b"Sun, 06 Nov 1994 08:49:61 GMT", None),
            (b"sun, 06 Nov 1994 08:49:37 GMT", None),
            (b"Sun, 06 nov 1994 08:49:37 GMT", None),
            (b"Sun, 06 Nov 1994 08:49:37 gmt", None),
            (b"Sun, 06 Nov 1994 08:49:37 UTC", None),
            (b"Sun, 6 Nov 1994 08:49:37 GMT", None),
            (b"Sun, 06 Nov 1994 8:49:37 GMT", None),
            (b"Sun, 06 Nov 1994 08.49.37 GMT", None),
            (b"Sun, +6 Nov 1994 08:49:37 GMT", None),
            (b"Sun, 06 Nov 1994 08:49:37 GMT ", Some(784_111_777)),
            (b"Sun, 06 Nov 1994 08:49:37 GMTx", None),
            (b"Sunday, 6-Nov-94 08:49:37 GMT", None),
            (b"Sunday, 06-Nov-1994 08:49:37 GMT", None),
            (b"Sunday , 06-Nov-94 08:49:37 GMT", None),
            (b"Sun Nov 6 08:49:37 1994", None),
            (b"Sun Nov  6 08:49:37 94", None),
            (b"Sun Nov  0 08:49:37 1994", None),
            (b"", None),
            (b"0", None),
            (b"784111777", None),
            (b",", None),
            (b"\xff\xff\xff, 06 Nov 1994 08:49:37 GMT", None),
        ];
        for &(value, expected) in cases {
            assert_eq!(
                parse_http_date(value, YEAR),
                expected,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn rfc850_pivot() {
        let at = |year: i64, cy: i64| {
            let text = format!("Thursday, 01-Jan-{year:02} 00:00:00 GMT");
            parse_http_date(text.as_bytes(), cy)
                .map(|s| format_http_date(s).as_bytes()[12..16].to_vec())
        };
        assert_eq!(at(76, 2026), Some(b"2076".to_vec()));
        assert_eq!(at(77, 2026), Some(b"1977".to_vec()));
        assert_eq!(at(0, 2026), Some(b"2000".to_vec()));
        assert_eq!(at(99, 2050), Some(b"2099".to_vec()));
        assert_eq!(at(1, 2050), Some(b"2001".to_vec()));
        assert_eq!(at(1, 2051), Some(b"2001".to_vec()));
        assert_eq!(at(49, 1999), Some(b"1949".to_vec()));
        let rfc850 = b"Sunday, 06-Nov-94 08:49:37 GMT";
        assert_eq!(parse_http_date(rfc850, i64::MAX), None);
        assert_eq!(parse_http_date(rfc850, i64::MIN), None);
    }

    #[test]
    fn format_table() {
        let cases: &[(i64, &str)] = &[
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (253_402_300_800, "Sat, 01 Jan 10000 00:00:00 GMT"),
            (-62_167_219_200, "Sat, 01 Jan 0000 00:00:00 GMT"),
            (-62_167_219_201, "Fri, 31 Dec -001 23:59:59 GMT"),
            (-62_482_752_000, "Mon, 01 Jan -010 00:00:00 GMT"),
            (i64::MAX, "Sun, 04 Dec 292277026596 15:30:07 GMT"),
            (i64::MIN, "Sun, 27 Jan -292277022657 08:29:52 GMT"),
        ];
        for &(seconds, expected) in cases {
            assert_eq!(
                format_http_date(seconds).as_bytes(),
                expected.as_bytes(),
                "{seconds}"
            );
        }
    }

    #[test]
    fn round_trip() {
        for seconds in (-62_167_219_200_i64..253_402_300_800).step_by(7_777_777_777) {
            let date = format_http_date(seconds);
            assert_eq!(
                parse_http_date(date.as_bytes(), YEAR),
                Some(seconds),
                "{seconds}"
            );
        }
    }
}
