//! `inputs.ts`: a manifest's `[[settings]]` as Paragraph's integration-level inputs, the user
//! settings the Connect Portal shows for the integration.

use super::ts;
use paragon_manifest::{Manifest, SettingField, SettingKind, SettingValue};

/// The `inputs.ts` of `m`, or `None` when it declares no settings. What an input cannot carry
/// (a setting's `pattern`: Paragraph's inputs have no such field) is named in `notes`.
pub(crate) fn inputs_ts(m: &Manifest, notes: &mut Vec<String>) -> Option<String> {
    if m.settings().is_empty() {
        return None;
    }
    let mut entries = String::new();
    for s in m.settings() {
        entries.push_str(&format!("  {}: {},\n", ts::key(s.key()), input(s)));
        if let Some(pattern) = s.pattern() {
            notes.push(format!(
                "inputs.ts: {}: the setting `{}` keeps its type but not its pattern {pattern:?} \
                 (Paragraph's inputs have no pattern); Paragon does not check it",
                m.slug(),
                s.key()
            ));
        }
    }
    Some(format!(
        "import {{ createInputs }} from '@useparagon/core/inputs';\n\n\
         /**\n * The user settings of {}, exported from its integration.toml's [[settings]] by \
         paragon-codegen.\n */\n\
         const integrationInputs = createInputs({{\n{entries}}});\n\n\
         export default integrationInputs;\n",
        m.name().replace("*/", "* /")
    ))
}

/// One setting as an input object literal.
fn input(s: &SettingField) -> String {
    let mut fields = vec![
        format!("title: {}", ts::string(s.label())),
        format!("type: {}", ts::string(kind(s.kind()))),
    ];
    match s.kind() {
        SettingKind::Select { options } => fields.push(format!("options: {}", list(options))),
        SettingKind::FieldMapping { fields: f } => fields.push(format!("fields: {}", list(f))),
        _ => {}
    }
    fields.push(format!("required: {}", s.required()));
    if let Some(help) = s.help() {
        fields.push(format!("tooltip: {}", ts::string(help)));
    }
    if let Some(default) = s.default_value() {
        fields.push(format!("defaultValue: {}", value(default)));
    }
    format!("{{ {} }}", fields.join(", "))
}

/// The input type of a setting kind, as `paragraph/types/core/inputs.d.ts` declares them.
fn kind(k: &SettingKind) -> &'static str {
    match k {
        SettingKind::Text => "text",
        SettingKind::Url => "url",
        SettingKind::Number => "number",
        SettingKind::Boolean => "boolean",
        SettingKind::Select { .. } => "dropdown",
        SettingKind::FieldMapping { .. } => "field_mapping",
        // A kind added to the manifest later is typed as text until it gets its own input.
        _ => "text",
    }
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| ts::string(i)).collect();
    format!("[{}]", quoted.join(", "))
}

fn value(v: &SettingValue) -> String {
    match v {
        SettingValue::Text(s) => ts::string(s),
        SettingValue::Number(n) => n.to_string(),
        SettingValue::Bool(b) => b.to_string(),
        SettingValue::Mapping(m) => {
            let pairs: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", ts::key(k), ts::string(v)))
                .collect();
            format!("{{ {} }}", pairs.join(", "))
        }
    }
}
