//! Binding of `odoo_mcp_core::keys`: MCP key generation, index, argon2id hash and verify.
//!
//! The argon2 work runs with the GIL released, on copies of the inputs.
use crate::error::OrRaise;
use odoo_mcp_core::keys as core;
use pyo3::prelude::*;
use pyo3::types::PyString;

/// Argon2id cost parameters for new key hashes.
#[pyclass(frozen, eq, hash, module = "odoo_mcp_native")]
#[derive(PartialEq, Eq, Hash)]
pub struct KeyPolicy(core::KeyPolicy);

#[pymethods]
impl KeyPolicy {
    #[new]
    #[pyo3(signature = (m_cost_kib = 19_456, t_cost = 2, p_cost = 1))]
    fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> PyResult<Self> {
        core::KeyPolicy::new(m_cost_kib, t_cost, p_cost)
            .map(Self)
            .or_raise()
    }

    /// Memory cost in KiB.
    #[getter]
    fn m_cost_kib(&self) -> u32 {
        self.0.m_cost_kib()
    }

    /// Number of passes.
    #[getter]
    fn t_cost(&self) -> u32 {
        self.0.t_cost()
    }

    /// Degree of parallelism.
    #[getter]
    fn p_cost(&self) -> u32 {
        self.0.p_cost()
    }

    fn __repr__(&self) -> String {
        format!(
            "KeyPolicy(m_cost_kib={}, t_cost={}, p_cost={})",
            self.0.m_cost_kib(),
            self.0.t_cost(),
            self.0.p_cost()
        )
    }
}

fn policy_or_default(policy: Option<&Bound<'_, KeyPolicy>>) -> core::KeyPolicy {
    policy.map_or_else(core::KeyPolicy::default, |p| p.get().0)
}

/// A new random MCP key: ``mcp_`` + 40 lowercase base32 characters (200 bits).
#[pyfunction]
fn generate_key() -> PyResult<String> {
    core::generate().or_raise()
}

/// The 8-character lookup index of an MCP key; ``KeyFormatError`` if it is not one.
#[pyfunction]
fn key_index(key: &str) -> PyResult<&str> {
    core::index(key).or_raise()
}

/// The argon2id PHC string of a key (GIL released while hashing).
#[pyfunction]
#[pyo3(signature = (key, policy = None))]
fn hash_key(py: Python<'_>, key: &str, policy: Option<&Bound<'_, KeyPolicy>>) -> PyResult<String> {
    let key = key.to_owned();
    let policy = policy_or_default(policy);
    py.detach(move || core::hash(&key, &policy)).or_raise()
}

/// Whether ``key`` matches the stored PHC string, in constant time (GIL released).
/// ``False`` for a wrong or malformed key; ``KeyFormatError`` only for a malformed hash.
#[pyfunction]
fn verify_key(py: Python<'_>, key: &Bound<'_, PyString>, phc: &str) -> PyResult<bool> {
    // A key that is not even valid UTF-8 (lone surrogates) is a wrong key, but the stored
    // hash must still be well formed.
    let key = key.to_str().map(str::to_owned).unwrap_or_default();
    let phc = phc.to_owned();
    py.detach(move || core::verify(&key, &phc)).or_raise()
}

/// Whether a stored hash should be recomputed under the policy.
#[pyfunction]
#[pyo3(signature = (phc, policy = None))]
fn key_needs_rehash(phc: &str, policy: Option<&Bound<'_, KeyPolicy>>) -> PyResult<bool> {
    core::needs_rehash(phc, &policy_or_default(policy)).or_raise()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<KeyPolicy>()?;
    m.add_function(wrap_pyfunction!(generate_key, m)?)?;
    m.add_function(wrap_pyfunction!(key_index, m)?)?;
    m.add_function(wrap_pyfunction!(hash_key, m)?)?;
    m.add_function(wrap_pyfunction!(verify_key, m)?)?;
    m.add_function(wrap_pyfunction!(key_needs_rehash, m)?)?;
    Ok(())
}
