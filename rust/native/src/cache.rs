//! Binding of `odoo_mcp_core::cache`: the verified-credential cache.
use crate::error::OrRaise;
use odoo_mcp_core::cache::{self as core, Credential, CredentialKind};
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::sync::Arc;

/// What a cached verification established.
#[pyclass(frozen, module = "odoo_mcp_native")]
pub struct CachedCredential(Arc<Credential>);

#[pymethods]
impl CachedCredential {
    #[getter]
    fn user_id(&self) -> i64 {
        self.0.user_id
    }

    #[getter]
    fn key_id(&self) -> Option<i64> {
        self.0.key_id
    }

    #[getter]
    fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// The grant's id when this is an OAuth access token (``kind == "oauth"``), else ``None``.
    #[getter]
    fn grant_id(&self) -> Option<i64> {
        match self.0.kind {
            CredentialKind::OAuth => self.0.key_id,
            CredentialKind::Odoo | CredentialKind::Mcp => None,
        }
    }

    /// ``"odoo"``, ``"mcp"`` or ``"oauth"``.
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind.as_str()
    }

    /// The key's own expiry (Unix time), if any.
    #[getter]
    fn expires_at(&self) -> Option<f64> {
        self.0.expires_at
    }

    fn __repr__(&self) -> String {
        let c = &self.0;
        let none = || "None".to_owned();
        format!(
            "CachedCredential(user_id={}, key_id={}, scope={}, kind='{}', expires_at={})",
            c.user_id,
            c.key_id.map_or_else(none, |k| k.to_string()),
            c.scope.as_deref().map_or_else(none, |s| format!("{s:?}")),
            c.kind.as_str(),
            c.expires_at.map_or_else(none, |e| format!("{e:?}")),
        )
    }
}

/// Verified credentials keyed by a keyed hash of the secret, with a TTL and a size bound.
#[pyclass(frozen, module = "odoo_mcp_native")]
pub struct CredentialCache(core::CredentialCache);

#[pymethods]
impl CredentialCache {
    #[new]
    #[pyo3(signature = (ttl_seconds = 300.0, max_entries = 10_000))]
    fn new(ttl_seconds: f64, max_entries: usize) -> PyResult<Self> {
        core::CredentialCache::new(ttl_seconds, max_entries)
            .map(Self)
            .or_raise()
    }

    /// Remembers that ``secret`` was verified.
    #[pyo3(signature = (secret, user_id, *, key_id = None, scope = None, kind = "odoo", expires_at = None))]
    fn insert(
        &self,
        secret: &str,
        user_id: i64,
        key_id: Option<i64>,
        scope: Option<&str>,
        kind: &str,
        expires_at: Option<f64>,
    ) -> PyResult<()> {
        let kind: CredentialKind = kind.parse().or_raise()?;
        let credential = Credential {
            user_id,
            key_id,
            scope: scope.map(Box::from),
            kind,
            expires_at,
        };
        self.0.insert(secret.as_bytes(), credential).or_raise()
    }

    /// The cached credential, or ``None`` when absent, past its TTL or past the key's expiry.
    fn get(&self, secret: &Bound<'_, PyString>) -> Option<CachedCredential> {
        let secret = secret.to_str().ok()?;
        self.0.get(secret.as_bytes()).map(CachedCredential)
    }

    /// Forgets every entry.
    fn invalidate_all(&self) {
        self.0.invalidate_all();
    }

    /// Forgets a user's entries; returns how many.
    fn invalidate_user(&self, user_id: i64) -> usize {
        self.0.invalidate_user(user_id)
    }

    /// Forgets a key record's entries; returns how many.
    fn invalidate_key(&self, key_id: i64) -> usize {
        self.0.invalidate_key(key_id)
    }

    /// The TTL in seconds.
    #[getter]
    fn ttl_seconds(&self) -> f64 {
        self.0.ttl()
    }

    /// The size bound.
    #[getter]
    fn max_entries(&self) -> usize {
        self.0.max_entries()
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "CredentialCache(ttl_seconds={}, max_entries={}, len={})",
            self.0.ttl(),
            self.0.max_entries(),
            self.0.len()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CachedCredential>()?;
    m.add_class::<CredentialCache>()?;
    Ok(())
}
