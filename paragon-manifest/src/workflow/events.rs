//! App events: `specs/events.toml`, the events an app sends with `POST /sdk/events/trigger`.

use std::path::Path;

use toml::de::{DeTable, DeValue};

use crate::diagnostic::Diagnostics;
use crate::parse::{Reader, Table};

/// The file of app events, at the root of the specs folder.
pub const EVENTS_FILE: &str = "events.toml";

/// An app event an App Event trigger can subscribe to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its name, as the app sends it.
    pub name: String,
    /// An example payload (TOML text as written), the event's schema for the editor.
    pub example: Option<String>,
}

/// Reads `<specs_dir>/events.toml`; no file means no events.
///
/// ```toml
/// [[events]]
/// name = "Task Created"
/// example = { title = "Buy milk", assignee = "alice@example.com" }
/// ```
pub fn load_events(specs_dir: &Path) -> Result<Vec<Event>, Diagnostics> {
    let file = specs_dir.join(EVENTS_FILE);
    if !file.is_file() {
        return Ok(Vec::new());
    }
    let source = crate::files::read_limited(&file, crate::manifest::MAX_FILE_BYTES)
        .map_err(|e| Diagnostics::for_file(&file, format!("cannot read the events: {e}")))?;
    parse_events(&source, &file)
}

/// Parses the text of an events file.
pub fn parse_events(source: &str, file: &Path) -> Result<Vec<Event>, Diagnostics> {
    let mut r = Reader::new(source, file);
    let (root, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        for e in errors {
            r.error(
                e.span().unwrap_or(0..0),
                "",
                format!("invalid TOML: {}", e.message()),
                "",
            );
        }
        return Err(r.finish());
    }
    let root = Table {
        map: root.get_ref(),
        span: 0..0,
        path: String::new(),
    };
    r.check_keys(&root, &["events"], &[], "");
    let mut out: Vec<Event> = Vec::new();
    if let Some(v) = root.get("events") {
        let DeValue::Array(items) = v.get_ref() else {
            r.wrong_type(v, "events", "an array of tables (`[[events]]`)");
            return Err(r.finish());
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("events[{i}]");
            let DeValue::Table(map) = item.get_ref() else {
                r.wrong_type(item, &path, "a table");
                continue;
            };
            let t = Table {
                map,
                span: item.span(),
                path,
            };
            r.check_keys(&t, &["name", "example"], &[], "");
            let example = t.get("example").map(|v| source[v.span()].to_owned());
            if let Some((name, span)) = r.req_string(&t, "name", "e.g. name = \"Task Created\"") {
                if out.iter().any(|e| e.name == name) {
                    r.error(
                        span,
                        &t.field("name"),
                        format!("event `{name}` is declared twice"),
                        "remove one",
                    );
                    continue;
                }
                out.push(Event { name, example });
            }
        }
    }
    if r.count() > 0 {
        return Err(r.finish());
    }
    Ok(out)
}
