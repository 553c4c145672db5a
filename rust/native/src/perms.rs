//! Binding of `odoo_mcp_core::perms`: the permission matrix, key scopes and the method map.
//!
//! Model and method names come from requests: anything that is not valid UTF-8 (lone
//! surrogates) is a refusal, never an exception.
use crate::error::OrRaise;
use odoo_mcp_core::perms::{self as core, Denial, Operation, Rights};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

/// A key's scope, e.g. ``res.partner:RWCD,sale.order:R,*:R``.
#[pyclass(frozen, eq, hash, module = "odoo_mcp_native")]
#[derive(PartialEq, Eq, Hash)]
pub struct Scope(core::Scope);

#[pymethods]
impl Scope {
    /// Parses a scope string; ``ScopeError`` says what is wrong and where.
    #[staticmethod]
    fn parse(scope: &str) -> PyResult<Self> {
        core::Scope::parse(scope).map(Self).or_raise()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        // The canonical form holds only `[A-Za-z0-9._*:,]`: no quoting needed.
        format!("Scope.parse('{}')", self.0)
    }
}

/// The decision tuples, built once per matrix so a decision allocates nothing.
struct Answers {
    allowed: [Py<PyTuple>; 4],
    denied: [Py<PyTuple>; 4],
}

impl Answers {
    fn new(py: Python<'_>) -> PyResult<Self> {
        let answer = |ok: bool, text: &str| -> PyResult<Py<PyTuple>> {
            Ok((ok, text).into_pyobject(py)?.unbind())
        };
        let allow = |op: Operation| answer(true, op.as_str());
        let deny = |denial: Denial| answer(false, denial.as_str());
        Ok(Self {
            allowed: [
                allow(Operation::Read)?,
                allow(Operation::Write)?,
                allow(Operation::Create)?,
                allow(Operation::Unlink)?,
            ],
            denied: [
                deny(Denial::InvalidModel)?,
                deny(Denial::ModelNotEnabled)?,
                deny(Denial::MethodNotAllowed)?,
                deny(Denial::OperationDenied)?,
            ],
        })
    }

    fn get(&self, py: Python<'_>, decision: core::Decision) -> Py<PyTuple> {
        let slot = match decision {
            Ok(Operation::Read) => &self.allowed[0],
            Ok(Operation::Write) => &self.allowed[1],
            Ok(Operation::Create) => &self.allowed[2],
            Ok(Operation::Unlink) => &self.allowed[3],
            Err(Denial::InvalidModel) => &self.denied[0],
            Err(Denial::ModelNotEnabled) => &self.denied[1],
            Err(Denial::MethodNotAllowed) => &self.denied[2],
            Err(Denial::OperationDenied) => &self.denied[3],
        };
        slot.clone_ref(py)
    }
}

/// Rights per enabled model, immutable once built.
#[pyclass(frozen, module = "odoo_mcp_native")]
pub struct PermissionMatrix {
    matrix: core::PermissionMatrix,
    answers: Answers,
}

fn scope_of<'a>(scope: Option<&'a Bound<'_, Scope>>) -> Option<&'a core::Scope> {
    scope.map(|s| &s.get().0)
}

#[pymethods]
impl PermissionMatrix {
    /// ``rows``: ``(model, read, write, create, unlink)`` tuples; ``MatrixError`` for an invalid,
    /// ``mcp.*`` or duplicate model.
    #[new]
    #[pyo3(signature = (rows, generation = 0))]
    fn new(rows: &Bound<'_, PyAny>, generation: u64) -> PyResult<Self> {
        let mut compiled: Vec<(String, Rights)> = Vec::new();
        for row in rows.try_iter()? {
            let (model, read, write, create, unlink): (String, bool, bool, bool, bool) =
                row?.extract()?;
            compiled.push((model, Rights::from_flags((read, write, create, unlink))));
        }
        let matrix = core::PermissionMatrix::new(compiled, generation).or_raise()?;
        Ok(Self {
            matrix,
            answers: Answers::new(rows.py())?,
        })
    }

    /// ``(True, operation)`` or ``(False, reason)``.
    #[pyo3(signature = (model, method, scope = None))]
    fn decide(
        &self,
        py: Python<'_>,
        model: &Bound<'_, PyString>,
        method: &Bound<'_, PyString>,
        scope: Option<&Bound<'_, Scope>>,
    ) -> Py<PyTuple> {
        let decision = match model.to_str() {
            Err(_) => Err(Denial::InvalidModel),
            Ok(model) => {
                // An undecodable method is simply not in the map.
                let method = method.to_str().unwrap_or("\0");
                self.matrix.decide(model, method, scope_of(scope))
            }
        };
        self.answers.get(py, decision)
    }

    /// ``(read, write, create, unlink)`` under the scope, or ``None`` when not enabled.
    #[pyo3(signature = (model, scope = None))]
    fn rights(
        &self,
        model: &Bound<'_, PyString>,
        scope: Option<&Bound<'_, Scope>>,
    ) -> Option<(bool, bool, bool, bool)> {
        let model = model.to_str().ok()?;
        self.matrix
            .rights(model, scope_of(scope))
            .map(Rights::as_tuple)
    }

    /// Enabled models with their effective rights, sorted; models left with no right under
    /// the scope are omitted.
    #[pyo3(signature = (scope = None))]
    fn models(&self, scope: Option<&Bound<'_, Scope>>) -> Vec<(&str, bool, bool, bool, bool)> {
        self.matrix
            .models(scope_of(scope))
            .into_iter()
            .map(|(m, r)| {
                let (read, write, create, unlink) = r.as_tuple();
                (m, read, write, create, unlink)
            })
            .collect()
    }

    /// Whether the model is enabled, whatever its rights.
    fn is_enabled(&self, model: &Bound<'_, PyString>) -> bool {
        model.to_str().is_ok_and(|m| self.matrix.is_enabled(m))
    }

    /// The generation the matrix was built at.
    #[getter]
    fn generation(&self) -> u64 {
        self.matrix.generation()
    }

    fn __len__(&self) -> usize {
        self.matrix.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "PermissionMatrix(models={}, generation={})",
            self.matrix.len(),
            self.matrix.generation()
        )
    }
}

/// Whether ``name`` matches ``^[a-zA-Z0-9._]+$``.
#[pyfunction]
fn valid_model_name(name: &Bound<'_, PyString>) -> bool {
    name.to_str().is_ok_and(core::valid_model_name)
}

/// ``"read"``, ``"write"``, ``"create"``, ``"unlink"``, or ``None`` for a method not allowed.
#[pyfunction]
fn method_operation(method: &Bound<'_, PyString>) -> Option<&'static str> {
    method
        .to_str()
        .ok()
        .and_then(core::method_operation)
        .map(Operation::as_str)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scope>()?;
    m.add_class::<PermissionMatrix>()?;
    m.add_function(wrap_pyfunction!(valid_model_name, m)?)?;
    m.add_function(wrap_pyfunction!(method_operation, m)?)?;
    Ok(())
}
