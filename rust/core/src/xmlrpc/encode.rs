//! Encoder with the output of Odoo 19's XML-RPC marshaller (`odoo.addons.rpc.controllers.xmlrpc`:
//! `OdooMarshaller` on top of `xmlrpc.client.Marshaller`, and its `dumps`), byte for byte.
//!
//! [`Writer`] has one method per thing the marshaller writes; the Python binding walks Python
//! objects straight into it. [`encode_response`] encodes a [`Value`] the way Odoo would encode
//! what `xmlrpc.client.loads` makes of it.

use std::fmt;
use std::io::Write as _;

use super::value::{DateTime, Value};

/// `xmlrpc.client.MAXINT` / `MININT`.
const MAXINT: i64 = (1 << 31) - 1;
const MININT: i64 = -(1 << 31);

const RESPONSE_HEAD: &[u8] = b"<?xml version=\"1.0\"?>\n<methodResponse>\n";
const RESPONSE_TAIL: &[u8] = b"\n</methodResponse>\n";

/// Why a value cannot be marshalled. The messages are Python's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// An int outside `[-2**31, 2**31 - 1]` (Python raises `OverflowError`).
    IntOverflow,
    /// `None`: Odoo's marshaller has `allow_none=False`.
    NoneNotAllowed,
    /// A dict key that is not a `str`.
    KeyNotString,
    /// A dict that contains itself.
    RecursiveDict,
    /// A list or tuple that contains itself.
    RecursiveSequence,
    /// A type the marshaller does not know; holds its `repr(type(value))`, e.g. `<class 'set'>`.
    Unsupported(String),
    /// `bytes` that are not UTF-8 (Odoo decodes them to `str`).
    InvalidUtf8,
    /// A `str` that cannot be encoded as UTF-8 (a lone surrogate).
    InvalidString,
    /// Containers nested deeper than the encoder's limit (Python would hit its recursion limit).
    TooDeep { limit: usize },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IntOverflow => f.write_str("int exceeds XML-RPC limits"),
            Self::NoneNotAllowed => f.write_str("cannot marshal None unless allow_none is enabled"),
            Self::KeyNotString => f.write_str("dictionary key must be string"),
            Self::RecursiveDict => f.write_str("cannot marshal recursive dictionaries"),
            Self::RecursiveSequence => f.write_str("cannot marshal recursive sequences"),
            Self::Unsupported(type_repr) => write!(f, "cannot marshal {type_repr} objects"),
            Self::InvalidUtf8 => f.write_str("'utf-8' codec can't decode bytes: invalid UTF-8"),
            Self::InvalidString => f.write_str("'utf-8' codec can't encode a surrogate character"),
            Self::TooDeep { limit } => write!(f, "containers nested deeper than {limit} levels"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// Escape table: 0 = copy, 1 = drop (control character), 2 = `&amp;`, 3 = `&lt;`, 4 = `&gt;`.
const fn escape_table(strip_controls: bool) -> [u8; 256] {
    let mut table = [0u8; 256];
    if strip_controls {
        let mut i = 0;
        while i < 32 {
            if i != 9 && i != 10 && i != 13 {
                table[i] = 1;
            }
            i += 1;
        }
    }
    table[b'&' as usize] = 2;
    table[b'<' as usize] = 3;
    table[b'>' as usize] = 4;
    table
}

pub(super) const STRING_ESCAPES: [u8; 256] = escape_table(true);
pub(super) const NAME_ESCAPES: [u8; 256] = escape_table(false);

pub(super) fn write_escaped(out: &mut Vec<u8>, text: &str, table: &[u8; 256]) {
    let bytes = text.as_bytes();
    // Most strings need nothing: one vectorised test over the whole string, then one copy.
    // (Control characters are a superset of what the tables touch below 0x20.)
    let flag = |b: u8| {
        u8::from(b < 0x20) | u8::from(b == b'&') | u8::from(b == b'<') | u8::from(b == b'>')
    };
    if bytes.iter().fold(0u8, |acc, &b| acc | flag(b)) == 0 {
        out.extend_from_slice(bytes);
        return;
    }
    write_escaped_slow(out, bytes, table);
}

pub(super) fn write_escaped_slow(out: &mut Vec<u8>, bytes: &[u8], table: &[u8; 256]) {
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let action = table[usize::from(b)];
        if action == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[run_start..i]);
        run_start = i + 1;
        match action {
            2 => out.extend_from_slice(b"&amp;"),
            3 => out.extend_from_slice(b"&lt;"),
            4 => out.extend_from_slice(b"&gt;"),
            _ => {}
        }
    }
    out.extend_from_slice(&bytes[run_start..]);
}

/// Decimal digits of an integer, as `str(int)` writes them (no `core::fmt` on the hot path).
pub(super) fn write_int(out: &mut Vec<u8>, value: i64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut n = value.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

/// Two digits, zero-padded (`{:02}` for values below 100).
fn write_2digits(out: &mut Vec<u8>, value: u8) {
    if value < 100 {
        out.extend_from_slice(&[b'0' + value / 10, b'0' + value % 10]);
    } else {
        write_int(out, i64::from(value));
    }
}

/// `YYYY-MM-DD`, as `Date.to_string` writes it.
fn write_ymd(out: &mut Vec<u8>, year: i32, month: u8, day: u8) {
    write_year(out, year);
    out.push(b'-');
    write_2digits(out, month);
    out.push(b'-');
    write_2digits(out, day);
}

/// Python's `repr(float)`: the shortest digits that round-trip, positional notation for
/// exponents in `-4..16`, scientific (`1e+16`, `1.5e-05`) otherwise.
pub fn write_float_repr(out: &mut Vec<u8>, value: f64) {
    if value.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    // Integral values below 1e16 print positionally as their integer digits and `.0`.
    if value.fract() == 0.0 && value.abs() < 1e16 {
        if value.is_sign_negative() {
            out.push(b'-');
        }
        write_int(out, value.abs() as i64);
        out.extend_from_slice(b".0");
        return;
    }
    write_float_repr_general(out, value);
}

/// [`write_float_repr`] without its fast path for integral values (kept to test it against).
pub(super) fn write_float_repr_general(out: &mut Vec<u8>, value: f64) {
    if value.is_nan() || value.is_infinite() {
        write_float_repr(out, value);
        return;
    }
    if value.is_sign_negative() {
        out.push(b'-');
    }
    // Rust's `{:e}` gives as many digits as Python's dtoa mode 0 (the fewest that round-trip).
    // When two strings of that length round-trip, Python writes the one closest to the exact
    // value (an exact tie to the even digit) and Rust may write the other: from 16 digits on
    // (shorter ones cannot tie), those digits are taken from the exact, correctly rounded
    // `{:.N$e}` instead when they round-trip (562949953421312.25 is `562949953421312.2`, not `.3`).
    let mut sci = [0u8; 40];
    let mut cursor = std::io::Cursor::new(&mut sci[..]);
    let _ = write!(cursor, "{:e}", value.abs());
    let mut len = usize::try_from(cursor.position()).unwrap_or(0);
    let shortest = sci[..len]
        .iter()
        .take_while(|&&b| b != b'e')
        .filter(|b| b.is_ascii_digit())
        .count();
    if shortest >= 16 {
        let mut exact = [0u8; 40];
        let mut cursor = std::io::Cursor::new(&mut exact[..]);
        let _ = write!(cursor, "{:.*e}", shortest - 1, value.abs());
        let exact_len = usize::try_from(cursor.position()).unwrap_or(0);
        // Next to a power of two the interval is lopsided: the closest string may not round-trip
        // (2**-24 is `5.960464477539063e-08`), and then the shortest one stands.
        let round_trips = std::str::from_utf8(&exact[..exact_len])
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .is_some_and(|back| back.to_bits() == value.abs().to_bits());
        if round_trips {
            sci = exact;
            len = exact_len;
        }
    }
    let sci = &sci[..len];
    let e_at = sci.iter().position(|&b| b == b'e').unwrap_or(len);
    let mut digits = [0u8; 24];
    let mut ndigits = 0;
    for &b in &sci[..e_at] {
        if b.is_ascii_digit() && ndigits < digits.len() {
            digits[ndigits] = b;
            ndigits += 1;
        }
    }
    let digits = &digits[..ndigits];
    let exponent: i32 = std::str::from_utf8(sci.get(e_at + 1..).unwrap_or_default())
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    // Python: value = 0.d1d2... * 10**decpt
    let decpt = exponent + 1;
    if !(-4 < decpt && decpt <= 16) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.unsigned_abs()
        );
    } else if decpt <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', decpt.unsigned_abs() as usize));
        out.extend_from_slice(digits);
    } else {
        let decpt = decpt as usize;
        if decpt < digits.len() {
            out.extend_from_slice(&digits[..decpt]);
            out.push(b'.');
            out.extend_from_slice(&digits[decpt..]);
        } else {
            out.extend_from_slice(digits);
            out.extend(std::iter::repeat_n(b'0', decpt - digits.len()));
            out.extend_from_slice(b".0");
        }
    }
}

/// `base64.encodebytes`: standard alphabet, padded, a newline after every 76 characters and at
/// the end (nothing at all for no bytes).
pub fn write_base64_lines(out: &mut Vec<u8>, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sextet = |v: u32| ALPHABET[(v & 63) as usize];
    for line in bytes.chunks(57) {
        for group in line.chunks(3) {
            let b0 = u32::from(group[0]);
            let b1 = group.get(1).copied().map_or(0, u32::from);
            let b2 = group.get(2).copied().map_or(0, u32::from);
            let n = (b0 << 16) | (b1 << 8) | b2;
            out.push(sextet(n >> 18));
            out.push(sextet(n >> 12));
            out.push(if group.len() > 1 {
                sextet(n >> 6)
            } else {
                b'='
            });
            out.push(if group.len() > 2 { sextet(n) } else { b'=' });
        }
        out.push(b'\n');
    }
}

/// Writes the pieces of a marshalled value into a buffer, exactly as Odoo's marshaller does.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
        }
    }

    /// Start a `methodResponse` carrying one value: write the value next, then call
    /// [`Writer::end_response`].
    pub fn begin_response(&mut self) {
        self.out.extend_from_slice(RESPONSE_HEAD);
        self.out.extend_from_slice(b"<params>\n<param>\n");
    }

    /// Close the document opened by [`Writer::begin_response`] and hand out its bytes.
    pub fn end_response(mut self) -> Vec<u8> {
        self.out.extend_from_slice(b"</param>\n</params>\n");
        self.out.extend_from_slice(RESPONSE_TAIL);
        self.out
    }

    /// How many bytes have been written so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Make room for at least `additional` more bytes (a capacity hint; output is unchanged).
    pub fn reserve(&mut self, additional: usize) {
        self.out.reserve(additional);
    }

    /// The bytes written so far.
    pub fn into_inner(self) -> Vec<u8> {
        self.out
    }

    /// `dump_long`: refuses ints outside the 32-bit range.
    pub fn int(&mut self, value: i64) -> Result<(), EncodeError> {
        if !(MININT..=MAXINT).contains(&value) {
            return Err(EncodeError::IntOverflow);
        }
        self.out.extend_from_slice(b"<value><int>");
        write_int(&mut self.out, value);
        self.out.extend_from_slice(b"</int></value>\n");
        Ok(())
    }

    pub fn boolean(&mut self, value: bool) {
        self.out.extend_from_slice(if value {
            b"<value><boolean>1</boolean></value>\n"
        } else {
            b"<value><boolean>0</boolean></value>\n"
        });
    }

    pub fn double(&mut self, value: f64) {
        self.out.extend_from_slice(b"<value><double>");
        write_float_repr(&mut self.out, value);
        self.out.extend_from_slice(b"</double></value>\n");
    }

    /// Odoo's `dump_unicode`: control characters other than tab, LF and CR removed, then
    /// `&`, `<` and `>` escaped.
    pub fn string(&mut self, value: &str) {
        self.out.extend_from_slice(b"<value><string>");
        write_escaped(&mut self.out, value, &STRING_ESCAPES);
        self.out.extend_from_slice(b"</string></value>\n");
    }

    /// `dump_bytes` of `xmlrpc.client` (bytearray and `Binary`): a `<base64>` element.
    pub fn base64(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(b"<value><base64>\n");
        write_base64_lines(&mut self.out, bytes);
        self.out.extend_from_slice(b"</base64></value>\n");
    }

    /// `xmlrpc.client.DateTime.encode`: its `value` text, written as is.
    pub fn datetime_iso8601(&mut self, text: &str) {
        self.out.extend_from_slice(b"<value><dateTime.iso8601>");
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"</dateTime.iso8601></value>\n");
    }

    /// Odoo's `dump_datetime`: the string `YYYY-MM-DD HH:MM:SS` (`Datetime.to_string`).
    pub fn datetime(&mut self, year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) {
        self.out.extend_from_slice(b"<value><string>");
        write_ymd(&mut self.out, year, month, day);
        self.out.push(b' ');
        write_2digits(&mut self.out, hour);
        self.out.push(b':');
        write_2digits(&mut self.out, minute);
        self.out.push(b':');
        write_2digits(&mut self.out, second);
        self.out.extend_from_slice(b"</string></value>\n");
    }

    /// Odoo's `dump_date`: the string `YYYY-MM-DD` (`Date.to_string`).
    pub fn date(&mut self, year: i32, month: u8, day: u8) {
        self.out.extend_from_slice(b"<value><string>");
        write_ymd(&mut self.out, year, month, day);
        self.out.extend_from_slice(b"</string></value>\n");
    }

    pub fn begin_array(&mut self) {
        self.out.extend_from_slice(b"<value><array><data>\n");
    }

    pub fn end_array(&mut self) {
        self.out.extend_from_slice(b"</data></array></value>\n");
    }

    pub fn begin_struct(&mut self) {
        self.out.extend_from_slice(b"<value><struct>\n");
    }

    /// Open a member and write its name (escaped, but control characters kept: Odoo strips
    /// them from values only). Write the value next, then [`Writer::end_member`].
    pub fn member_name(&mut self, name: &str) {
        self.out.extend_from_slice(b"<member>\n<name>");
        write_escaped(&mut self.out, name, &NAME_ESCAPES);
        self.out.extend_from_slice(b"</name>\n");
    }

    pub fn end_member(&mut self) {
        self.out.extend_from_slice(b"</member>\n");
    }

    pub fn end_struct(&mut self) {
        self.out.extend_from_slice(b"</struct></value>\n");
    }

    /// Write a [`Value`] as Odoo marshals what `xmlrpc.client.loads(..., use_datetime=True)`
    /// makes of it: a `DateTime` is a `datetime` (written as a string), `Base64` a `Binary`,
    /// `Decimal` a `decimal.Decimal` (refused), `Nil` is `None` (refused).
    pub fn value(&mut self, value: &Value) -> Result<(), EncodeError> {
        match value {
            Value::Int(v) => self.int(*v)?,
            Value::Bool(v) => self.boolean(*v),
            Value::String(s) => self.string(s),
            Value::Double(v) => self.double(*v),
            Value::DateTime(DateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
            }) => self.datetime(i32::from(*year), *month, *day, *hour, *minute, *second),
            Value::Base64(bytes) => self.base64(bytes),
            Value::Nil => return Err(EncodeError::NoneNotAllowed),
            Value::Decimal(_) => {
                return Err(EncodeError::Unsupported(
                    "<class 'decimal.Decimal'>".to_owned(),
                ));
            }
            Value::Array(items) => {
                self.begin_array();
                for item in items {
                    self.value(item)?;
                }
                self.end_array();
            }
            Value::Struct(members) => {
                self.begin_struct();
                for (name, item) in members {
                    self.member_name(name);
                    self.value(item)?;
                    self.end_member();
                }
                self.end_struct();
            }
        }
        Ok(())
    }
}

/// `strftime("%Y")` on Linux (glibc): the year without padding.
fn write_year(out: &mut Vec<u8>, year: i32) {
    write_int(out, i64::from(year));
}

/// A whole `methodResponse` for one value: `dumps((value,)).encode()` of Odoo's module.
pub fn encode_response(value: &Value) -> Result<Vec<u8>, EncodeError> {
    let mut writer = Writer::new();
    writer.begin_response();
    writer.value(value)?;
    Ok(writer.end_response())
}

/// A fault response: `dumps(xmlrpc.client.Fault(code, message)).encode()` of Odoo's module.
pub fn encode_fault(code: i64, message: &str) -> Result<Vec<u8>, EncodeError> {
    let mut writer = Writer::with_capacity(256 + message.len());
    writer.out.extend_from_slice(RESPONSE_HEAD);
    writer.out.extend_from_slice(b"<fault>\n");
    writer.begin_struct();
    writer.member_name("faultCode");
    writer.int(code)?;
    writer.end_member();
    writer.member_name("faultString");
    writer.string(message);
    writer.end_member();
    writer.end_struct();
    writer.out.extend_from_slice(b"</fault>\n");
    writer.out.extend_from_slice(RESPONSE_TAIL);
    Ok(writer.out)
}
