//! MCP keys: generation, lookup index, argon2id hashing and verification.
//!
//! An MCP key is `mcp_` followed by 40 characters of lowercase RFC 4648 base32 (`a-z`, `2-7`):
//! 200 random bits from the operating system's CSPRNG. Its lookup index is the first 8
//! characters after the prefix, so it can never be confused with an Odoo API key (40 hex
//! characters whose index is 8 hex characters).
//!
//! The stored form is an argon2id PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`)
//! that records its own parameters; [`needs_rehash`] says when they differ from the policy.
//! Verification compares the derived output in constant time ([`subtle`]) and treats a wrong or
//! malformed *presented* key as a plain `false`; only a malformed *stored* hash is an error.

use argon2::password_hash::phc::{Decimal, PasswordHash};
use argon2::{Algorithm, Argon2, PasswordHasher, Version};
use std::fmt;
use subtle::ConstantTimeEq;

/// Prefix of every MCP key.
pub const KEY_PREFIX: &str = "mcp_";
/// Number of base32 characters after the prefix.
pub const KEY_BODY_LEN: usize = 40;
/// Total length of a key.
pub const KEY_LEN: usize = KEY_PREFIX.len() + KEY_BODY_LEN;
/// Length of the lookup index (the first characters of the body).
pub const INDEX_LEN: usize = 8;
/// Random bytes in a key: 25 bytes = 200 bits = 40 base32 characters.
const KEY_RANDOM_BYTES: usize = 25;
/// Salt length of new hashes (the PHC recommendation).
const SALT_LEN: usize = 16;
/// Output length of new hashes.
const OUTPUT_LEN: usize = 32;
const BASE32_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Upper bounds on argon2 parameters, for the policy and for stored hashes alike: a corrupt or
/// hostile stored hash must not make one verification allocate gigabytes or run for minutes.
pub const MAX_M_COST_KIB: u32 = 1 << 21; // 2 GiB
/// See [`MAX_M_COST_KIB`].
pub const MAX_T_COST: u32 = 64;
/// See [`MAX_M_COST_KIB`].
pub const MAX_P_COST: u32 = 16;

/// Errors of the keys module. None of them carries a key or a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The presented string is not an MCP key (`mcp_` + 40 base32 characters).
    Format(KeyFormat),
    /// A stored hash that is not a usable argon2 PHC string.
    StoredHash(&'static str),
    /// Argon2 parameters outside what this crate accepts.
    Policy(&'static str),
    /// The operating system's random generator failed.
    Random,
}

/// Why a string is not an MCP key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// It does not start with `mcp_`.
    Prefix,
    /// It has the wrong length (the expected one is [`KEY_LEN`]).
    Length,
    /// A character outside lowercase base32 (`a-z`, `2-7`).
    Alphabet,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Format(KeyFormat::Prefix) => {
                f.write_str("not an MCP key: missing the 'mcp_' prefix")
            }
            Self::Format(KeyFormat::Length) => write!(
                f,
                "not an MCP key: expected 'mcp_' followed by {KEY_BODY_LEN} characters"
            ),
            Self::Format(KeyFormat::Alphabet) => {
                f.write_str("not an MCP key: the body must be lowercase base32 (a-z, 2-7)")
            }
            Self::StoredHash(why) => write!(f, "malformed stored key hash: {why}"),
            Self::Policy(why) => write!(f, "invalid key hashing policy: {why}"),
            Self::Random => f.write_str("the operating system's random generator failed"),
        }
    }
}

impl std::error::Error for KeyError {}

/// Argon2id cost parameters for new hashes (the OWASP minimum is the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPolicy {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            m_cost_kib: 19_456,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

impl KeyPolicy {
    /// A policy, validated against argon2's minimums and this crate's maximums.
    pub fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, KeyError> {
        check_params(m_cost_kib, t_cost, p_cost).map_err(KeyError::Policy)?;
        Ok(Self {
            m_cost_kib,
            t_cost,
            p_cost,
        })
    }

    /// Memory cost in KiB.
    pub fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Number of passes.
    pub fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Degree of parallelism (lanes).
    pub fn p_cost(&self) -> u32 {
        self.p_cost
    }

    fn params(self) -> Result<argon2::Params, KeyError> {
        argon2::Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(OUTPUT_LEN))
            .map_err(|_| KeyError::Policy("argon2 refused the parameters"))
    }
}

fn check_params(m: u32, t: u32, p: u32) -> Result<(), &'static str> {
    if !(1..=MAX_P_COST).contains(&p) {
        return Err("p_cost must be between 1 and 16");
    }
    if !(1..=MAX_T_COST).contains(&t) {
        return Err("t_cost must be between 1 and 64");
    }
    if m > MAX_M_COST_KIB {
        return Err("m_cost_kib must be at most 2097152 (2 GiB)");
    }
    if m < 8 * p {
        return Err("m_cost_kib must be at least 8 * p_cost");
    }
    Ok(())
}

/// A new random MCP key: `mcp_` + 40 lowercase base32 characters (200 bits).
pub fn generate() -> Result<String, KeyError> {
    let mut random = [0u8; KEY_RANDOM_BYTES];
    getrandom::fill(&mut random).map_err(|_| KeyError::Random)?;
    let mut key = String::with_capacity(KEY_LEN);
    key.push_str(KEY_PREFIX);
    for chunk in random.chunks_exact(5) {
        // 5 bytes = 40 bits = 8 characters of 5 bits each.
        let bits = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        for shift in (0..8).rev() {
            let sym = ((bits >> (shift * 5)) & 0x1f) as usize;
            key.push(char::from(BASE32_ALPHABET[sym]));
        }
    }
    Ok(key)
}

/// Checks the format of an MCP key and returns its lookup index (8 characters).
pub fn index(key: &str) -> Result<&str, KeyError> {
    let body = key
        .strip_prefix(KEY_PREFIX)
        .ok_or(KeyError::Format(KeyFormat::Prefix))?;
    if body.len() != KEY_BODY_LEN {
        return Err(KeyError::Format(KeyFormat::Length));
    }
    if !body.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7')) {
        return Err(KeyError::Format(KeyFormat::Alphabet));
    }
    // All bytes are ASCII, so any byte offset is a char boundary.
    Ok(&body[..INDEX_LEN])
}

/// Whether `key` has the MCP key format.
pub fn is_key(key: &str) -> bool {
    index(key).is_ok()
}

/// Hashes a key into an argon2id PHC string recording the policy's parameters.
///
/// Slow on purpose (tens of milliseconds with the default policy): callers that hold a lock,
/// such as the Python binding with the GIL, release it first.
pub fn hash(key: &str, policy: &KeyPolicy) -> Result<String, KeyError> {
    index(key)?;
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|_| KeyError::Random)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, policy.params()?);
    let phc = argon
        .hash_password_with_salt(key.as_bytes(), &salt)
        .map_err(|_| KeyError::Policy("argon2 could not hash with these parameters"))?;
    Ok(phc.to_string())
}

/// A parsed stored hash: everything needed to recompute it.
struct Stored {
    algorithm: Algorithm,
    version: Version,
    params: argon2::Params,
    salt: Vec<u8>,
    output: Vec<u8>,
}

fn parse_stored(phc: &str) -> Result<Stored, KeyError> {
    let parsed = PasswordHash::new(phc).map_err(|_| KeyError::StoredHash("not a PHC string"))?;
    let algorithm = Algorithm::new(parsed.algorithm.as_str())
        .map_err(|_| KeyError::StoredHash("not an argon2 hash"))?;
    // The PHC format says a missing version means the original 0x10, as the reference
    // implementation (and argon2-cffi) read it.
    let version_id: Decimal = parsed.version.unwrap_or(0x10);
    let version = Version::try_from(version_id)
        .map_err(|_| KeyError::StoredHash("unknown argon2 version"))?;
    let params = argon2::Params::try_from(&parsed)
        .map_err(|_| KeyError::StoredHash("invalid argon2 parameters"))?;
    check_params(params.m_cost(), params.t_cost(), params.p_cost())
        .map_err(|_| KeyError::StoredHash("argon2 parameters out of the accepted range"))?;
    let salt = parsed
        .salt
        .ok_or(KeyError::StoredHash("missing salt"))?
        .to_vec();
    let output = parsed
        .hash
        .ok_or(KeyError::StoredHash("missing hash output"))?
        .as_bytes()
        .to_vec();
    Ok(Stored {
        algorithm,
        version,
        params,
        salt,
        output,
    })
}

/// Verifies a presented key against a stored PHC string, in constant time.
///
/// `Ok(false)` for a wrong key or a string that is not an MCP key at all (a request controls
/// it); `Err` only when the stored hash itself is malformed.
pub fn verify(key: &str, phc: &str) -> Result<bool, KeyError> {
    let stored = parse_stored(phc)?;
    if !is_key(key) {
        return Ok(false);
    }
    let argon = Argon2::new(stored.algorithm, stored.version, stored.params);
    let mut out = vec![0u8; stored.output.len()];
    argon
        .hash_password_into(key.as_bytes(), &stored.salt, &mut out)
        .map_err(|_| KeyError::StoredHash("argon2 refused the stored salt or parameters"))?;
    Ok(bool::from(out.as_slice().ct_eq(stored.output.as_slice())))
}

/// Whether a stored hash should be recomputed under `policy`: true when it is not argon2id
/// version 0x13, when its m/t/p differ from the policy (weaker *or* stronger, so a policy can be
/// tuned either way), or when its output length or optional fields differ from what
/// [`hash`] writes.
pub fn needs_rehash(phc: &str, policy: &KeyPolicy) -> Result<bool, KeyError> {
    let stored = parse_stored(phc)?;
    let ours = stored.algorithm == Algorithm::Argon2id
        && stored.version == Version::V0x13
        && stored.params.m_cost() == policy.m_cost_kib
        && stored.params.t_cost() == policy.t_cost
        && stored.params.p_cost() == policy.p_cost
        && stored.params.keyid().is_empty()
        && stored.params.data().is_empty()
        && stored.output.len() == OUTPUT_LEN
        && stored.salt.len() >= SALT_LEN;
    Ok(!ours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cheap() -> KeyPolicy {
        KeyPolicy::new(64, 1, 1).unwrap()
    }

    #[test]
    fn generated_keys_have_the_format() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), KEY_LEN);
        assert!(a.starts_with("mcp_"));
        assert_eq!(index(&a).unwrap(), &a[4..12]);
        assert!(
            a[4..]
                .bytes()
                .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
        );
    }

    #[test]
    fn generated_keys_use_the_whole_alphabet() {
        let mut seen = [false; 32];
        for _ in 0..200 {
            for b in generate().unwrap()[4..].bytes() {
                let i = BASE32_ALPHABET.iter().position(|&c| c == b).unwrap();
                seen[i] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn index_refuses_bad_formats() {
        let good = format!("mcp_{}", "a".repeat(40));
        assert_eq!(index(&good).unwrap(), "aaaaaaaa");
        let cases = [
            ("", KeyFormat::Prefix),
            ("mcp", KeyFormat::Prefix),
            (
                "MCP_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                KeyFormat::Prefix,
            ),
            ("mcp_", KeyFormat::Length),
            (
                "mcp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                KeyFormat::Length,
            ),
            (
                "mcp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                KeyFormat::Length,
            ),
            (
                "mcp_Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                KeyFormat::Alphabet,
            ),
            (
                "mcp_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                KeyFormat::Alphabet,
            ),
            (
                "mcp_8aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                KeyFormat::Alphabet,
            ),
            (
                "mcp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ",
                KeyFormat::Alphabet,
            ),
            // 40 bytes but not 40 ASCII characters.
            (
                "mcp_éaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                KeyFormat::Alphabet,
            ),
        ];
        for (key, why) in cases {
            assert_eq!(index(key), Err(KeyError::Format(why)), "{key:?}");
        }
        // An Odoo API key (40 hex characters) is never an MCP key.
        assert!(!is_key("0123456789abcdef0123456789abcdef01234567"));
    }

    #[test]
    fn hash_verify_round_trip_and_wrong_key() {
        let key = generate().unwrap();
        let other = generate().unwrap();
        let phc = hash(&key, &cheap()).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(!phc.contains(&key));
        assert!(verify(&key, &phc).unwrap());
        assert!(!verify(&other, &phc).unwrap());
        assert!(!verify("not a key", &phc).unwrap());
        assert!(!verify("", &phc).unwrap());
        // Salted: the same key hashes differently each time.
        assert_ne!(phc, hash(&key, &cheap()).unwrap());
    }

    #[test]
    fn hash_refuses_malformed_keys() {
        assert_eq!(
            hash("mcp_short", &cheap()),
            Err(KeyError::Format(KeyFormat::Length))
        );
    }

    #[test]
    fn default_policy_hash_records_its_parameters() {
        let key = generate().unwrap();
        let phc = hash(&key, &KeyPolicy::default()).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(&key, &phc).unwrap());
        assert!(!needs_rehash(&phc, &KeyPolicy::default()).unwrap());
    }

    #[test]
    fn verifies_other_argon2_variants_and_asks_for_a_rehash() {
        // Interoperability with libargon2 (argon2-cffi) is checked by the wheel tests.
        let key = format!("mcp_{}", "a".repeat(40));
        let policy = KeyPolicy::new(64, 1, 1).unwrap();
        let ours = hash(&key, &policy).unwrap();
        let argon = Argon2::new(Algorithm::Argon2i, Version::V0x13, policy.params().unwrap());
        let argon2i = argon
            .hash_password_with_salt(key.as_bytes(), b"somesaltsomesalt")
            .unwrap()
            .to_string();
        assert!(argon2i.starts_with("$argon2i$"));
        assert!(verify(&key, &argon2i).unwrap());
        assert!(needs_rehash(&argon2i, &policy).unwrap());
        assert!(!needs_rehash(&ours, &policy).unwrap());
    }

    #[test]
    fn needs_rehash_compares_every_parameter() {
        let key = generate().unwrap();
        let phc = hash(&key, &cheap()).unwrap();
        assert!(!needs_rehash(&phc, &cheap()).unwrap());
        assert!(needs_rehash(&phc, &KeyPolicy::new(128, 1, 1).unwrap()).unwrap());
        assert!(needs_rehash(&phc, &KeyPolicy::new(64, 2, 1).unwrap()).unwrap());
        assert!(needs_rehash(&phc, &KeyPolicy::new(64, 1, 2).unwrap()).unwrap());
        // Stronger stored parameters also differ from the policy.
        let strong = hash(&key, &KeyPolicy::new(128, 2, 1).unwrap()).unwrap();
        assert!(needs_rehash(&strong, &cheap()).unwrap());
        // Version 0x10.
        let old = phc.replacen("$v=19$", "$v=16$", 1);
        assert!(needs_rehash(&old, &cheap()).unwrap());
        assert!(
            !verify(&key, &old).unwrap(),
            "a different version derives a different hash"
        );
    }

    #[test]
    fn malformed_stored_hashes_are_errors() {
        let key = generate().unwrap();
        let phc = hash(&key, &cheap()).unwrap();
        let no_hash: String = phc.rsplit_once('$').unwrap().0.to_owned();
        let cases = [
            String::new(),
            "garbage".to_owned(),
            "$pbkdf2-sha512$25000$c2FsdA$aGFzaA".to_owned(),
            phc.replacen("argon2id", "argon3", 1),
            phc.replacen("$v=19$", "$v=20$", 1),
            phc.replacen("m=64", "m=4", 1),
            phc.replacen("m=64", "m=99999999", 1),
            phc.replacen("t=1", "t=1000", 1),
            phc.replacen("t=1", "x=1", 1),
            no_hash,
        ];
        for stored in &cases {
            assert!(
                matches!(verify(&key, stored), Err(KeyError::StoredHash(_))),
                "{stored:?}"
            );
            assert!(matches!(
                needs_rehash(stored, &cheap()),
                Err(KeyError::StoredHash(_))
            ));
        }
    }

    #[test]
    fn policy_bounds() {
        assert!(KeyPolicy::new(7, 1, 1).is_err());
        assert!(KeyPolicy::new(64, 0, 1).is_err());
        assert!(KeyPolicy::new(64, 1, 0).is_err());
        assert!(KeyPolicy::new(64, 1, 9).is_err());
        assert!(KeyPolicy::new(MAX_M_COST_KIB + 1, 1, 1).is_err());
        assert!(KeyPolicy::new(64, 65, 1).is_err());
        assert_eq!(KeyPolicy::default(), KeyPolicy::new(19_456, 2, 1).unwrap());
    }

    #[test]
    fn messages_never_contain_the_key() {
        let err = index("mcp_secretsecret").unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
    }

    proptest! {
        #[test]
        fn index_never_panics_and_accepts_exactly_the_format(s in "\\PC{0,60}") {
            let ok = index(&s).is_ok();
            let expected = s.len() == KEY_LEN
                && s.starts_with("mcp_")
                && s[4..].bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
            prop_assert_eq!(ok, expected);
        }

        #[test]
        fn valid_bodies_are_accepted(body in "[a-z2-7]{40}") {
            let key = format!("mcp_{body}");
            prop_assert_eq!(index(&key).unwrap(), &body[..8]);
        }

        #[test]
        fn verify_never_panics_on_garbage(s in "\\PC{0,120}") {
            let _ = verify("mcp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &s);
            let _ = needs_rehash(&s, &KeyPolicy::default());
        }
    }
}
