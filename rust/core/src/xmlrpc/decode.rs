//! Decoder of XML-RPC bodies: `xmlrpc.client.loads(body, use_datetime=True)` in Rust.
//!
//! The XML layer is quick-xml, tightened to reject what expat (the parser behind
//! `xmlrpc.client`) rejects. On top of it runs a copy of `xmlrpc.client.Unmarshaller`'s
//! event-driven stack machine: a value stack, a stack of marks for open arrays and structs, the
//! text seen since the last start tag, and the flag that turns bare text in `<value>` into a
//! string.
//!
//! Values are produced through a [`Builder`], so a caller (the Python binding) can build its own
//! objects without an intermediate tree; [`decode`] builds [`Value`]s.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use std::borrow::Cow;
use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::pyparse::{self, IntError};
use super::value::{DateTime, Value};

mod fast;

/// Caps that keep a hostile body bounded in time and memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest body accepted, in bytes (default 64 MiB).
    pub max_body_bytes: usize,
    /// Deepest nesting of arrays and structs (default 64). XML elements may nest up to
    /// `4 * max_depth + 32` levels, which leaves room for the wrappers of that many containers.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

impl Limits {
    fn max_element_depth(&self) -> usize {
        self.max_depth.saturating_mul(4).saturating_add(32)
    }
}

/// What went wrong in a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The body is larger than [`Limits::max_body_bytes`].
    TooLarge { limit: usize },
    /// The body is not UTF-8.
    InvalidUtf8,
    /// A character XML 1.0 does not allow, raw or through a character reference.
    InvalidChar,
    /// Not well-formed XML (expat would refuse it too); the text says why.
    Malformed(String),
    /// A `<!DOCTYPE>`: refused outright, so no entity is ever declared or expanded.
    Doctype,
    /// An XML declaration naming an encoding other than UTF-8 or US-ASCII.
    UnsupportedEncoding(String),
    /// An entity reference other than the five predefined ones.
    UndefinedEntity(String),
    /// Arrays and structs nested deeper than [`Limits::max_depth`].
    TooDeep { limit: usize },
    /// An element directly inside `<value>` that is not an XML-RPC type.
    UnknownTag(String),
    /// `<boolean>` other than exactly `0` or `1`.
    BadBoolean,
    /// Text that `int()` refuses.
    BadInt,
    /// An integer outside the 64-bit range (Python would accept it; we do not).
    IntOutOfRange,
    /// Text that `float()` refuses.
    BadDouble,
    /// Text that `decimal.Decimal()` refuses.
    BadDecimal,
    /// `<base64>` that `base64.decodebytes` refuses.
    BadBase64(&'static str),
    /// `<dateTime.iso8601>` that `datetime.strptime(data, "%Y%m%dT%H:%M:%S")` refuses.
    BadDateTime,
    /// A struct whose items do not pair up, or whose key is not a string.
    BadStruct,
    /// The body ended without `</params>`, `</methodName>` or `</fault>`, or with an open
    /// container (Python's `ResponseError`).
    NotXmlRpc,
    /// The body is a `<fault>` response.
    Fault,
}

/// A body that cannot be decoded: what and where (byte offset in the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    pub position: usize,
}

impl DecodeError {
    fn new(kind: DecodeErrorKind, position: usize) -> Self {
        Self { kind, position }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            Self::InvalidUtf8 => f.write_str("body is not valid UTF-8"),
            Self::InvalidChar => f.write_str("character not allowed in XML"),
            Self::Malformed(why) => write!(f, "not well-formed XML: {why}"),
            Self::Doctype => f.write_str("DOCTYPE and entity declarations are not allowed"),
            Self::UnsupportedEncoding(name) => write!(f, "unsupported encoding {name:?}"),
            Self::UndefinedEntity(name) => write!(f, "undefined entity &{name};"),
            Self::TooDeep { limit } => write!(f, "arrays and structs nested deeper than {limit}"),
            Self::UnknownTag(tag) => write!(f, "unknown tag {tag:?}"),
            Self::BadBoolean => f.write_str("bad boolean value"),
            Self::BadInt => f.write_str("invalid literal for int()"),
            Self::IntOutOfRange => f.write_str("number out of range"),
            Self::BadDouble => f.write_str("could not convert string to float"),
            Self::BadDecimal => f.write_str("invalid literal for Decimal"),
            Self::BadBase64(why) => f.write_str(why),
            Self::BadDateTime => f.write_str("time data does not match format '%Y%m%dT%H:%M:%S'"),
            Self::BadStruct => {
                f.write_str("struct members do not pair up as string keys and values")
            }
            Self::NotXmlRpc => f.write_str("not an XML-RPC request or response"),
            Self::Fault => f.write_str("body is an XML-RPC fault"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.position)
    }
}

impl std::error::Error for DecodeError {}

/// Receives the decoded values, bottom-up, in document order.
pub trait Builder<'a> {
    type Item;
    type Error: From<DecodeError>;

    fn nil(&mut self) -> Result<Self::Item, Self::Error>;
    fn boolean(&mut self, value: bool) -> Result<Self::Item, Self::Error>;
    fn int(&mut self, value: i64) -> Result<Self::Item, Self::Error>;
    fn double(&mut self, value: f64) -> Result<Self::Item, Self::Error>;
    /// A `<string>`, a `<name>` or the bare text of a `<value>`.
    fn string(&mut self, value: Cow<'a, str>) -> Result<Self::Item, Self::Error>;
    /// The text of a `<name>` (a struct key in any sensible body). The default builds a string.
    fn name(&mut self, value: Cow<'a, str>) -> Result<Self::Item, Self::Error> {
        self.string(value)
    }
    /// The text of a `<bigdecimal>`, already known to be accepted by `decimal.Decimal`.
    fn decimal(&mut self, text: Cow<'a, str>) -> Result<Self::Item, Self::Error>;
    fn base64(&mut self, bytes: Vec<u8>) -> Result<Self::Item, Self::Error>;
    fn datetime(&mut self, value: DateTime) -> Result<Self::Item, Self::Error>;
    fn array(&mut self, items: std::vec::Drain<'_, Self::Item>) -> Result<Self::Item, Self::Error>;
    /// An even number of items: key, value, key, value... (keys are whatever was decoded there;
    /// Python accepts any hashable key). `position` is where the struct ends, for errors.
    fn structure(
        &mut self,
        items: std::vec::Drain<'_, Self::Item>,
        position: usize,
    ) -> Result<Self::Item, Self::Error>;
}

/// A decoded `methodCall` (or `methodResponse`): its params and its method name.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub params: Vec<Value>,
    pub method_name: Option<String>,
}

/// Decode a body into [`Value`]s with the default [`Limits`].
pub fn decode(body: &[u8]) -> Result<Call, DecodeError> {
    decode_with_limits(body, &Limits::default())
}

/// Decode a body into [`Value`]s.
pub fn decode_with_limits(body: &[u8], limits: &Limits) -> Result<Call, DecodeError> {
    let (params, method_name) = decode_with(body, limits, &mut ValueBuilder)?;
    Ok(Call {
        params,
        method_name: method_name.map(Cow::into_owned),
    })
}

/// Builds [`Value`]s; struct keys must be strings.
pub struct ValueBuilder;

impl<'a> Builder<'a> for ValueBuilder {
    type Item = Value;
    type Error = DecodeError;

    fn nil(&mut self) -> Result<Value, DecodeError> {
        Ok(Value::Nil)
    }
    fn boolean(&mut self, value: bool) -> Result<Value, DecodeError> {
        Ok(Value::Bool(value))
    }
    fn int(&mut self, value: i64) -> Result<Value, DecodeError> {
        Ok(Value::Int(value))
    }
    fn double(&mut self, value: f64) -> Result<Value, DecodeError> {
        Ok(Value::Double(value))
    }
    fn string(&mut self, value: Cow<'a, str>) -> Result<Value, DecodeError> {
        Ok(Value::String(value.into_owned()))
    }
    fn decimal(&mut self, text: Cow<'a, str>) -> Result<Value, DecodeError> {
        Ok(Value::Decimal(text.into_owned()))
    }
    fn base64(&mut self, bytes: Vec<u8>) -> Result<Value, DecodeError> {
        Ok(Value::Base64(bytes))
    }
    fn datetime(&mut self, value: DateTime) -> Result<Value, DecodeError> {
        Ok(Value::DateTime(value))
    }
    fn array(&mut self, items: std::vec::Drain<'_, Value>) -> Result<Value, DecodeError> {
        Ok(Value::Array(items.collect()))
    }
    fn structure(
        &mut self,
        mut items: std::vec::Drain<'_, Value>,
        position: usize,
    ) -> Result<Value, DecodeError> {
        let mut members = Vec::with_capacity(items.len() / 2);
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            let Value::String(key) = key else {
                return Err(DecodeError::new(DecodeErrorKind::BadStruct, position));
            };
            members.push((key, value));
        }
        Ok(Value::Struct(members))
    }
}

/// The tags `Unmarshaller.dispatch` knows, by local name (the part after the last `:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Nil,
    Boolean,
    Int,
    Double,
    BigDecimal,
    String,
    Name,
    Array,
    Struct,
    Base64,
    DateTime,
    Value,
    Params,
    Fault,
    MethodName,
    Unknown,
}

fn local_name(qname: &str) -> &str {
    match qname.as_bytes().iter().rposition(|&b| b == b':') {
        Some(i) => qname.get(i + 1..).unwrap_or_default(),
        None => qname,
    }
}

fn classify(qname: &str) -> Tag {
    match classify_local(qname) {
        Tag::Unknown if qname.contains(':') => classify_local(local_name(qname)),
        tag => tag,
    }
}

fn classify_local(local: &str) -> Tag {
    match local {
        "value" => Tag::Value,
        "string" => Tag::String,
        "name" => Tag::Name,
        "int" | "i4" | "i1" | "i2" | "i8" | "biginteger" => Tag::Int,
        "boolean" => Tag::Boolean,
        "double" | "float" => Tag::Double,
        "struct" => Tag::Struct,
        "array" => Tag::Array,
        "nil" => Tag::Nil,
        "dateTime.iso8601" => Tag::DateTime,
        "base64" => Tag::Base64,
        "bigdecimal" => Tag::BigDecimal,
        "params" => Tag::Params,
        "fault" => Tag::Fault,
        "methodName" => Tag::MethodName,
        _ => Tag::Unknown,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Params,
    Fault,
    MethodName,
}

/// The parameters and method name of a body, built by `builder`.
pub type Decoded<'a, T> = (Vec<T>, Option<Cow<'a, str>>);

/// Decode a body, building values with `builder`.
pub fn decode_with<'a, B: Builder<'a>>(
    body: &'a [u8],
    limits: &Limits,
    builder: &mut B,
) -> Result<Decoded<'a, B::Item>, B::Error> {
    decode_on(body, limits, builder, Path::Both)?
        .ok_or_else(|| DecodeError::new(DecodeErrorKind::NotXmlRpc, 0).into())
}

/// Which path(s) [`decode_on`] may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// The fast path, then the general one if the fast path gives up (what [`decode_with`] does).
    Both,
    /// The fast path only: `Ok(None)` where it gives up.
    FastOnly,
    /// quick-xml only.
    GeneralOnly,
}

/// The two paths of the decoder, separately, to test (and fuzz) that they agree.
#[doc(hidden)]
pub mod paths {
    use super::{Call, DecodeError, Limits, Path, ValueBuilder, decode_on};
    use std::borrow::Cow;

    /// The fast path alone: `None` where it gives up. It reports no error of its own; the
    /// errors it returns are the checks both paths share (size, UTF-8, forbidden characters).
    pub fn fast(body: &[u8], limits: &Limits) -> Option<Result<Call, DecodeError>> {
        match decode_on(body, limits, &mut ValueBuilder, Path::FastOnly) {
            Ok(Some((params, method_name))) => Some(Ok(Call {
                params,
                method_name: method_name.map(Cow::into_owned),
            })),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// The general (quick-xml) path alone.
    pub fn general(body: &[u8], limits: &Limits) -> Result<Call, DecodeError> {
        let (params, method_name) = decode_on(body, limits, &mut ValueBuilder, Path::GeneralOnly)?
            .ok_or_else(|| DecodeError::new(super::DecodeErrorKind::NotXmlRpc, 0))?;
        Ok(Call {
            params,
            method_name: method_name.map(Cow::into_owned),
        })
    }
}

fn decode_on<'a, B: Builder<'a>>(
    body: &'a [u8],
    limits: &Limits,
    builder: &mut B,
    path: Path,
) -> Result<Option<Decoded<'a, B::Item>>, B::Error> {
    if body.len() > limits.max_body_bytes {
        return Err(DecodeError::new(
            DecodeErrorKind::TooLarge {
                limit: limits.max_body_bytes,
            },
            limits.max_body_bytes,
        )
        .into());
    }
    let (offset, body) = match body.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (3, rest),
        None => (0, body),
    };
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            return Err(
                DecodeError::new(DecodeErrorKind::InvalidUtf8, offset + e.valid_up_to()).into(),
            );
        }
    };
    if let Some(pos) = find_invalid_char(body) {
        return Err(DecodeError::new(DecodeErrorKind::InvalidChar, offset + pos).into());
    }
    if path != Path::GeneralOnly {
        if let Some(decoded) = fast::decode(text, offset, limits, builder) {
            return Ok(Some(decoded));
        }
        if path == Path::FastOnly {
            return Ok(None);
        }
    }
    let mut machine = Unmarshaller {
        text,
        offset,
        limits: *limits,
        stack: Vec::new(),
        marks: Vec::new(),
        data: Vec::new(),
        value: false,
        kind: None,
        method_name: None,
    };
    machine.run(builder)?;
    let at_end = offset + text.len();
    if !machine.marks.is_empty() || machine.kind.is_none() {
        return Err(DecodeError::new(DecodeErrorKind::NotXmlRpc, at_end).into());
    }
    if machine.kind == Some(Kind::Fault) {
        return Err(DecodeError::new(DecodeErrorKind::Fault, at_end).into());
    }
    Ok(Some((machine.stack, machine.method_name)))
}

/// The first byte that starts a character XML 1.0 forbids (C0 controls other than tab, LF and
/// CR; U+FFFE and U+FFFF). Scans in blocks that the compiler vectorises.
fn find_invalid_char(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 64;
    let suspicious = |b: u8| (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0xEF;
    for (n, block) in bytes.chunks(BLOCK).enumerate() {
        if !block.iter().fold(false, |acc, &b| acc | suspicious(b)) {
            continue;
        }
        let base = n * BLOCK;
        for (i, &b) in block.iter().enumerate() {
            let pos = base + i;
            if b == 0xEF {
                let tail = bytes.get(pos + 1..pos + 3);
                if tail == Some(b"\xBF\xBE") || tail == Some(b"\xBF\xBF") {
                    return Some(pos);
                }
            } else if suspicious(b) {
                return Some(pos);
            }
        }
    }
    None
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic()
        || c == '_'
        || c == ':'
        || matches!(c,
            '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
            | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
            | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
            | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c.is_ascii_digit()
        || c == '-'
        || c == '.'
        || matches!(c, '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// An XML 1.0 (fifth edition) `Name`.
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

fn is_xml_space(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// XML 1.0 end-of-line handling: CR LF and lone CR become LF.
fn normalize_eols(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Resolve the name between `&` and `;`: a predefined entity or a character reference.
fn resolve_reference(name: &str) -> Result<char, DecodeErrorKind> {
    let predefined = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    };
    if let Some(c) = predefined {
        return Ok(c);
    }
    let Some(number) = name.strip_prefix('#') else {
        return if is_name(name) {
            Err(DecodeErrorKind::UndefinedEntity(name.to_owned()))
        } else {
            Err(DecodeErrorKind::Malformed(
                "bad entity reference".to_owned(),
            ))
        };
    };
    let (digits, radix) = match number.strip_prefix('x') {
        Some(hex) => (hex, 16),
        None => (number, 10),
    };
    let valid_digits = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
    let code = if valid_digits {
        // Leading zeros are allowed; anything longer than that is out of range anyway.
        let significant = digits.trim_start_matches('0');
        if significant.len() > 8 {
            None
        } else {
            u32::from_str_radix(
                if significant.is_empty() {
                    "0"
                } else {
                    significant
                },
                radix,
            )
            .ok()
        }
    } else {
        return Err(DecodeErrorKind::Malformed(
            "bad character reference".to_owned(),
        ));
    };
    match code.and_then(char::from_u32) {
        Some(c) if is_xml_char(c) => Ok(c),
        _ => Err(DecodeErrorKind::InvalidChar),
    }
}

/// Check the attributes of a start tag as expat would: syntax, unique names, valid names, no
/// `<` and only known references in values.
fn check_attributes(start: &BytesStart<'_>) -> Result<(), DecodeErrorKind> {
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| DecodeErrorKind::Malformed(e.to_string()))?;
        let key: &str = attribute.key.as_ref();
        if !is_name(key) {
            return Err(DecodeErrorKind::Malformed(format!(
                "bad attribute name {key:?}"
            )));
        }
        let value: &str = &attribute.value;
        if value.contains('<') {
            return Err(DecodeErrorKind::Malformed(
                "'<' in attribute value".to_owned(),
            ));
        }
        let mut rest = value;
        while let Some(amp) = rest.find('&') {
            let after = rest.get(amp + 1..).unwrap_or_default();
            let Some(semi) = after.find(';') else {
                return Err(DecodeErrorKind::Malformed(
                    "unterminated reference".to_owned(),
                ));
            };
            resolve_reference(after.get(..semi).unwrap_or_default())?;
            rest = after.get(semi + 1..).unwrap_or_default();
        }
    }
    Ok(())
}

fn check_decl(decl: &quick_xml::events::BytesDecl<'_>) -> Result<(), DecodeErrorKind> {
    let malformed =
        |e: &dyn fmt::Display| DecodeErrorKind::Malformed(format!("XML declaration: {e}"));
    let version = decl.version().map_err(|e| malformed(&e))?;
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(DecodeErrorKind::Malformed(
            "XML declaration: bad version".to_owned(),
        ));
    }
    if let Some(encoding) = decl.encoding() {
        let encoding = encoding.map_err(|e| malformed(&e))?;
        if !(encoding.eq_ignore_ascii_case("utf-8") || encoding.eq_ignore_ascii_case("us-ascii")) {
            return Err(DecodeErrorKind::UnsupportedEncoding(encoding.into_owned()));
        }
    }
    if let Some(standalone) = decl.standalone() {
        let standalone = standalone.map_err(|e| malformed(&e))?;
        if standalone != "yes" && standalone != "no" {
            return Err(DecodeErrorKind::Malformed(
                "XML declaration: bad standalone".to_owned(),
            ));
        }
    }
    Ok(())
}

fn declares_ascii(decl: &quick_xml::events::BytesDecl<'_>) -> bool {
    matches!(decl.encoding(), Some(Ok(e)) if e.eq_ignore_ascii_case("us-ascii"))
}

struct Unmarshaller<'a, T> {
    text: &'a str,
    offset: usize,
    limits: Limits,
    stack: Vec<T>,
    marks: Vec<usize>,
    /// Text seen since the last start tag, in pieces (`Unmarshaller._data`).
    data: Vec<Cow<'a, str>>,
    /// The last start tag was `<value>` and nothing has consumed it (`Unmarshaller._value`).
    value: bool,
    kind: Option<Kind>,
    method_name: Option<Cow<'a, str>>,
}

impl<'a, T> Unmarshaller<'a, T> {
    fn data(&self) -> Cow<'a, str> {
        match self.data.as_slice() {
            [] => Cow::Borrowed(""),
            [one] => one.clone(),
            many => Cow::Owned(many.concat()),
        }
    }

    #[allow(clippy::too_many_lines)] // one match over quick-xml's events reads best whole
    fn run<B: Builder<'a, Item = T>>(&mut self, builder: &mut B) -> Result<(), B::Error> {
        let mut reader = Reader::from_str(self.text);
        {
            let config = reader.config_mut();
            config.check_end_names = true;
            config.check_comments = true;
            config.expand_empty_elements = false;
            config.trim_markup_names_in_closing_tags = true;
        }
        let max_elements = self.limits.max_element_depth();
        let mut depth = 0usize;
        let mut root_seen = false;
        let mut first = true;
        loop {
            let pos = self.offset + usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let err = |kind: DecodeErrorKind| DecodeError::new(kind, pos);
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let at = self.offset
                        + usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                    return Err(
                        DecodeError::new(DecodeErrorKind::Malformed(e.to_string()), at).into(),
                    );
                }
            };
            let was_first = first;
            first = false;
            match event {
                Event::Decl(decl) => {
                    if !was_first || pos != self.offset {
                        return Err(err(DecodeErrorKind::Malformed(
                            "XML declaration not at start".to_owned(),
                        ))
                        .into());
                    }
                    check_decl(&decl).map_err(err)?;
                    if declares_ascii(&decl) && !self.text.is_ascii() {
                        return Err(err(DecodeErrorKind::Malformed(
                            "non-ASCII byte in a US-ASCII document".to_owned(),
                        ))
                        .into());
                    }
                }
                Event::DocType(_) => return Err(err(DecodeErrorKind::Doctype).into()),
                Event::PI(pi) => {
                    let target = pi.target();
                    if !is_name(target) || target.eq_ignore_ascii_case("xml") {
                        return Err(err(DecodeErrorKind::Malformed(
                            "bad processing instruction".to_owned(),
                        ))
                        .into());
                    }
                }
                Event::Comment(comment) => {
                    if comment.ends_with('-') {
                        return Err(
                            err(DecodeErrorKind::Malformed("'--' in comment".to_owned())).into(),
                        );
                    }
                }
                Event::Start(start) | Event::Empty(start) if root_seen && depth == 0 => {
                    let _ = start;
                    return Err(err(DecodeErrorKind::Malformed(
                        "junk after document element".to_owned(),
                    ))
                    .into());
                }
                Event::Start(start) => {
                    depth += 1;
                    if depth > max_elements {
                        return Err(err(DecodeErrorKind::TooDeep {
                            limit: self.limits.max_depth,
                        })
                        .into());
                    }
                    root_seen = true;
                    self.start_tag(&start, pos)?;
                }
                Event::Empty(start) => {
                    if depth + 1 > max_elements {
                        return Err(err(DecodeErrorKind::TooDeep {
                            limit: self.limits.max_depth,
                        })
                        .into());
                    }
                    root_seen = true;
                    let tag = self.start_tag(&start, pos)?;
                    self.end_tag(tag, builder, pos)?;
                }
                Event::End(end) => {
                    depth = depth.saturating_sub(1);
                    self.end_tag(classify(end.name().as_ref()), builder, pos)?;
                }
                Event::Text(text) => {
                    let raw = text.into_inner();
                    if depth == 0 {
                        if !is_xml_space(&raw) {
                            return Err(err(DecodeErrorKind::Malformed(
                                "text outside the document element".to_owned(),
                            ))
                            .into());
                        }
                        continue;
                    }
                    if raw.contains("]]>") {
                        return Err(
                            err(DecodeErrorKind::Malformed("']]>' in text".to_owned())).into()
                        );
                    }
                    self.push_text(raw);
                }
                Event::CData(cdata) => {
                    if depth == 0 {
                        return Err(err(DecodeErrorKind::Malformed(
                            "CDATA outside the document element".to_owned(),
                        ))
                        .into());
                    }
                    self.push_text(cdata.into_inner());
                }
                Event::GeneralRef(reference) => {
                    if depth == 0 {
                        return Err(err(DecodeErrorKind::Malformed(
                            "reference outside the document element".to_owned(),
                        ))
                        .into());
                    }
                    let c = resolve_reference(&reference).map_err(err)?;
                    self.data.push(Cow::Owned(c.to_string()));
                }
                Event::Eof => {
                    if !root_seen {
                        return Err(
                            err(DecodeErrorKind::Malformed("no element found".to_owned())).into(),
                        );
                    }
                    if depth != 0 {
                        return Err(
                            err(DecodeErrorKind::Malformed("unclosed element".to_owned())).into(),
                        );
                    }
                    return Ok(());
                }
            }
        }
    }

    fn push_text(&mut self, piece: Cow<'a, str>) {
        if piece.is_empty() {
            return;
        }
        let piece = match piece {
            Cow::Borrowed(s) => normalize_eols(s),
            Cow::Owned(s) => Cow::Owned(normalize_eols(&s).into_owned()),
        };
        self.data.push(piece);
    }

    fn start_tag(&mut self, start: &BytesStart<'_>, pos: usize) -> Result<Tag, DecodeError> {
        let err = |kind: DecodeErrorKind| DecodeError::new(kind, pos);
        let qname = start.name();
        let name: &str = qname.as_ref();
        if !is_name(name) {
            return Err(err(DecodeErrorKind::Malformed(format!(
                "bad element name {name:?}"
            ))));
        }
        check_attributes(start).map_err(err)?;
        let tag = classify(name);
        if matches!(tag, Tag::Array | Tag::Struct) {
            if self.marks.len() >= self.limits.max_depth {
                return Err(err(DecodeErrorKind::TooDeep {
                    limit: self.limits.max_depth,
                }));
            }
            self.marks.push(self.stack.len());
        }
        self.data.clear();
        if self.value && tag == Tag::Unknown {
            return Err(err(DecodeErrorKind::UnknownTag(
                local_name(name).to_owned(),
            )));
        }
        self.value = tag == Tag::Value;
        Ok(tag)
    }

    fn end_tag<B: Builder<'a, Item = T>>(
        &mut self,
        tag: Tag,
        builder: &mut B,
        pos: usize,
    ) -> Result<(), B::Error> {
        let err = |kind: DecodeErrorKind| DecodeError::new(kind, pos);
        let item = match tag {
            Tag::Unknown => return Ok(()),
            Tag::Params => {
                self.kind = Some(Kind::Params);
                return Ok(());
            }
            Tag::Fault => {
                self.kind = Some(Kind::Fault);
                return Ok(());
            }
            Tag::MethodName => {
                self.method_name = Some(self.data());
                self.kind = Some(Kind::MethodName);
                return Ok(());
            }
            Tag::Value => {
                if !self.value {
                    return Ok(());
                }
                builder.string(self.data())?
            }
            Tag::String => builder.string(self.data())?,
            Tag::Name => builder.name(self.data())?,
            Tag::Nil => builder.nil()?,
            Tag::Boolean => match self.data().as_ref() {
                "0" => builder.boolean(false)?,
                "1" => builder.boolean(true)?,
                _ => return Err(err(DecodeErrorKind::BadBoolean).into()),
            },
            Tag::Int => match pyparse::parse_int(&self.data()) {
                Ok(v) => builder.int(v)?,
                Err(IntError::Invalid) => return Err(err(DecodeErrorKind::BadInt).into()),
                Err(IntError::OutOfRange) => return Err(err(DecodeErrorKind::IntOutOfRange).into()),
            },
            Tag::Double => match pyparse::parse_float(&self.data()) {
                Some(v) => builder.double(v)?,
                None => return Err(err(DecodeErrorKind::BadDouble).into()),
            },
            Tag::BigDecimal => {
                let data = self.data();
                if !pyparse::is_decimal(&data) {
                    return Err(err(DecodeErrorKind::BadDecimal).into());
                }
                builder.decimal(data)?
            }
            Tag::Base64 => match pyparse::decode_base64(&self.data()) {
                Ok(bytes) => builder.base64(bytes)?,
                Err(why) => return Err(err(DecodeErrorKind::BadBase64(why)).into()),
            },
            Tag::DateTime => {
                // Python's end_dateTime leaves `_value` alone.
                let Some(dt) = pyparse::parse_datetime(&self.data()) else {
                    return Err(err(DecodeErrorKind::BadDateTime).into());
                };
                let item = builder.datetime(dt)?;
                self.stack.push(item);
                return Ok(());
            }
            Tag::Array | Tag::Struct => {
                let Some(mark) = self.marks.pop() else {
                    return Err(err(DecodeErrorKind::NotXmlRpc).into());
                };
                let mark = mark.min(self.stack.len());
                if tag == Tag::Array {
                    builder.array(self.stack.drain(mark..))?
                } else {
                    if (self.stack.len() - mark) % 2 != 0 {
                        return Err(err(DecodeErrorKind::BadStruct).into());
                    }
                    builder.structure(self.stack.drain(mark..), pos)?
                }
            }
        };
        self.stack.push(item);
        self.value = false;
        Ok(())
    }
}
