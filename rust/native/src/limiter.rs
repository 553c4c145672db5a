//! Binding of `odoo_mcp_core::ratelimit`: a GCRA rate limiter keyed by strings.
use crate::error::OrRaise;
use odoo_mcp_core::ratelimit as core;
use pyo3::prelude::*;

/// ``limit_per_minute`` requests per 60 s per key, with a burst of the same size; 0 = unlimited.
#[pyclass(frozen, module = "odoo_mcp_native")]
pub struct RateLimiter(core::RateLimiter);

#[pymethods]
impl RateLimiter {
    #[new]
    #[pyo3(signature = (limit_per_minute, max_keys = 100_000))]
    fn new(limit_per_minute: u32, max_keys: usize) -> PyResult<Self> {
        core::RateLimiter::new(limit_per_minute, max_keys)
            .map(Self)
            .or_raise()
    }

    /// ``None`` when the request may pass, else the seconds until the next one would.
    fn check(&self, key: &str) -> Option<f64> {
        self.0.check(key).map(|d| d.as_secs_f64())
    }

    /// Requests per minute (0 = unlimited).
    #[getter]
    fn limit(&self) -> u32 {
        self.0.limit()
    }

    /// Forgets every key.
    fn clear(&self) {
        self.0.clear();
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "RateLimiter(limit_per_minute={}, keys={})",
            self.0.limit(),
            self.0.len()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RateLimiter>()
}
