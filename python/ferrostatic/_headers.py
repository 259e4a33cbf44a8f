"""Request header parsers for the pure-Python router (the twin of ``rust/core/src/*.rs``).

Every parser takes the raw field value as bytes (never decoded: a client may send any octet) and
never raises: a value that does not match the grammar is answered the way the RFC says
(ignored, or matching nothing), which each function documents. The grammar each one follows is
quoted above it, from RFC 9110.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ANY_ETAG",
    "SATURATED",
    "AcceptEncoding",
    "format_http_date",
    "parse_etag_list",
    "parse_http_date",
    "parse_range",
]

_OWS: Final = b" \t"

# Numbers in a Range header saturate here, in both routers, so that a 40-digit position compares
# the same way in Python (unbounded ints) and in Rust (u64).
SATURATED: Final = 2**64 - 1


# --- Entity tags (RFC 9110 §8.8.3) -----------------------------------------------------------
#
#   entity-tag = [ weak ] opaque-tag
#   weak       = %s"W/"
#   opaque-tag = DQUOTE *etagc DQUOTE
#   etagc      = %x21 / %x23-7E / obs-text
#
#   If-Match / If-None-Match = "*" / #entity-tag

ANY_ETAG: Final = "*"


def _is_etagc(octet: int) -> bool:
    return octet == 0x21 or 0x23 <= octet <= 0x7E or octet >= 0x80


def parse_etag_list(value: bytes) -> list[tuple[bool, bytes]] | str:
    """Parse an If-Match / If-None-Match value.

    Returns ``ANY_ETAG`` for ``*``, else the entity-tags in order as ``(weak, opaque_tag)`` where
    the opaque tag keeps its quotes. Commas inside a quoted tag are part of the tag. Parsing
    stops at the first malformed member: the members before it count, the rest match nothing.
    """
    if value.strip(_OWS) == b"*":
        return ANY_ETAG
    tags: list[tuple[bool, bytes]] = []
    pos, end = 0, len(value)
    while True:
        while pos < end and value[pos] in b" \t,":
            pos += 1
        if pos == end:
            return tags
        weak = value.startswith(b"W/", pos)
        if weak:
            pos += 2
        if pos == end or value[pos] != 0x22:
            return tags
        close = value.find(b'"', pos + 1)
        if close < 0 or not all(_is_etagc(c) for c in value[pos + 1 : close]):
            return tags
        tags.append((weak, value[pos : close + 1]))
        pos = close + 1
        while pos < end and value[pos] in _OWS:
            pos += 1
        if pos < end and value[pos] != 0x2C:
            return tags


# --- HTTP-date (RFC 9110 §5.6.7) -------------------------------------------------------------
#
#   HTTP-date    = IMF-fixdate / obs-date
#   IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT      ; Sun, 06 Nov 1994 08:49:37 GMT
#   rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT    ; Sunday, 06-Nov-94 08:49:37 GMT
#   asctime-date = day-name SP date3 SP time-of-day SP year         ; Sun Nov  6 08:49:37 1994
#   date1 = day SP month SP year ; date2 = day "-" month "-" 2DIGIT
#   date3 = month SP ( 2DIGIT / ( SP DIGIT ))
#
# Names are case-sensitive (%s"..." in the ABNF). The weekday is not checked against the date.

_DAY_NAMES: Final = (b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun")
_DAY_NAMES_LONG: Final = (
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
)
_MONTHS: Final = (
    b"Jan",
    b"Feb",
    b"Mar",
    b"Apr",
    b"May",
    b"Jun",
    b"Jul",
    b"Aug",
    b"Sep",
    b"Oct",
    b"Nov",
    b"Dec",
)


def _digits(text: bytes) -> int | None:
    if not text or not all(0x30 <= c <= 0x39 for c in text):
        return None
    return int(text)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _timestamp(year: int, month_name: bytes, day: int, clock: bytes) -> int | None:
    if month_name not in _MONTHS or len(clock) != 8 or clock[2:3] != b":" or clock[5:6] != b":":
        return None
    month = _MONTHS.index(month_name) + 1
    hour, minute, second = _digits(clock[0:2]), _digits(clock[3:5]), _digits(clock[6:8])
    if hour is None or minute is None or second is None:
        return None
    if hour > 23 or minute > 59 or second > 60 or not 1 <= day <= _days_in_month(year, month):
        return None
    return _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second


def parse_http_date(value: bytes, current_year: int) -> int | None:
    """Parse any of the three HTTP-date forms to seconds since the epoch; None if it is not one.

    ``current_year`` resolves rfc850's two-digit year: a year that would be more than 50 years in
    the future is the most recent past year with the same last two digits (§5.6.7).
    """
    value = value.strip(_OWS)
    if len(value) == 29 and value[3:5] == b", " and value[:3] in _DAY_NAMES:
        # IMF-fixdate
        if value[7:8] != b" " or value[11:12] != b" " or value[16:17] != b" ":
            return None
        day, year = _digits(value[5:7]), _digits(value[12:16])
        if day is None or year is None or value[25:] != b" GMT":
            return None
        return _timestamp(year, value[8:11], day, value[17:25])
    comma = value.find(b",")
    if comma > 0 and value[:comma] in _DAY_NAMES_LONG:
        # rfc850-date
        rest = value[comma:]
        if len(rest) != 24 or rest[:2] != b", " or rest[4:5] != b"-" or rest[8:9] != b"-":
            return None
        day, short_year = _digits(rest[2:4]), _digits(rest[9:11])
        if day is None or short_year is None or rest[11:12] != b" " or rest[20:] != b" GMT":
            return None
        year = current_year // 100 * 100 + short_year
        if year > current_year + 50:
            year -= 100
        return _timestamp(year, rest[5:8], day, rest[12:20])
    if len(value) == 24 and value[:3] in _DAY_NAMES and value[3:4] == b" ":
        # asctime-date
        if value[7:8] != b" " or value[10:11] != b" " or value[19:20] != b" ":
            return None
        day_text = value[9:10] if value[8:9] == b" " else value[8:10]
        day, year = _digits(day_text), _digits(value[20:24])
        if day is None or year is None:
            return None
        return _timestamp(year, value[4:7], day, value[11:19])
    return None


def format_http_date(seconds: int) -> bytes:
    """Render seconds since the epoch as an IMF-fixdate (the only form a sender may generate)."""
    days, rest = divmod(seconds, 86400)
    # civil_from_days (Howard Hinnant), the inverse of _days_from_civil.
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; index 0 is Monday
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return b"%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        _DAY_NAMES[weekday],
        day,
        _MONTHS[month - 1],
        year,
        hour,
        minute,
        second,
    )


# --- Range (RFC 9110 §14.1.1, §14.2) ---------------------------------------------------------
#
#   Range          = ranges-specifier
#   ranges-specifier = range-unit "=" range-set
#   range-set      = 1#range-spec
#   range-spec     = int-range / suffix-range / other-range
#   int-range      = first-pos "-" [ last-pos ]
#   suffix-range   = "-" suffix-length

RangeSpec = tuple[int | None, int | None]
"""(first, last) as written; first None is a suffix range whose length is ``last``."""

MAX_RANGE_SPECS: Final = 32
"""More range-specs than this are an abuse signal (§14.2): the header is ignored."""


def _position(text: bytes) -> int | None:
    """A 1*DIGIT position, saturating at ``SATURATED``; None if not all digits."""
    if not text or not all(0x30 <= c <= 0x39 for c in text):
        return None
    significant = text.lstrip(b"0")
    if len(significant) > 20:
        return SATURATED
    return min(int(significant or b"0"), SATURATED)


def parse_range(value: bytes) -> list[RangeSpec] | None:
    """Parse a Range header into its range-specs; None when the header must be ignored.

    The unit is compared case-insensitively; only ``bytes`` is understood, and any other unit is
    ignored (§14.2). An int-range whose last-pos is below its first-pos is invalid (§14.1.1), and
    an invalid range-set is ignored as a whole, as is one with more than ``MAX_RANGE_SPECS``.
    """
    unit, equals, range_set = value.strip(_OWS).partition(b"=")
    if not equals or unit.lower() != b"bytes":
        return None
    specs: list[RangeSpec] = []
    for element in range_set.split(b","):
        element = element.strip(_OWS)
        if not element:
            continue
        first_text, dash, last_text = element.partition(b"-")
        if not dash:
            return None
        if not first_text:
            suffix = _position(last_text)
            if suffix is None:
                return None
            specs.append((None, suffix))
        else:
            first = _position(first_text)
            last = _position(last_text) if last_text else None
            if first is None or (last_text and last is None):
                return None
            if last is not None and last < first:
                return None
            specs.append((first, last))
        if len(specs) > MAX_RANGE_SPECS:
            return None
    return specs or None


# --- Accept-Encoding (RFC 9110 §12.5.3, §12.4.2) ---------------------------------------------
#
#   Accept-Encoding = #( codings [ weight ] )
#   codings         = content-coding / "identity" / "*"
#   weight          = OWS ";" OWS "q=" qvalue
#   qvalue          = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )

_TCHAR: Final = frozenset(
    b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _qvalue(text: bytes) -> int | None:
    """A qvalue in thousandths, or None if it does not match the grammar."""
    if not text or text[0] not in b"01" or len(text) > 5:
        return None
    if len(text) == 1:
        return 1000 if text == b"1" else 0
    if text[1:2] != b"." or not all(0x30 <= c <= 0x39 for c in text[2:]):
        return None
    thousandths = int(text[0:1]) * 1000 + int((text[2:] + b"000")[:3])
    return thousandths if thousandths <= 1000 else None


class AcceptEncoding:
    """The client's weights for content codings; ``weight(coding)`` is the one predicate."""

    __slots__ = ("_star", "_weights")

    def __init__(self, value: bytes | None) -> None:
        """Parse the field; ``None`` (absent) and an empty value both mean identity only."""
        self._weights: dict[bytes, int] = {}
        self._star: int | None = None
        if value is None:
            return
        for element in value.split(b","):
            coding, *params = element.split(b";")
            coding = coding.strip(_OWS).lower()
            if not coding or not all(c in _TCHAR for c in coding):
                continue
            weight: int | None = 1000
            for param in params:
                param = param.strip(_OWS)
                if param[:2] in (b"q=", b"Q="):
                    weight = _qvalue(param[2:])
            if weight is None:
                continue
            if coding == b"x-gzip":
                coding = b"gzip"
            if coding == b"*":
                self._star = weight if self._star is None else max(self._star, weight)
            else:
                self._weights[coding] = max(self._weights.get(coding, 0), weight)

    def weight(self, coding: bytes) -> int:
        """The client's weight (0-1000) for a content coding, 0 when it is not acceptable.

        An explicit entry wins; otherwise ``*`` applies to any coding not listed, identity
        included (so ``*;q=0`` excludes identity unless identity is listed). Identity that is
        not listed weighs 0 here: §12.5.3 makes it acceptable by default but gives it no weight,
        and a client that lists only ``gzip;q=0.5`` wants gzip, so unlisted identity is the
        fallback the router sends when nothing listed is acceptable.
        """
        explicit = self._weights.get(coding)
        if explicit is not None:
            return explicit
        return 0 if self._star is None else self._star
