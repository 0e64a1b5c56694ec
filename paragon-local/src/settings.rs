//! The end user's integration settings as stored on a credential: `config.sharedSettings`,
//! the way Paragon stores them, with the manifest's defaults for what the user never set.

use paragon_manifest::{Manifest, SettingValue};
use serde_json::{Map, Value, json};

/// A setting's value as JSON: text as a string, numbers (whole ones as integers, as the app
/// wrote them), booleans, a mapping as an object.
pub(crate) fn to_json(value: &SettingValue) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole f64 below is exact
    match value {
        SettingValue::Text(s) => Value::String(s.clone()),
        SettingValue::Number(n) if n.fract() == 0.0 && n.abs() < EXACT => json!(*n as i64),
        SettingValue::Number(n) => json!(n),
        SettingValue::Bool(b) => Value::Bool(*b),
        SettingValue::Mapping(m) => json!(m),
    }
}

/// Every `[[settings]]` value of a credential's `config`: the stored `sharedSettings` entry,
/// else the manifest's default; settings with neither are left out.
pub(crate) fn effective(manifest: &Manifest, config: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for field in manifest.settings() {
        let stored = config
            .pointer(&format!("/sharedSettings/{}", field.key()))
            .filter(|v| !v.is_null())
            .cloned();
        if let Some(v) = stored.or_else(|| field.default_value().map(to_json)) {
            out.insert(field.key().to_owned(), v);
        }
    }
    out
}
