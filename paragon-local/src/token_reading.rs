//! How an OAuth token response is read where the manifest says the provider departs from
//! RFC 6749 §5.1: an `expires_in` in milliseconds (`expires_in_unit`), the token at another
//! place of the answer (`alternate_token_path`).

use std::time::Duration;

use paragon_manifest::{Auth, ExpiresInUnit};
use serde_json::{Map, Value};

use crate::oauth::expiry;

/// The manifest's rules for reading token responses.
#[derive(Clone, Debug, Default)]
pub(crate) struct TokenReading {
    expires_in_unit: ExpiresInUnit,
    alternate_token_path: Option<String>,
}

impl TokenReading {
    /// The rules `auth` sets.
    pub(crate) fn of(auth: &Auth) -> Self {
        TokenReading {
            expires_in_unit: match auth {
                Auth::ClientCredentials(cc) => cc.expires_in_unit(),
                _ => ExpiresInUnit::Seconds,
            },
            alternate_token_path: auth.alternate_token_path().map(str::to_owned),
        }
    }

    /// The expiry (ms since the epoch) of a token whose answer said `expires_in`, which the
    /// `oauth2` crate read as seconds.
    pub(crate) fn expires_at(&self, expires_in: Duration) -> i64 {
        expiry(self.expires_in_unit.lifetime(expires_in.as_secs()))
    }

    /// The answer as RFC 6749 reads it. With `alternate_token_path` and no top-level
    /// `access_token`, as Nango reads its catalogue's `alternate_access_token_response_path`:
    /// an object at the pointer gives the token's fields (`access_token`, `refresh_token`,
    /// `expires_in`, `token_type`), a string is the token. Anything else is left as it is,
    /// to be refused as an answer without a token.
    pub(crate) fn normalise(&self, body: Vec<u8>) -> Vec<u8> {
        let Some(pointer) = &self.alternate_token_path else {
            return body;
        };
        let Ok(Value::Object(top)) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        if matches!(top.get("access_token"), Some(Value::String(t)) if !t.is_empty()) {
            return body;
        }
        match hoist(top, pointer) {
            Some(top) => serde_json::to_vec(&top).unwrap_or(body),
            None => body,
        }
    }
}

/// `top` with the token fields of the value at `pointer`; `None` when there is no token there.
fn hoist(mut top: Map<String, Value>, pointer: &str) -> Option<Map<String, Value>> {
    let found = Value::Object(top.clone()).pointer(pointer).cloned()?;
    match found {
        Value::Object(inner) => {
            inner.get("access_token")?;
            for key in ["access_token", "refresh_token", "expires_in"] {
                match inner.get(key) {
                    Some(v) => top.insert(key.to_owned(), v.clone()),
                    None => top.remove(key),
                };
            }
            if let Some(kind) = inner.get("token_type") {
                top.insert("token_type".to_owned(), kind.clone());
            }
        }
        Value::String(token) if !token.is_empty() => {
            top.insert("access_token".to_owned(), Value::String(token));
        }
        _ => return None,
    }
    // Nango reads no token type; `oauth2` needs one.
    top.entry("token_type")
        .or_insert_with(|| Value::String("bearer".to_owned()));
    Some(top)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reading(path: &str) -> TokenReading {
        TokenReading {
            alternate_token_path: Some(path.to_owned()),
            ..TokenReading::default()
        }
    }

    fn read(r: &TokenReading, body: Value) -> Value {
        serde_json::from_slice(&r.normalise(serde_json::to_vec(&body).unwrap())).unwrap()
    }

    #[test]
    fn the_alternate_object_gives_the_token_fields_only_without_a_top_level_token() {
        let r = reading("/authed_user");
        let user_only = json!({"ok": true, "team": {"id": "T1"}, "refresh_token": "bot-rt",
            "authed_user": {"access_token": "xoxp", "token_type": "user", "expires_in": 60}});
        let read_as = read(&r, user_only);
        assert_eq!(read_as["access_token"], "xoxp");
        assert_eq!(read_as["token_type"], "user");
        assert_eq!(read_as["expires_in"], 60);
        assert!(read_as.get("refresh_token").is_none(), "{read_as}");
        assert_eq!(read_as["team"]["id"], "T1");

        let bot = json!({"access_token": "xoxb", "token_type": "bot",
            "authed_user": {"access_token": "xoxp"}});
        assert_eq!(read(&r, bot.clone()), bot);
    }

    #[test]
    fn a_string_at_the_pointer_is_the_token_and_nothing_there_changes_nothing() {
        let r = reading("/data/token");
        let read_as = read(&r, json!({"data": {"token": "t1"}}));
        assert_eq!(read_as["access_token"], "t1");
        assert_eq!(read_as["token_type"], "bearer");
        let error = json!({"ok": false, "error": "invalid_code"});
        assert_eq!(read(&r, error.clone()), error);
        assert_eq!(read(&TokenReading::default(), error.clone()), error);
    }
}
