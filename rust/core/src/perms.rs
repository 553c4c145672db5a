//! The permission matrix: which model allows which operation, narrowed by a key's scope.
//!
//! The matrix is compiled once from the `mcp.enabled.model` rows and is immutable afterwards
//! (the addon rebuilds it when the registry's generation changes), so lookups take no lock.
//!
//! A decision checks, in this order: the model name's syntax (`invalid_model`), whether the
//! model is enabled (`model_not_enabled`), whether the method is in the method→operation map
//! (`method_not_allowed`), and whether the operation's right is on in the matrix *and* in the
//! key's scope (`operation_denied`).
//!
//! Scope strings look like `res.partner:RWCD,sale.order:R,*:R`. An entry for a model takes
//! precedence over `*` (so `res.users:` with no letters excludes a model that `*` would cover);
//! a model with neither gets nothing. A scope can only narrow the matrix, never widen it.

use std::collections::HashMap;
use std::fmt;

/// An operation of the method→operation map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `read`, `search`, `search_read`...
    Read,
    /// `write`, `toggle_active`, `message_post`...
    Write,
    /// `create`, `copy`, `name_create`.
    Create,
    /// `unlink`.
    Unlink,
}

impl Operation {
    /// All operations, in the order of [`Rights`] tuples: read, write, create, unlink.
    pub const ALL: [Operation; 4] = [Self::Read, Self::Write, Self::Create, Self::Unlink];

    /// The name used on the wire (`"read"`, `"write"`, `"create"`, `"unlink"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Create => "create",
            Self::Unlink => "unlink",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Read => 1,
            Self::Write => 2,
            Self::Create => 4,
            Self::Unlink => 8,
        }
    }

    const fn letter(self) -> char {
        match self {
            Self::Read => 'R',
            Self::Write => 'W',
            Self::Create => 'C',
            Self::Unlink => 'D',
        }
    }
}

/// A set of rights (read, write, create, unlink) as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rights(u8);

impl Rights {
    /// No right at all.
    pub const NONE: Rights = Rights(0);
    /// Every right.
    pub const ALL: Rights = Rights(0b1111);

    /// Rights from four flags in the order read, write, create, unlink.
    pub const fn from_flags(flags: (bool, bool, bool, bool)) -> Self {
        let (read, write, create, unlink) = flags;
        Rights(read as u8 | (write as u8) << 1 | (create as u8) << 2 | (unlink as u8) << 3)
    }

    /// Whether `op` is allowed.
    pub const fn allows(self, op: Operation) -> bool {
        self.0 & op.bit() != 0
    }

    /// The rights present in both.
    #[must_use]
    pub const fn intersect(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// Whether no right is present.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every right of `self` is also in `other`.
    pub const fn is_subset_of(self, other: Rights) -> bool {
        self.0 & !other.0 == 0
    }

    /// The four flags in the order read, write, create, unlink.
    pub const fn as_tuple(self) -> (bool, bool, bool, bool) {
        (
            self.0 & 1 != 0,
            self.0 & 2 != 0,
            self.0 & 4 != 0,
            self.0 & 8 != 0,
        )
    }

    const fn with(self, op: Operation) -> Rights {
        Rights(self.0 | op.bit())
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Denial {
    /// The model name fails `^[a-zA-Z0-9._]+$`.
    InvalidModel,
    /// The model is not in the matrix.
    ModelNotEnabled,
    /// The method is not in the map, starts with `_`, or contains whitespace or control
    /// characters.
    MethodNotAllowed,
    /// The operation's right is off in the matrix or narrowed away by the scope.
    OperationDenied,
}

impl Denial {
    /// The reason string of the Python API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidModel => "invalid_model",
            Self::ModelNotEnabled => "model_not_enabled",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::OperationDenied => "operation_denied",
        }
    }
}

/// Longest model name shown in an error message; longer ones are cut.
const MAX_NAME_IN_MESSAGE: usize = 80;

fn shown(name: &str) -> String {
    let mut cut: String = name.chars().take(MAX_NAME_IN_MESSAGE).collect();
    if cut.len() < name.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// Errors building a matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatrixError {
    /// A model name that fails `^[a-zA-Z0-9._]+$`.
    InvalidModel(String),
    /// A model named `mcp.*`, which can never be enabled.
    ReservedModel(String),
    /// The same model twice.
    DuplicateModel(String),
}

impl fmt::Display for MatrixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidModel(m) => write!(
                f,
                "invalid model name {}: it must match ^[a-zA-Z0-9._]+$",
                shown(m)
            ),
            Self::ReservedModel(m) => write!(
                f,
                "model {} cannot be enabled: models named mcp.* are never exposed",
                shown(m)
            ),
            Self::DuplicateModel(m) => write!(f, "model {} is listed twice", shown(m)),
        }
    }
}

impl std::error::Error for MatrixError {}

/// Errors parsing a scope string; each says which item is at fault (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    /// The whole scope string is empty (use no scope at all for "no narrowing").
    Empty,
    /// An item between commas is empty.
    EmptyItem { item: usize },
    /// An item without `:`.
    MissingColon { item: usize },
    /// A model name that fails the name rule (or `*`).
    InvalidModel { item: usize, model: String },
    /// A model named `mcp.*`.
    ReservedModel { item: usize, model: String },
    /// A letter other than R, W, C, D (either case).
    InvalidRight { item: usize, letter: char },
    /// The same letter twice in one item.
    DuplicateRight { item: usize, letter: char },
    /// The same model (or `*`) in two items.
    DuplicateModel { item: usize, model: String },
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => {
                f.write_str("empty scope: use no scope for full access, or list 'model:RWCD' items")
            }
            Self::EmptyItem { item } => write!(f, "scope item {item} is empty"),
            Self::MissingColon { item } => write!(
                f,
                "scope item {item} lacks ':': expected 'model:letters', e.g. 'res.partner:RW'"
            ),
            Self::InvalidModel { item, model } => write!(
                f,
                "scope item {item}: invalid model name {}: it must be '*' or match ^[a-zA-Z0-9._]+$",
                shown(model)
            ),
            Self::ReservedModel { item, model } => write!(
                f,
                "scope item {item}: model {} cannot be granted: models named mcp.* are never exposed",
                shown(model)
            ),
            Self::InvalidRight { item, letter } => write!(
                f,
                "scope item {item}: invalid right {letter:?}: use R (read), W (write), C (create), D (unlink)"
            ),
            Self::DuplicateRight { item, letter } => {
                write!(f, "scope item {item}: right {letter:?} is given twice")
            }
            Self::DuplicateModel { item, model } => write!(
                f,
                "scope item {item}: model {} is already listed",
                shown(model)
            ),
        }
    }
}

impl std::error::Error for ScopeError {}

/// Whether `name` matches `^[a-zA-Z0-9._]+$`.
pub fn valid_model_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
}

fn is_reserved(name: &str) -> bool {
    name.starts_with("mcp.")
}

/// Longest method name of the map (`formatted_read_group`).
const MAX_METHOD_LEN: usize = 20;

/// The operation a method performs, or `None` when it is not allowed at all.
///
/// Case-insensitive in ASCII only. Any method that starts with `_`, is not in the map, or has
/// whitespace, control or non-ASCII characters anywhere is denied: nothing is trimmed or
/// normalised.
pub fn method_operation(method: &str) -> Option<Operation> {
    let bytes = method.as_bytes();
    if bytes.len() > MAX_METHOD_LEN {
        return None;
    }
    let mut buf = [0u8; MAX_METHOD_LEN];
    let lower = buf.get_mut(..bytes.len())?;
    for (dst, &src) in lower.iter_mut().zip(bytes) {
        // Only letters and `_` appear in the map: anything else (digits, spaces, control
        // characters, UTF-8 bytes) makes the name unknown.
        if !(src.is_ascii_alphabetic() || src == b'_') {
            return None;
        }
        *dst = src.to_ascii_lowercase();
    }
    match &*lower {
        b"read"
        | b"search"
        | b"search_read"
        | b"search_count"
        | b"name_search"
        | b"fields_get"
        | b"default_get"
        | b"get_metadata"
        | b"read_group"
        | b"formatted_read_group"
        | b"export_data"
        | b"get_formview_id"
        | b"get_formview_action" => Some(Operation::Read),
        b"create" | b"copy" | b"name_create" => Some(Operation::Create),
        b"write" | b"toggle_active" | b"action_archive" | b"action_unarchive" | b"message_post"
        | b"web_save_multi" => Some(Operation::Write),
        b"unlink" => Some(Operation::Unlink),
        _ => None,
    }
}

/// A key's scope: rights per model, with an optional `*` default for enabled models.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Sorted by model name, unique.
    entries: Vec<(Box<str>, Rights)>,
    wildcard: Option<Rights>,
}

impl Scope {
    /// Parses `model:LETTERS` items separated by commas. Letters R, W, C, D in either case;
    /// blanks around items and around the colon are ignored; `*` stands for any enabled model.
    pub fn parse(s: &str) -> Result<Scope, ScopeError> {
        if s.trim().is_empty() {
            return Err(ScopeError::Empty);
        }
        let mut entries: Vec<(Box<str>, Rights)> = Vec::new();
        let mut wildcard = None;
        for (i, raw) in s.split(',').enumerate() {
            let item = i + 1;
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(ScopeError::EmptyItem { item });
            }
            let (model, letters) = raw
                .split_once(':')
                .ok_or(ScopeError::MissingColon { item })?;
            let (model, letters) = (model.trim(), letters.trim());
            let mut rights = Rights::NONE;
            for letter in letters.chars() {
                let op = match letter.to_ascii_uppercase() {
                    'R' => Operation::Read,
                    'W' => Operation::Write,
                    'C' => Operation::Create,
                    'D' => Operation::Unlink,
                    _ => return Err(ScopeError::InvalidRight { item, letter }),
                };
                if rights.allows(op) {
                    return Err(ScopeError::DuplicateRight { item, letter });
                }
                rights = rights.with(op);
            }
            if model == "*" {
                if wildcard.is_some() {
                    return Err(ScopeError::DuplicateModel {
                        item,
                        model: model.to_owned(),
                    });
                }
                wildcard = Some(rights);
                continue;
            }
            if !valid_model_name(model) {
                return Err(ScopeError::InvalidModel {
                    item,
                    model: model.to_owned(),
                });
            }
            if is_reserved(model) {
                return Err(ScopeError::ReservedModel {
                    item,
                    model: model.to_owned(),
                });
            }
            if entries.iter().any(|(m, _)| &**m == model) {
                return Err(ScopeError::DuplicateModel {
                    item,
                    model: model.to_owned(),
                });
            }
            entries.push((model.into(), rights));
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Scope { entries, wildcard })
    }

    /// The rights the scope grants on `model` (before intersecting with the matrix).
    pub fn rights(&self, model: &str) -> Rights {
        match self.entries.binary_search_by(|(m, _)| (**m).cmp(model)) {
            Ok(i) => self.entries.get(i).map_or(Rights::NONE, |e| e.1),
            Err(_) => self.wildcard.unwrap_or(Rights::NONE),
        }
    }
}

impl fmt::Display for Scope {
    /// The canonical form: models sorted, letters in the order RWCD, `*` last, no blanks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let write_item = |f: &mut fmt::Formatter<'_>, model: &str, rights: Rights| {
            f.write_str(model)?;
            f.write_str(":")?;
            for op in Operation::ALL {
                if rights.allows(op) {
                    write!(f, "{}", op.letter())?;
                }
            }
            Ok(())
        };
        let mut first = true;
        for (model, rights) in &self.entries {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write_item(f, model, *rights)?;
        }
        if let Some(rights) = self.wildcard {
            if !first {
                f.write_str(",")?;
            }
            write_item(f, "*", rights)?;
        }
        Ok(())
    }
}

/// The outcome of [`PermissionMatrix::decide`].
pub type Decision = Result<Operation, Denial>;

/// Rights per enabled model; immutable once built.
#[derive(Debug, Clone)]
pub struct PermissionMatrix {
    models: HashMap<Box<str>, Rights>,
    generation: u64,
}

impl PermissionMatrix {
    /// Builds a matrix from `(model, rights)` rows, refusing invalid, `mcp.*` and duplicate
    /// model names.
    pub fn new<I, S>(rows: I, generation: u64) -> Result<Self, MatrixError>
    where
        I: IntoIterator<Item = (S, Rights)>,
        S: AsRef<str>,
    {
        let rows = rows.into_iter();
        let mut models = HashMap::with_capacity(rows.size_hint().0);
        for (model, rights) in rows {
            let model = model.as_ref();
            if !valid_model_name(model) {
                return Err(MatrixError::InvalidModel(model.to_owned()));
            }
            if is_reserved(model) {
                return Err(MatrixError::ReservedModel(model.to_owned()));
            }
            if models.insert(Box::from(model), rights).is_some() {
                return Err(MatrixError::DuplicateModel(model.to_owned()));
            }
        }
        Ok(Self { models, generation })
    }

    /// The generation the matrix was built at.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The number of enabled models.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// Whether no model is enabled.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Whether `model` is enabled (whatever its rights).
    pub fn is_enabled(&self, model: &str) -> bool {
        self.models.contains_key(model)
    }

    /// The effective rights on `model`: the matrix's, narrowed by `scope`. `None` when the model
    /// is not enabled, or when a scope is given that does not mention it (nor has `*`).
    pub fn rights(&self, model: &str, scope: Option<&Scope>) -> Option<Rights> {
        let rights = *self.models.get(model)?;
        match scope {
            None => Some(rights),
            Some(scope) => match scope.entries.binary_search_by(|(m, _)| (**m).cmp(model)) {
                Ok(i) => scope.entries.get(i).map(|e| rights.intersect(e.1)),
                Err(_) => scope.wildcard.map(|w| rights.intersect(w)),
            },
        }
    }

    /// Decides whether `method` may run on `model` under `scope`.
    pub fn decide(&self, model: &str, method: &str, scope: Option<&Scope>) -> Decision {
        if !valid_model_name(model) {
            return Err(Denial::InvalidModel);
        }
        let Some(&rights) = self.models.get(model) else {
            return Err(Denial::ModelNotEnabled);
        };
        let op = method_operation(method).ok_or(Denial::MethodNotAllowed)?;
        let rights = match scope {
            None => rights,
            Some(scope) => rights.intersect(scope.rights(model)),
        };
        if rights.allows(op) {
            Ok(op)
        } else {
            Err(Denial::OperationDenied)
        }
    }

    /// Enabled models with their effective rights under `scope`, sorted by name; models left
    /// with no right under the scope are omitted (without a scope, every enabled model is
    /// listed, even one with every right off).
    pub fn models(&self, scope: Option<&Scope>) -> Vec<(&str, Rights)> {
        let mut out: Vec<(&str, Rights)> = self
            .models
            .iter()
            .filter_map(|(model, &rights)| match scope {
                None => Some((&**model, rights)),
                Some(_) => self
                    .rights(model, scope)
                    .filter(|r| !r.is_empty())
                    .map(|r| (&**model, r)),
            })
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rw(s: &str) -> Rights {
        let mut r = Rights::NONE;
        for c in s.chars() {
            r = r.with(match c {
                'R' => Operation::Read,
                'W' => Operation::Write,
                'C' => Operation::Create,
                'D' => Operation::Unlink,
                _ => unreachable!(),
            });
        }
        r
    }

    fn matrix() -> PermissionMatrix {
        PermissionMatrix::new(
            [
                ("res.partner", rw("RWCD")),
                ("sale.order", rw("RW")),
                ("res.users", rw("R")),
                ("product.product", Rights::NONE),
            ],
            7,
        )
        .unwrap()
    }

    #[test]
    fn method_map_is_complete_and_case_insensitive() {
        let read = [
            "read",
            "search",
            "search_read",
            "search_count",
            "name_search",
            "fields_get",
            "default_get",
            "get_metadata",
            "read_group",
            "formatted_read_group",
            "export_data",
            "get_formview_id",
            "get_formview_action",
        ];
        let create = ["create", "copy", "name_create"];
        let write = [
            "write",
            "toggle_active",
            "action_archive",
            "action_unarchive",
            "message_post",
            "web_save_multi",
        ];
        for (names, op) in [
            (&read[..], Operation::Read),
            (&create[..], Operation::Create),
            (&write[..], Operation::Write),
            (&["unlink"][..], Operation::Unlink),
        ] {
            for name in names {
                assert_eq!(method_operation(name), Some(op), "{name}");
                assert_eq!(method_operation(&name.to_uppercase()), Some(op), "{name}");
            }
        }
        assert_eq!(method_operation("Search_Read"), Some(Operation::Read));
    }

    #[test]
    fn methods_are_denied_not_normalised() {
        for m in [
            "",
            "_read",
            "_search",
            "__init__",
            " read",
            "read ",
            "re ad",
            "read\n",
            "read\t",
            "read\0",
            "\u{7f}read",
            "read\u{a0}",
            "unlink_all",
            "sudo",
            "browse",
            "execute_kw",
            "write2",
            // Unicode case folding must not map these onto listed names.
            "\u{17f}earch",  // LATIN SMALL LETTER LONG S uppercases to 'S'
            "unlin\u{212a}", // KELVIN SIGN lowercases to 'k'
            "formatted_read_group_",
        ] {
            assert_eq!(method_operation(m), None, "{m:?}");
        }
    }

    #[test]
    fn model_name_rule() {
        for ok in ["res.partner", "a", "x_custom_1", "A.B", "..", "_"] {
            assert!(valid_model_name(ok), "{ok}");
        }
        for bad in [
            "",
            "res partner",
            "res-partner",
            "res.partner\n",
            "é",
            "a/b",
            "*",
        ] {
            assert!(!valid_model_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn every_refusal_reason_in_order() {
        let m = matrix();
        assert_eq!(
            m.decide("res partner", "_bad", None),
            Err(Denial::InvalidModel)
        );
        assert_eq!(m.decide("", "read", None), Err(Denial::InvalidModel));
        assert_eq!(
            m.decide("stock.move", "_bad", None),
            Err(Denial::ModelNotEnabled)
        );
        assert_eq!(
            m.decide("mcp.log", "read", None),
            Err(Denial::ModelNotEnabled)
        );
        assert_eq!(
            m.decide("res.users", "_bad", None),
            Err(Denial::MethodNotAllowed)
        );
        assert_eq!(
            m.decide("res.users", "sudo", None),
            Err(Denial::MethodNotAllowed)
        );
        assert_eq!(
            m.decide("res.users", "write", None),
            Err(Denial::OperationDenied)
        );
        assert_eq!(
            m.decide("product.product", "read", None),
            Err(Denial::OperationDenied)
        );
        assert_eq!(m.decide("res.users", "READ", None), Ok(Operation::Read));
        assert_eq!(
            m.decide("res.partner", "unlink", None),
            Ok(Operation::Unlink)
        );
        assert_eq!(
            m.decide("sale.order", "copy", None),
            Err(Denial::OperationDenied)
        );
    }

    #[test]
    fn matrix_refuses_bad_rows() {
        assert_eq!(
            PermissionMatrix::new([("mcp.log", Rights::ALL)], 0).unwrap_err(),
            MatrixError::ReservedModel("mcp.log".into())
        );
        assert_eq!(
            PermissionMatrix::new([("bad model", Rights::ALL)], 0).unwrap_err(),
            MatrixError::InvalidModel("bad model".into())
        );
        assert_eq!(
            PermissionMatrix::new([("a", Rights::ALL), ("a", Rights::NONE)], 0).unwrap_err(),
            MatrixError::DuplicateModel("a".into())
        );
        let msg = MatrixError::ReservedModel("mcp.log".into()).to_string();
        assert!(msg.contains("mcp.log") && msg.contains("mcp.*"), "{msg}");
        let long = MatrixError::InvalidModel("x".repeat(10_000)).to_string();
        assert!(long.len() < 200, "{long}");
        // `mcpx.thing` is not reserved.
        assert!(PermissionMatrix::new([("mcpx.thing", Rights::ALL)], 0).is_ok());
    }

    #[test]
    fn scope_parse_and_canonical_form() {
        let s = Scope::parse(" sale.order : r , *:R,res.partner:dcwr ").unwrap();
        assert_eq!(s.to_string(), "res.partner:RWCD,sale.order:R,*:R");
        assert_eq!(Scope::parse(&s.to_string()).unwrap(), s);
        assert_eq!(
            Scope::parse("res.users:").unwrap().to_string(),
            "res.users:"
        );
        assert_eq!(Scope::parse("*:").unwrap().to_string(), "*:");
    }

    #[test]
    fn scope_errors_are_precise() {
        let cases: [(&str, ScopeError); 12] = [
            ("", ScopeError::Empty),
            ("   ", ScopeError::Empty),
            ("a:R,", ScopeError::EmptyItem { item: 2 }),
            ("a:R,,b:R", ScopeError::EmptyItem { item: 2 }),
            ("a:R,b", ScopeError::MissingColon { item: 2 }),
            (
                "a b:R",
                ScopeError::InvalidModel {
                    item: 1,
                    model: "a b".into(),
                },
            ),
            (
                ":R",
                ScopeError::InvalidModel {
                    item: 1,
                    model: String::new(),
                },
            ),
            (
                "mcp.log:R",
                ScopeError::ReservedModel {
                    item: 1,
                    model: "mcp.log".into(),
                },
            ),
            (
                "a:RX",
                ScopeError::InvalidRight {
                    item: 1,
                    letter: 'X',
                },
            ),
            (
                "a:R W",
                ScopeError::InvalidRight {
                    item: 1,
                    letter: ' ',
                },
            ),
            (
                "a:Rr",
                ScopeError::DuplicateRight {
                    item: 1,
                    letter: 'r',
                },
            ),
            (
                "a:R,*:R,a:W",
                ScopeError::DuplicateModel {
                    item: 3,
                    model: "a".into(),
                },
            ),
        ];
        for (input, err) in cases {
            assert_eq!(Scope::parse(input), Err(err), "{input:?}");
        }
        assert_eq!(
            Scope::parse("*:R,*:W"),
            Err(ScopeError::DuplicateModel {
                item: 2,
                model: "*".into()
            })
        );
        let msg = Scope::parse("a:RX").unwrap_err().to_string();
        assert!(msg.contains("item 1") && msg.contains("'X'"), "{msg}");
    }

    #[test]
    fn scope_narrows_with_specific_entries_first() {
        let m = matrix();
        let s = Scope::parse("res.partner:R,res.users:,*:RW").unwrap();
        // Specific entry wins over `*`, even when narrower.
        assert_eq!(m.rights("res.partner", Some(&s)), Some(rw("R")));
        assert_eq!(
            m.decide("res.partner", "write", Some(&s)),
            Err(Denial::OperationDenied)
        );
        // Explicit empty entry excludes a model `*` would cover.
        assert_eq!(m.rights("res.users", Some(&s)), Some(Rights::NONE));
        assert_eq!(
            m.decide("res.users", "read", Some(&s)),
            Err(Denial::OperationDenied)
        );
        // `*` applies to enabled models only and never widens.
        assert_eq!(m.rights("sale.order", Some(&s)), Some(rw("RW")));
        assert_eq!(m.rights("stock.move", Some(&s)), None);
        assert_eq!(
            m.decide("stock.move", "read", Some(&s)),
            Err(Denial::ModelNotEnabled)
        );
        // No `*`: absent models get nothing.
        let narrow = Scope::parse("sale.order:RWCD").unwrap();
        assert_eq!(m.rights("sale.order", Some(&narrow)), Some(rw("RW")));
        assert_eq!(m.rights("res.partner", Some(&narrow)), None);
        assert_eq!(
            m.decide("res.partner", "read", Some(&narrow)),
            Err(Denial::OperationDenied)
        );
        assert_eq!(
            m.decide("sale.order", "create", Some(&narrow)),
            Err(Denial::OperationDenied)
        );
    }

    #[test]
    fn models_lists_effective_rights_sorted() {
        let m = matrix();
        let all: Vec<_> = m.models(None).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            all,
            ["product.product", "res.partner", "res.users", "sale.order"]
        );
        let s = Scope::parse("res.partner:WD,sale.order:C,*:R").unwrap();
        assert_eq!(
            m.models(Some(&s)),
            vec![
                ("res.partner", rw("WD")),
                ("res.users", rw("R")),
                // sale.order: C is off in the matrix; product.product has no right at all.
            ]
        );
        assert_eq!(m.generation(), 7);
        assert_eq!(m.len(), 4);
        assert!(m.is_enabled("product.product"));
        assert!(!m.is_enabled("mcp.log"));
    }

    fn arb_rights() -> impl Strategy<Value = Rights> {
        (0u8..16).prop_map(Rights)
    }

    fn arb_model() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["a", "b", "c.d", "e_f", "g"]).prop_map(str::to_owned)
    }

    proptest! {
        #[test]
        fn scope_never_widens(
            rows in prop::collection::btree_map(arb_model(), arb_rights(), 0..5),
            entries in prop::collection::btree_map(arb_model(), arb_rights(), 0..5),
            wildcard in prop::option::of(arb_rights()),
            model in arb_model(),
            method in prop::sample::select(vec!["read", "write", "create", "unlink", "copy", "x"]),
        ) {
            let m = PermissionMatrix::new(rows.iter().map(|(k, v)| (k.as_str(), *v)), 0).unwrap();
            let mut text: Vec<String> = entries.iter().map(|(k, v)| {
                let scope = Scope { entries: vec![(k.as_str().into(), *v)], wildcard: None };
                scope.to_string()
            }).collect();
            if let Some(w) = wildcard {
                text.push(Scope { entries: vec![], wildcard: Some(w) }.to_string());
            }
            prop_assume!(!text.is_empty());
            let scope = Scope::parse(&text.join(",")).unwrap();
            let full = m.rights(&model, None);
            let narrowed = m.rights(&model, Some(&scope));
            if let Some(n) = narrowed {
                prop_assert!(n.is_subset_of(full.unwrap()));
            }
            if m.decide(&model, method, Some(&scope)).is_ok() {
                prop_assert!(m.decide(&model, method, None).is_ok());
            }
            for (name, r) in m.models(Some(&scope)) {
                prop_assert!(r.is_subset_of(m.rights(name, None).unwrap()));
            }
            // Canonical form round-trips.
            prop_assert_eq!(Scope::parse(&scope.to_string()).unwrap(), scope);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,64}") {
            let _ = Scope::parse(&s);
        }

        #[test]
        fn decide_never_panics(model in "\\PC{0,32}", method in "\\PC{0,32}") {
            let m = matrix();
            let d = m.decide(&model, &method, None);
            if d.is_ok() {
                prop_assert!(valid_model_name(&model));
                prop_assert!(!method.starts_with('_'));
                prop_assert!(method.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_'));
            }
        }

        #[test]
        fn method_case_never_matters(name in prop::sample::select(vec![
            "read", "search_read", "web_save_multi", "unlink", "name_create",
        ]), mask in any::<u32>()) {
            let mixed: String = name.chars().enumerate().map(|(i, c)| {
                if mask >> (i % 32) & 1 == 1 { c.to_ascii_uppercase() } else { c }
            }).collect();
            prop_assert_eq!(method_operation(&mixed), method_operation(name));
        }
    }
}
