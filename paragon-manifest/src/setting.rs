//! Integration-level user settings (`[[settings]]`): what the end user configures in the
//! Connect Portal once connected, stored per credential as Paragon stores `sharedSettings`
//! and read by templates as `{settings.<key>}`.

use std::collections::BTreeMap;

use regex::Regex;

/// One `[[settings]]` field of a manifest.
#[derive(Clone, Debug)]
pub struct SettingField {
    pub(crate) key: String,
    pub(crate) label: String,
    pub(crate) kind: SettingKind,
    pub(crate) required: bool,
    pub(crate) pattern: Option<Regex>,
    pub(crate) default: Option<SettingValue>,
    pub(crate) help: Option<String>,
}

/// How a setting is shown and what it holds. There is no `password` kind: settings are
/// configuration, stored and reported in the clear as Paragon's `sharedSettings` are; a
/// secret belongs in `[[inputs]]`, which are encrypted at rest.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingKind {
    /// Free text.
    Text,
    /// An absolute `https` URL (`http` on a loopback host).
    Url,
    /// A number.
    Number,
    /// On or off.
    Boolean,
    /// One of fixed options.
    Select {
        /// The allowed values, in display order.
        options: Vec<String>,
    },
    /// For each of the app's fields, the provider's field it maps to (Paragon's field mapping).
    FieldMapping {
        /// The app's fields, in display order.
        fields: Vec<String>,
    },
}

impl SettingKind {
    /// Every kind's name as written in a manifest.
    pub const NAMES: [&'static str; 6] = [
        "text",
        "url",
        "number",
        "boolean",
        "select",
        "field_mapping",
    ];

    /// The name used in the manifest, e.g. `field_mapping`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SettingKind::Text => "text",
            SettingKind::Url => "url",
            SettingKind::Number => "number",
            SettingKind::Boolean => "boolean",
            SettingKind::Select { .. } => "select",
            SettingKind::FieldMapping { .. } => "field_mapping",
        }
    }
}

/// A setting's value, as stored in `sharedSettings` (a JSON string, number, boolean or object).
#[derive(Clone, Debug, PartialEq)]
pub enum SettingValue {
    /// Text, a URL or a select option.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A field mapping: the app's field to the provider's field (unmapped fields left out).
    Mapping(BTreeMap<String, String>),
}

impl SettingValue {
    /// The value as a template inserts it: text as is, numbers and booleans as written, a
    /// mapping as `app=provider` pairs joined by `,`.
    pub fn to_template_text(&self) -> String {
        match self {
            SettingValue::Text(s) => s.clone(),
            SettingValue::Number(n) => n.to_string(),
            SettingValue::Bool(b) => b.to_string(),
            SettingValue::Mapping(m) => m
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// Why an end user's value for a setting is refused. Never contains the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingError {
    /// A required setting has no value.
    #[error("`{label}` is required")]
    Missing {
        /// The setting's label.
        label: String,
    },
    /// The value does not match the setting's pattern.
    #[error("`{label}` must match `{pattern}`")]
    Pattern {
        /// The setting's label.
        label: String,
        /// The pattern as written in the manifest.
        pattern: String,
    },
    /// A select value that is not one of the options.
    #[error("`{label}` must be one of: {options}")]
    NotAnOption {
        /// The setting's label.
        label: String,
        /// The options, comma separated.
        options: String,
    },
    /// A number setting whose value is not a finite number.
    #[error("`{label}` must be a number")]
    NotANumber {
        /// The setting's label.
        label: String,
    },
    /// A value with a control character (a line break would end a header it is sent in).
    #[error("`{label}` must not contain control characters such as line breaks")]
    ControlCharacter {
        /// The setting's label.
        label: String,
    },
    /// A `url` setting that is not an absolute `https` URL.
    #[error("`{label}` must be an absolute https URL: {reason}")]
    Url {
        /// The setting's label.
        label: String,
        /// What is wrong.
        reason: String,
    },
}

impl SettingField {
    /// The key templates use: `{settings.<key>}`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The label shown to the end user.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// How the setting is shown.
    pub fn kind(&self) -> &SettingKind {
        &self.kind
    }

    /// Whether a value is required (default `false`).
    pub fn required(&self) -> bool {
        self.required
    }

    /// The pattern a text value must match entirely, as written.
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_ref().map(|r| {
            let s = r.as_str();
            // Stored as `^(?:pattern)$` so that it matches the whole value.
            &s[4..s.len() - 2]
        })
    }

    /// The value used while the end user has set none.
    pub fn default_value(&self) -> Option<&SettingValue> {
        self.default.as_ref()
    }

    /// Help text shown under the field.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// Reads an end user's value from form text: `raw(None)` is the field's own text,
    /// `raw(Some(field))` a field mapping's entry for the app's `field`. Empty text is no value;
    /// a boolean without text is `false`. `Ok(None)`: nothing set, and nothing required.
    ///
    /// ```
    /// use paragon_manifest::{Manifest, SettingValue};
    ///
    /// let m = Manifest::load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs/tasklab")).unwrap();
    /// let limit = m.setting("daily_limit").unwrap();
    /// assert_eq!(limit.parse_value(|_| Some("12")), Ok(Some(SettingValue::Number(12.0))));
    /// assert_eq!(limit.parse_value(|_| Some("a dozen")).unwrap_err().to_string(),
    ///            "`Daily task limit` must be a number");
    /// ```
    pub fn parse_value<'v>(
        &self,
        raw: impl Fn(Option<&str>) -> Option<&'v str>,
    ) -> Result<Option<SettingValue>, SettingError> {
        let has_control = |f: Option<&str>| raw(f).is_some_and(|v| v.chars().any(char::is_control));
        let entries: Vec<Option<&str>> = match &self.kind {
            SettingKind::FieldMapping { fields } => {
                fields.iter().map(|f| Some(f.as_str())).collect()
            }
            _ => vec![None],
        };
        if entries.into_iter().any(has_control) {
            return Err(SettingError::ControlCharacter {
                label: self.label.clone(),
            });
        }
        let value = match &self.kind {
            SettingKind::FieldMapping { fields } => {
                let mapping: BTreeMap<String, String> = fields
                    .iter()
                    .filter_map(|f| {
                        let v = raw(Some(f)).map(str::trim).filter(|v| !v.is_empty())?;
                        Some((f.clone(), v.to_owned()))
                    })
                    .collect();
                (!mapping.is_empty()).then_some(SettingValue::Mapping(mapping))
            }
            SettingKind::Boolean => Some(SettingValue::Bool(
                raw(None).is_some_and(|v| matches!(v, "true" | "on")),
            )),
            _ => match raw(None).filter(|v| !v.is_empty()) {
                Some(v) => Some(self.scalar(v)?),
                None => None,
            },
        };
        if value.is_none() && self.required {
            return Err(SettingError::Missing {
                label: self.label.clone(),
            });
        }
        Ok(value)
    }

    /// Checks one text value against the kind and pattern.
    pub(crate) fn scalar(&self, v: &str) -> Result<SettingValue, SettingError> {
        let label = || self.label.clone();
        match &self.kind {
            SettingKind::Number => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(SettingValue::Number)
                .ok_or(SettingError::NotANumber { label: label() }),
            SettingKind::Select { options } if !options.iter().any(|o| o == v) => {
                Err(SettingError::NotAnOption {
                    label: label(),
                    options: options.join(", "),
                })
            }
            SettingKind::Url => crate::url_rule::parse_checked(v)
                .map(|_| SettingValue::Text(v.to_owned()))
                .map_err(|reason| SettingError::Url {
                    label: label(),
                    reason,
                }),
            SettingKind::Boolean => Ok(SettingValue::Bool(v == "true")),
            _ => match &self.pattern {
                Some(re) if !re.is_match(v) => Err(SettingError::Pattern {
                    label: label(),
                    pattern: self.pattern().unwrap_or_default().to_owned(),
                }),
                _ => Ok(SettingValue::Text(v.to_owned())),
            },
        }
    }
}
