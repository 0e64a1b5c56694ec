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

/// The server's own secrets: never readable through `{env.*}`, or a manifest could send them
/// to a provider.
pub(crate) const RESERVED_ENV: [&str; 6] = [
    "PARAGON_LOCAL_ENCRYPTION_KEY",
    "PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS",
    "PARAGON_SIGNING_KEY",
    "PARAGON_SIGNING_KEY_FILE",
    "PARAGON_PUBLIC_KEY_FILE",
    "PARAGON_LOCAL_DATABASE_URL",
];

impl Secrets for SecretsLookup {
    fn secret(&self, name: &str) -> Option<String> {
        if RESERVED_ENV.contains(&name) {
            return None;
        }
        self.explicit
            .get(name)
            .cloned()
            .or_else(|| self.process_env.then(|| std::env::var(name).ok()).flatten())
    }
}
