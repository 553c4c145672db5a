//! Python's own parsing rules for the scalar types of `xmlrpc.client.Unmarshaller`:
//! `int(data)`, `float(data)`, `Decimal(data)`, `datetime.strptime(data, "%Y%m%dT%H:%M:%S")` and
//! `base64.decodebytes(data.encode("ascii"))`, as `CPython` 3.11 implements them.
//!
//! Nothing here indexes or unwraps: every function takes request text.

use super::value::DateTime;

/// The code points whose decimal value is 0 (Unicode 14.0, the database of `CPython` 3.11); each
/// starts a run of ten consecutive decimal digits. Python's `int()`, `float()`, `Decimal()` and
/// the `\d` of `re` accept all of them.
const DECIMAL_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The decimal value of `c` as Python's `str.isdecimal()` / `Py_UNICODE_TODECIMAL` sees it.
pub(crate) fn py_decimal(c: char) -> Option<u8> {
    let cp = u32::from(c);
    if c.is_ascii() {
        return c.is_ascii_digit().then(|| (cp - 0x30) as u8);
    }
    // The last zero at or below `cp`; a digit when `cp` is within nine of it.
    let idx = DECIMAL_ZEROS.partition_point(|&z| z <= cp);
    let zero = *DECIMAL_ZEROS.get(idx.checked_sub(1)?)?;
    let d = cp - zero;
    (d < 10).then_some(d as u8)
}

/// Python's `str.isspace()`.
pub(crate) fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Why `int(data)` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntError {
    /// Python raises `ValueError: invalid literal for int()` (or the 4300-digit limit).
    Invalid,
    /// A valid integer outside `i64` (Python would return it; we refuse it).
    OutOfRange,
}

/// `CPython` 3.11's limit on digits in `int(str)` (`sys.get_int_max_str_digits()`).
const INT_MAX_STR_DIGITS: usize = 4300;

/// `int(data)`: surrounding whitespace, one sign, decimal digits (any script) with single
/// underscores between them.
pub(crate) fn parse_int(s: &str) -> Result<i64, IntError> {
    // Fast path: plain ASCII digits with an optional minus, the form every client sends.
    let b = s.as_bytes();
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        let mut v: i64 = 0;
        for &d in digits {
            v = v * 10 + i64::from(d - b'0');
        }
        return Ok(if neg { -v } else { v });
    }
    parse_int_slow(s)
}

fn parse_int_slow(s: &str) -> Result<i64, IntError> {
    let mut it = s.chars().skip_while(|&c| py_space(c)).peekable();
    let neg = match it.peek() {
        Some('-') => {
            it.next();
            true
        }
        Some('+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut magnitude: u128 = 0;
    let mut ndigits = 0usize;
    let mut prev_underscore = false;
    let mut trailing = false;
    for c in it {
        if trailing {
            if !py_space(c) {
                return Err(IntError::Invalid);
            }
            continue;
        }
        if let Some(d) = py_decimal(c) {
            ndigits += 1;
            magnitude = (magnitude * 10 + u128::from(d)).min(u128::from(u64::MAX));
            prev_underscore = false;
        } else if c == '_' {
            if ndigits == 0 || prev_underscore {
                return Err(IntError::Invalid);
            }
            prev_underscore = true;
        } else if py_space(c) && ndigits > 0 && !prev_underscore {
            trailing = true;
        } else {
            return Err(IntError::Invalid);
        }
    }
    if ndigits == 0 || prev_underscore || ndigits > INT_MAX_STR_DIGITS {
        return Err(IntError::Invalid);
    }
    let limit = if neg { 1u128 << 63 } else { (1u128 << 63) - 1 };
    if magnitude > limit {
        return Err(IntError::OutOfRange);
    }
    let m = magnitude as i128;
    Ok((if neg { -m } else { m }) as i64)
}

/// `float(data)`: `None` where Python raises `ValueError`.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
        && s.bytes()
            .any(|b| b.is_ascii_digit() || b == b'i' || b == b'I' || b == b'n' || b == b'N');
    if plain {
        return parse_float_ascii(s);
    }
    // Python first maps every whitespace to ' ' and every decimal digit to ASCII.
    let mut t = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            t.push(c);
        } else if py_space(c) {
            t.push(' ');
        } else if let Some(d) = py_decimal(c) {
            t.push(char::from(b'0' + d));
        } else {
            return None;
        }
    }
    // Underscores only between two ASCII digits, and then dropped.
    let tb = t.as_bytes();
    let mut cleaned = String::with_capacity(t.len());
    let mut prev = 0u8;
    for (i, &c) in tb.iter().enumerate() {
        if c == b'_' {
            let next = tb.get(i + 1).copied().unwrap_or(0);
            if !prev.is_ascii_digit() || !next.is_ascii_digit() {
                return None;
            }
        } else {
            cleaned.push(char::from(c));
        }
        prev = c;
    }
    let trimmed =
        cleaned.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'));
    parse_float_ascii(trimmed)
}

fn parse_float_ascii(s: &str) -> Option<f64> {
    // Rust accepts the same grammar as `PyOS_string_to_double` (decimal with optional exponent,
    // `inf`, `infinity`, `nan`, case-insensitive, signed), except that it needs no help here.
    if s.bytes().any(|b| b == b'_' || b.is_ascii_whitespace()) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// `Decimal(data)` would succeed (the default context traps `InvalidOperation`).
pub(crate) fn is_decimal(s: &str) -> bool {
    // Decimal drops every underscore, maps whitespace and digits to ASCII, strips spaces.
    let mut t = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '_' {
            continue;
        }
        if c.is_ascii() {
            t.push(c.to_ascii_lowercase());
        } else if py_space(c) {
            t.push(' ');
        } else if let Some(d) = py_decimal(c) {
            t.push(char::from(b'0' + d));
        } else {
            return false;
        }
    }
    let t = t.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'));
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if t == "inf" || t == "infinity" {
        return true;
    }
    if let Some(payload) = t.strip_prefix("snan").or_else(|| t.strip_prefix("nan")) {
        return all_digits(payload);
    }
    let (mantissa, exponent) = match t.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (t, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((i, f)) => (!i.is_empty() || !f.is_empty()) && all_digits(i) && all_digits(f),
        None => !mantissa.is_empty() && all_digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[derive(Clone, Copy)]
enum Class {
    /// `\d` of `re` on a `str`: any decimal digit.
    Digit,
    /// An ASCII character class `[a-b]`.
    Range(u8, u8),
    /// A literal character (`T` matches `t` too under `re.IGNORECASE`).
    Lit(char),
}

use Class::{Digit, Lit, Range};

/// The alternatives of each group of `_strptime`'s regex for `%Y%m%dT%H:%M:%S`, in order.
const PATTERN: [&[&[Class]]; 9] = [
    &[&[Digit, Digit, Digit, Digit]],
    &[
        &[Lit('1'), Range(b'0', b'2')],
        &[Lit('0'), Range(b'1', b'9')],
        &[Range(b'1', b'9')],
    ],
    &[
        &[Lit('3'), Range(b'0', b'1')],
        &[Range(b'1', b'2'), Digit],
        &[Lit('0'), Range(b'1', b'9')],
        &[Range(b'1', b'9')],
        &[Lit(' '), Range(b'1', b'9')],
    ],
    &[&[Lit('T')]],
    &[
        &[Lit('2'), Range(b'0', b'3')],
        &[Range(b'0', b'1'), Digit],
        &[Digit],
    ],
    &[&[Lit(':')]],
    &[&[Range(b'0', b'5'), Digit], &[Digit]],
    &[&[Lit(':')]],
    &[
        &[Lit('6'), Range(b'0', b'1')],
        &[Range(b'0', b'5'), Digit],
        &[Digit],
    ],
];

/// The longest text the pattern can match.
const MAX_MATCH: usize = 17;

fn class_matches(class: Class, c: char) -> bool {
    match class {
        Digit => py_decimal(c).is_some(),
        Range(a, b) => c.is_ascii() && (a..=b).contains(&(c as u8)),
        Lit('T') => c == 'T' || c == 't',
        Lit(l) => c == l,
    }
}

/// Backtracking match of `PATTERN[group..]` at `pos`, first alternative first, as `re` does.
/// Records each group's span in `spans`; returns the end of the match.
fn match_from(
    chars: &[char],
    pos: usize,
    group: usize,
    spans: &mut [(usize, usize); 9],
) -> Option<usize> {
    let Some(alternatives) = PATTERN.get(group) else {
        return Some(pos);
    };
    for alt in *alternatives {
        let end = pos + alt.len();
        let Some(text) = chars.get(pos..end) else {
            continue;
        };
        if alt
            .iter()
            .zip(text)
            .all(|(&class, &c)| class_matches(class, c))
        {
            if let Some(slot) = spans.get_mut(group) {
                *slot = (pos, end);
            }
            if let Some(done) = match_from(chars, end, group + 1, spans) {
                return Some(done);
            }
        }
    }
    None
}

/// `datetime.strptime(data, "%Y%m%dT%H:%M:%S")`: `None` where Python raises `ValueError`.
pub(crate) fn parse_datetime(s: &str) -> Option<DateTime> {
    let mut buf = ['\0'; MAX_MATCH];
    let mut count = 0usize;
    for (slot, c) in buf.iter_mut().zip(s.chars()) {
        *slot = c;
        count += 1;
    }
    let total = s.chars().count();
    let chars = buf.get(..count)?;
    let mut spans = [(0usize, 0usize); 9];
    let end = match_from(chars, 0, 0, &mut spans)?;
    if end != total {
        return None; // "unconverted data remains"
    }
    let field = |group: usize| -> Option<u16> {
        let (a, b) = *spans.get(group)?;
        let mut v = 0u16;
        for &c in chars.get(a..b)? {
            if c != ' ' {
                v = v * 10 + u16::from(py_decimal(c)?);
            }
        }
        Some(v)
    };
    let small = |group: usize| field(group).and_then(|v| u8::try_from(v).ok());
    DateTime::new(
        field(0)?,
        small(1)?,
        small(2)?,
        small(4)?,
        small(6)?,
        small(8)?,
    )
}

/// `base64.decodebytes(data.encode("ascii"))` (binascii's non-strict `a2b_base64`).
pub(crate) fn decode_base64(s: &str) -> Result<Vec<u8>, &'static str> {
    if !s.is_ascii() {
        return Err("non-ASCII character in base64 data");
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 3);
    let mut quad_pos = 0u8;
    let mut left: u32 = 0;
    let mut pads = 0u8;
    for b in s.bytes() {
        if b == b'=' {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        pads = 0;
        let v = u32::from(v);
        match quad_pos {
            0 => {
                left = v;
                quad_pos = 1;
            }
            1 => {
                out.push(((left << 2) | (v >> 4)) as u8);
                left = v & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push(((left << 4) | (v >> 2)) as u8);
                left = v & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push(((left << 6) | v) as u8);
                left = 0;
                quad_pos = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err("invalid base64: number of data characters cannot be 1 more than a multiple of 4"),
        _ => Err("invalid base64: incorrect padding"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_follow_python() {
        assert_eq!(parse_int("42"), Ok(42));
        assert_eq!(parse_int("-42"), Ok(-42));
        assert_eq!(parse_int("  +4_2\n"), Ok(42));
        assert_eq!(parse_int("\u{3000}0012\u{a0}"), Ok(12));
        assert_eq!(parse_int("\u{0661}\u{0662}"), Ok(12));
        assert_eq!(parse_int("\u{ff11}\u{ff12}"), Ok(12));
        assert_eq!(parse_int("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), Err(IntError::OutOfRange));
        assert_eq!(parse_int("-9223372036854775809"), Err(IntError::OutOfRange));
        assert_eq!(parse_int(&"9".repeat(400)), Err(IntError::OutOfRange));
        assert_eq!(parse_int(&"0".repeat(4300)), Ok(0));
        assert_eq!(parse_int(&"0".repeat(4301)), Err(IntError::Invalid));
        for bad in [
            "", " ", "-", "+", "1_", "_1", "1__0", "- 1", "1 2", "1.0", "0x10", "١_", "1e3", "++1",
        ] {
            assert_eq!(parse_int(bad), Err(IntError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn floats_follow_python() {
        let ok = [
            ("1.5", 1.5),
            (" 1_0.5 ", 10.5),
            ("1e1_0", 1e10),
            ("1.e5", 1e5),
            (".5", 0.5),
            ("+.5", 0.5),
            ("-0", -0.0),
            ("\u{ff11}\u{ff12}", 12.0),
            ("1.5\u{3000}", 1.5),
            ("-Infinity", f64::NEG_INFINITY),
            ("iNf", f64::INFINITY),
        ];
        for (s, v) in ok {
            let got = parse_float(s).unwrap_or_else(|| panic!("{s:?}"));
            assert_eq!(got.to_bits(), v.to_bits(), "{s:?}");
        }
        assert!(parse_float("nan").is_some_and(f64::is_nan));
        assert!(parse_float("-NaN").is_some_and(f64::is_nan));
        for bad in [
            "", "1_e5", "1_", "_1", "in f", "0x10", "1e", ".", "e5", "1..2", "nan(1)", "1 2", "--1",
        ] {
            assert_eq!(parse_float(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn decimals_follow_python() {
        for ok in [
            "1",
            "1__0",
            "_1",
            "1_",
            "1_.5",
            "1e1_0",
            " 1 ",
            "NaN123",
            "sNaN",
            "-Infinity",
            "inf",
            "1.",
            ".5e-3",
        ] {
            assert!(is_decimal(ok), "{ok:?}");
        }
        for bad in ["1e", ".", "nan(1)", "", "1 2", "x"] {
            assert!(!is_decimal(bad), "{bad:?}");
        }
    }

    #[test]
    fn datetimes_follow_strptime() {
        let dt = |y, mo, d, h, mi, s| DateTime::new(y, mo, d, h, mi, s);
        assert_eq!(
            parse_datetime("20240131T23:59:59"),
            dt(2024, 1, 31, 23, 59, 59)
        );
        assert_eq!(parse_datetime("2024131t1:2:3"), dt(2024, 1, 31, 1, 2, 3));
        assert_eq!(parse_datetime("202411T1:2:3"), dt(2024, 1, 1, 1, 2, 3));
        assert_eq!(parse_datetime("20241 1T1:2:3"), dt(2024, 1, 1, 1, 2, 3));
        // "1" then "12" for month and day: the first alternative of %m takes "11", %d takes "2"
        assert_eq!(parse_datetime("2024112T00:00:00"), dt(2024, 11, 2, 0, 0, 0));
        // backtracking: %m "12" leaves "T" for %d, so %m falls back to "1"
        assert_eq!(parse_datetime("2024122T00:00:00"), dt(2024, 12, 2, 0, 0, 0));
        assert_eq!(parse_datetime("202412T00:00:00"), dt(2024, 1, 2, 0, 0, 0));
        assert_eq!(
            parse_datetime("\u{ff12}0241231T\u{0661}:00:00"),
            dt(2024, 12, 31, 1, 0, 0)
        );
        assert_eq!(parse_datetime("2024\u{ff11}231T00:00:00"), None);
        for bad in [
            "",
            "20240230T00:00:00",
            "00000101T00:00:00",
            "20240101T24:00:00",
            "20240101T00:00:60",
            "20240101T00:00:000",
            " 20240101T00:00:00",
            "20240101T00:00:00 ",
            "2024-01-01T00:00:00",
            "20240101T00:00",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn base64_follows_binascii() {
        assert_eq!(decode_base64("aGVsbG8="), Ok(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVs\nbG8=\n"), Ok(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVsbG8=trailing"), Ok(b"hello".to_vec()));
        assert_eq!(decode_base64("a!G*V s"), Ok(b"hel".to_vec()));
        assert_eq!(decode_base64(""), Ok(Vec::new()));
        assert_eq!(decode_base64("===="), Ok(Vec::new()));
        assert_eq!(decode_base64("QQ=x="), Ok(vec![0x41, 0x0c]));
        assert!(decode_base64("QQ=").is_err());
        assert!(decode_base64("Q").is_err());
        assert!(decode_base64("é").is_err());
    }
}
