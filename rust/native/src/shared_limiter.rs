//! Binding of `odoo_mcp_core::gcra`: the arithmetic of a rate limit whose state is kept by the
//! caller's store (one row per key, updated by one atomic statement), and the local refusals
//! that keep it exact.
use crate::error::OrRaise;
use odoo_mcp_core::gcra::{DenyCache, Gcra};
use pyo3::prelude::*;

/// ``limit_per_minute`` (at least 1) requests per 60 s per key, burst of the same size, as
/// :class:`RateLimiter`, with the state kept elsewhere. Times are integer nanoseconds.
#[pyclass(frozen, module = "odoo_mcp_native")]
pub struct SharedLimiter {
    gcra: Gcra,
    refusals: DenyCache,
}

#[pymethods]
impl SharedLimiter {
    #[new]
    #[pyo3(signature = (limit_per_minute, max_refused = 10_000))]
    fn new(limit_per_minute: u32, max_refused: usize) -> PyResult<Self> {
        Ok(Self {
            gcra: Gcra::new(limit_per_minute).or_raise()?,
            refusals: DenyCache::new(max_refused),
        })
    }

    /// Requests per minute.
    #[getter]
    fn limit(&self) -> u32 {
        self.gcra.limit()
    }

    /// ``t``: what one request costs, in nanoseconds.
    #[getter]
    fn interval_ns(&self) -> u64 {
        self.gcra.interval_ns()
    }

    /// ``tau``: how far ahead of now a key's ``tat`` may be and still pass, in nanoseconds.
    #[getter]
    fn tolerance_ns(&self) -> u64 {
        self.gcra.tolerance_ns()
    }

    /// One check in Rust: ``(allowed, new tat)`` for a key at ``tat`` (``None``: no state).
    #[pyo3(signature = (tat_ns, now_ns))]
    fn step(&self, tat_ns: Option<u64>, now_ns: u64) -> (bool, u64) {
        match self.gcra.step(tat_ns, now_ns) {
            odoo_mcp_core::gcra::Step::Allowed { tat } => (true, tat),
            odoo_mcp_core::gcra::Step::Refused { .. } => (false, tat_ns.unwrap_or(now_ns)),
        }
    }

    /// Seconds ``key`` is still refused for at local time ``local_ns``, known without asking the
    /// store; ``None``: ask it.
    fn refused(&self, key: &str, local_ns: u64) -> Option<f64> {
        self.refusals
            .refused(key, local_ns)
            .map(|d| d.as_secs_f64())
    }

    /// The decision from the store's answer (allowed, the key's ``tat`` and the store's ``now``):
    /// ``None`` when allowed, else the seconds until the next request would pass. A refusal is
    /// remembered from ``asked_ns``, the local time taken before the statement was sent.
    fn outcome(
        &self,
        key: &str,
        allowed: bool,
        tat_ns: u64,
        now_ns: u64,
        asked_ns: u64,
    ) -> Option<f64> {
        let retry = self.gcra.outcome(allowed, tat_ns, now_ns)?;
        self.refusals.refuse(key, asked_ns, retry);
        Some(retry.as_secs_f64())
    }

    /// Whether a row at ``tat_ns`` decides as no row at ``now_ns`` (and may be deleted).
    #[staticmethod]
    fn is_idle(tat_ns: u64, now_ns: u64) -> bool {
        Gcra::is_idle(tat_ns, now_ns)
    }

    /// Forgets the local refusals.
    fn clear(&self) {
        self.refusals.clear();
    }

    fn __len__(&self) -> usize {
        self.refusals.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "SharedLimiter(limit_per_minute={}, refused={})",
            self.gcra.limit(),
            self.refusals.len()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SharedLimiter>()
}
