//! Integration ids: Paragon's credential, build-oauth and uninstall calls take the integration's
//! UUID, while code names integrations by `custom.<slug>`. A name is resolved through
//! `GET /sdk/integrations` and the answer cached on the client.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::Paragon;
use crate::error::{Error, Result};

/// Names (`custom.tasklab`, `salesforce`) to ids, as last listed by `GET /sdk/integrations`.
#[derive(Default)]
pub(crate) struct IntegrationIds {
    by_name: Mutex<HashMap<String, String>>,
}

impl IntegrationIds {
    fn get(&self, name: &str) -> Option<String> {
        self.lock().get(name).cloned()
    }

    fn replace(&self, names: HashMap<String, String>) {
        *self.lock() = names;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // The map is replaced whole, so a panic elsewhere cannot leave it half-written.
        self.by_name
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `s` is written as a UUID (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

impl Paragon {
    /// The integration's id for `integration`: a UUID is returned as is; a name
    /// (`custom.tasklab`, `salesforce`) is looked up in `GET /sdk/integrations`, whose answer is
    /// cached on this client (and its [`Paragon::user`] handles) and fetched again once when a
    /// name is missing from it.
    pub async fn integration_id(&self, integration: &str) -> Result<String> {
        if is_uuid(integration) {
            return Ok(integration.to_owned());
        }
        if let Some(id) = self.integration_ids().get(integration) {
            return Ok(id);
        }
        let names: HashMap<String, String> = self
            .integrations()
            .await?
            .into_iter()
            .filter(|i| !i.id.is_empty())
            .map(|i| (i.proxy_name(), i.id))
            .collect();
        let found = names.get(integration).cloned();
        let known = {
            let mut v: Vec<&String> = names.keys().collect();
            v.sort();
            v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        };
        self.integration_ids().replace(names);
        found.ok_or_else(|| {
            Error::InvalidRequest(format!(
                "integration {integration:?} is neither a UUID nor listed by GET /sdk/integrations \
                 (listed: {known})"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_uuid;

    #[test]
    fn uuids_are_told_from_names() {
        assert!(is_uuid("0b5f6e4c-1a2b-5c3d-8e9f-0123456789ab"));
        assert!(!is_uuid("custom.tasklab"));
        assert!(!is_uuid("0b5f6e4c-1a2b-5c3d-8e9f-0123456789a"));
        assert!(!is_uuid("0b5f6e4cx1a2b-5c3d-8e9f-0123456789ab"));
    }
}
