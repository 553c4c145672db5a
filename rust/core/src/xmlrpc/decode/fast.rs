//! Fast path of the decoder for the bodies clients actually send.
//!
//! A scanner specialised for XML-RPC replaces quick-xml on the common shapes: no attributes,
//! comments, processing instructions, CDATA or `\r`; only the element names below; an XML
//! declaration of one of a few exact forms. On top of it runs the same stack machine as the
//! general path (`xmlrpc.client.Unmarshaller`). Anything else, and every error, makes
//! [`decode`] give up (`None`) so the general path, quick-xml, decodes the body from the
//! start and is the one that answers. Agreement of the two paths is tested (proptest and the
//! fuzz target): whenever this path returns a result, the general path returns the same.

use std::borrow::Cow;

use memchr::{memchr, memmem};

use super::super::pyparse::{self, IntError};
use super::{Builder, Decoded, Kind, Limits, Tag, is_xml_space, resolve_reference};

/// The element names the fast path knows, with what `Unmarshaller.dispatch` does with them.
/// Each name has its own id so end tags are checked against the exact start name.
const NAMES: [Tag; 20] = [
    Tag::Value,      // 0 value
    Tag::String,     // 1 string
    Tag::Name,       // 2 name
    Tag::Unknown,    // 3 member
    Tag::Int,        // 4 int
    Tag::Int,        // 5 i4
    Tag::Int,        // 6 i8
    Tag::Boolean,    // 7 boolean
    Tag::Double,     // 8 double
    Tag::Array,      // 9 array
    Tag::Unknown,    // 10 data
    Tag::Struct,     // 11 struct
    Tag::Nil,        // 12 nil
    Tag::DateTime,   // 13 dateTime.iso8601
    Tag::Base64,     // 14 base64
    Tag::Unknown,    // 15 param
    Tag::Params,     // 16 params
    Tag::MethodName, // 17 methodName
    Tag::Unknown,    // 18 methodCall
    Tag::Unknown,    // 19 methodResponse
];

fn name_id(name: &[u8]) -> Option<u8> {
    Some(match name {
        b"value" => 0,
        b"string" => 1,
        b"name" => 2,
        b"member" => 3,
        b"int" => 4,
        b"i4" => 5,
        b"i8" => 6,
        b"boolean" => 7,
        b"double" => 8,
        b"array" => 9,
        b"data" => 10,
        b"struct" => 11,
        b"nil" => 12,
        b"dateTime.iso8601" => 13,
        b"base64" => 14,
        b"param" => 15,
        b"params" => 16,
        b"methodName" => 17,
        b"methodCall" => 18,
        b"methodResponse" => 19,
        _ => return None,
    })
}

/// The XML declarations taken as they are (UTF-8 is the default and the only encoding here).
const DECLARATIONS: [&[u8]; 6] = [
    b"<?xml version='1.0'?>",
    b"<?xml version=\"1.0\"?>",
    b"<?xml version='1.0' encoding='utf-8'?>",
    b"<?xml version=\"1.0\" encoding=\"utf-8\"?>",
    b"<?xml version='1.0' encoding='UTF-8'?>",
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
];

/// Name bytes the fast path's names are made of.
fn is_fast_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.'
}

struct Machine<'a, T> {
    text: &'a str,
    stack: Vec<T>,
    marks: Vec<usize>,
    /// Byte ranges of the text pieces seen since the last start tag (`Unmarshaller._data`).
    pieces: Vec<(usize, usize)>,
    /// Some piece holds a (valid) reference.
    pieces_have_refs: bool,
    value: bool,
    kind: Option<Kind>,
    method_name: Option<Cow<'a, str>>,
}

impl<'a, T> Machine<'a, T> {
    /// `"".join(self._data)`, references resolved.
    fn data(&self) -> Option<Cow<'a, str>> {
        match self.pieces.as_slice() {
            [] => Some(Cow::Borrowed("")),
            [(start, end)] if !self.pieces_have_refs => {
                self.text.get(*start..*end).map(Cow::Borrowed)
            }
            pieces => {
                let mut out = String::new();
                for &(start, end) in pieces {
                    unescape_into(&mut out, self.text.get(start..end)?)?;
                }
                Some(Cow::Owned(out))
            }
        }
    }

    fn start(&mut self, tag: Tag, limits: &Limits) -> Option<()> {
        if matches!(tag, Tag::Array | Tag::Struct) {
            if self.marks.len() >= limits.max_depth {
                return None;
            }
            self.marks.push(self.stack.len());
        }
        self.pieces.clear();
        self.pieces_have_refs = false;
        if self.value && tag == Tag::Unknown {
            return None;
        }
        self.value = tag == Tag::Value;
        Some(())
    }

    /// `position`: where the end tag starts in the body (what the general path passes on).
    fn end<B: Builder<'a, Item = T>>(
        &mut self,
        tag: Tag,
        builder: &mut B,
        position: usize,
    ) -> Option<()> {
        let item = match tag {
            Tag::Unknown => return Some(()),
            Tag::Params => {
                self.kind = Some(Kind::Params);
                return Some(());
            }
            Tag::MethodName => {
                self.method_name = Some(self.data()?);
                self.kind = Some(Kind::MethodName);
                return Some(());
            }
            Tag::Value => {
                if !self.value {
                    return Some(());
                }
                builder.string(self.data()?).ok()?
            }
            Tag::String => builder.string(self.data()?).ok()?,
            Tag::Name => builder.name(self.data()?).ok()?,
            Tag::Nil => builder.nil().ok()?,
            Tag::Boolean => match self.data()?.as_ref() {
                "0" => builder.boolean(false).ok()?,
                "1" => builder.boolean(true).ok()?,
                _ => return None,
            },
            Tag::Int => match pyparse::parse_int(&self.data()?) {
                Ok(v) => builder.int(v).ok()?,
                Err(IntError::Invalid | IntError::OutOfRange) => return None,
            },
            Tag::Double => builder.double(pyparse::parse_float(&self.data()?)?).ok()?,
            Tag::Base64 => builder
                .base64(pyparse::decode_base64(&self.data()?).ok()?)
                .ok()?,
            Tag::DateTime => {
                // Python's end_dateTime leaves `_value` alone.
                let item = builder
                    .datetime(pyparse::parse_datetime(&self.data()?)?)
                    .ok()?;
                self.stack.push(item);
                return Some(());
            }
            Tag::Array | Tag::Struct => {
                let mark = self.marks.pop()?.min(self.stack.len());
                if tag == Tag::Array {
                    builder.array(self.stack.drain(mark..)).ok()?
                } else {
                    if (self.stack.len() - mark) % 2 != 0 {
                        return None;
                    }
                    builder.structure(self.stack.drain(mark..), position).ok()?
                }
            }
            // Not among the fast path's names.
            Tag::BigDecimal | Tag::Fault => return None,
        };
        self.stack.push(item);
        self.value = false;
        Some(())
    }
}

/// Append `raw` with its references (already checked by [`check_references`]) resolved.
fn unescape_into(out: &mut String, raw: &str) -> Option<()> {
    let mut rest = raw;
    while let Some(amp) = memchr(b'&', rest.as_bytes()) {
        out.push_str(rest.get(..amp)?);
        let after = rest.get(amp + 1..)?;
        let semi = memchr(b';', after.as_bytes())?;
        out.push(resolve_reference(after.get(..semi)?).ok()?);
        rest = after.get(semi + 1..)?;
    }
    out.push_str(rest);
    Some(())
}

/// Every `&` in `raw` starts a reference the general path accepts.
fn check_references(raw: &str) -> Option<()> {
    let mut rest = raw;
    while let Some(amp) = memchr(b'&', rest.as_bytes()) {
        let after = rest.get(amp + 1..)?;
        let semi = memchr(b';', after.as_bytes())?;
        resolve_reference(after.get(..semi)?).ok()?;
        rest = after.get(semi + 1..)?;
    }
    Some(())
}

/// Decode `text` (valid UTF-8 without characters XML forbids, BOM already removed) on the fast
/// path, or `None` to leave it to the general path.
pub(super) fn decode<'a, B: Builder<'a>>(
    text: &'a str,
    offset: usize,
    limits: &Limits,
    builder: &mut B,
) -> Option<Decoded<'a, B::Item>> {
    let bytes = text.as_bytes();
    // `\r` needs end-of-line handling and `]]>` is refused in text: both left to quick-xml.
    if memchr(b'\r', bytes).is_some() || memmem::find(bytes, b"]]>").is_some() {
        return None;
    }
    let mut at = 0;
    if bytes.starts_with(b"<?") {
        at = DECLARATIONS
            .iter()
            .find(|decl| bytes.starts_with(decl))
            .map(|decl| decl.len())?;
    }
    let max_elements = limits.max_element_depth();
    let mut machine = Machine {
        text,
        stack: Vec::new(),
        marks: Vec::new(),
        pieces: Vec::new(),
        pieces_have_refs: false,
        value: false,
        kind: None,
        method_name: None,
    };
    // Ids of the open elements.
    let mut open: Vec<u8> = Vec::with_capacity(16);
    let mut root_seen = false;
    loop {
        let rest = bytes.get(at..)?;
        let lt = memchr(b'<', rest).map(|i| at + i);
        let text_end = lt.unwrap_or(bytes.len());
        if text_end > at {
            let piece = text.get(at..text_end)?;
            if open.is_empty() {
                if !is_xml_space(piece) {
                    return None;
                }
            } else {
                if memchr(b'&', piece.as_bytes()).is_some() {
                    check_references(piece)?;
                    machine.pieces_have_refs = true;
                }
                machine.pieces.push((at, text_end));
            }
        }
        let Some(lt) = lt else {
            break;
        };
        if open.is_empty() && root_seen {
            return None; // junk, a comment or a PI after the root: the general path decides
        }
        let after = bytes.get(lt + 1..)?;
        if let Some(end_name) = after.strip_prefix(b"/") {
            let len = end_name.iter().position(|&b| !is_fast_name_byte(b))?;
            if end_name.get(len) != Some(&b'>') {
                return None;
            }
            let id = name_id(end_name.get(..len)?)?;
            if open.pop()? != id {
                return None;
            }
            machine.end(*NAMES.get(usize::from(id))?, builder, offset + lt)?;
            at = lt + 3 + len;
        } else {
            let len = after.iter().position(|&b| !is_fast_name_byte(b))?;
            let id = name_id(after.get(..len)?)?;
            let tag = *NAMES.get(usize::from(id))?;
            if open.len() + 1 > max_elements {
                return None;
            }
            root_seen = true;
            match after.get(len)? {
                b'>' => {
                    machine.start(tag, limits)?;
                    open.push(id);
                    at = lt + 2 + len;
                }
                b'/' if after.get(len + 1) == Some(&b'>') => {
                    machine.start(tag, limits)?;
                    machine.end(tag, builder, offset + lt)?;
                    at = lt + 3 + len;
                }
                _ => return None,
            }
        }
    }
    if !root_seen || !open.is_empty() || !machine.marks.is_empty() {
        return None;
    }
    match machine.kind {
        Some(Kind::Params | Kind::MethodName) => Some((machine.stack, machine.method_name)),
        Some(Kind::Fault) | None => None,
    }
}
