//! The `{env.*}` lookup for manifest templates.

use paragon_manifest::Secrets;
use std::collections::BTreeMap;

/// Environment secrets for manifest templates: explicit values first, then (optionally) the
/// process environment.
#[derive(Clone, Default)]
pub(crate) struct SecretsLookup {
    pub explicit: BTreeMap<String, String>,
    pub process_env: bool,
}

impl Secrets for SecretsLookup {
    fn secret(&self, name: &str) -> Option<String> {
        self.explicit
            .get(name)
            .cloned()
            .or_else(|| self.process_env.then(|| std::env::var(name).ok()).flatten())
    }
}
