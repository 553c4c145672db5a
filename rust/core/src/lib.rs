//! Pure-Rust core of the `mcp_server` Odoo addon.
//!
//! Nothing here knows about Python: the `odoo-mcp-native` crate binds these
//! types and converts their error enums to Python exceptions in one place.

pub mod cache;
mod evict;
pub mod gcra;
pub mod json;
pub mod keys;
pub mod perms;
pub mod ratelimit;

pub mod xmlrpc;

/// Version of the core, shared with the wheel and checked by the addon.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_semver() {
        let parts: Vec<&str> = super::VERSION.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()));
    }
}
