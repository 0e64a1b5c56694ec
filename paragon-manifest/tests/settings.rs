//! `[[settings]]` and `overview`: what a manifest declares, and every mistake at once with
//! its position, field and a suggestion.

use std::path::{Path, PathBuf};

use paragon_manifest::{Manifest, SettingKind, SettingValue};

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml")
}

const BASE: &str = r##"name = "Acme"
description = "Acme's API."
icon = "icon.svg"
color = "#112233"
overview = "Syncs **everything**."

[auth]
type = "none"

[api]
base_url = "https://acme.example/v1"
test_endpoint = "/me"
authorization = { type = "none" }
"##;

fn with_settings(settings: &str) -> String {
    format!("{BASE}\n{settings}")
}

#[test]
fn the_shipped_task_lab_settings() {
    let m = Manifest::load(manifest_path()).unwrap_or_else(|d| panic!("{d}"));
    let kinds: Vec<&str> = m.settings().iter().map(|s| s.kind().as_str()).collect();
    assert_eq!(
        kinds,
        ["text", "number", "boolean", "select", "field_mapping"]
    );
    assert_eq!(
        m.setting("daily_limit").unwrap().default_value(),
        Some(&SettingValue::Number(50.0))
    );
    assert_eq!(
        m.setting("notify").unwrap().default_value(),
        Some(&SettingValue::Bool(true))
    );
    assert!(m.overview().unwrap().contains("**Task Lab**"));
    let fields = m.setting("fields").unwrap();
    assert_eq!(
        fields.kind(),
        &SettingKind::FieldMapping {
            fields: vec!["title".into(), "due_date".into()]
        }
    );
    let mapped = fields
        .parse_value(|f| (f == Some("title")).then_some("name"))
        .unwrap();
    assert_eq!(
        mapped,
        Some(SettingValue::Mapping(
            [("title".into(), "name".into())].into()
        ))
    );
    let project = m.setting("project").unwrap();
    assert_eq!(
        project
            .parse_value(|_| Some("ops"))
            .unwrap_err()
            .to_string(),
        "`Project` must match `[A-Z]+-[0-9]+`"
    );
    assert_eq!(project.parse_value(|_| None), Ok(None));
}

#[test]
fn a_required_setting_needs_a_value() {
    let m = Manifest::parse(
        &with_settings("[[settings]]\nkey = \"team\"\nlabel = \"Team\"\nrequired = true\n"),
        manifest_path(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let team = m.setting("team").unwrap();
    assert_eq!(
        team.parse_value(|_| Some("")).unwrap_err().to_string(),
        "`Team` is required"
    );
    assert_eq!(m.overview(), Some("Syncs **everything**."));
}

#[test]
fn every_settings_mistake_is_reported_at_once() {
    let source = with_settings(
        r#"[[settings]]
key = "limit"
label = "Limit"
kind = "nubmer"

[[settings]]
key = "sync"
label = "Sync"
kind = "select"

[[settings]]
key = "count"
label = "Count"
kind = "number"
default = "ten"
pattern = "[0-9]+"

[[settings]]
key = "count"
label = "Again"

[[settings]]
key = "token"
label = "Token"
kind = "password"
"#,
    );
    let d = Manifest::parse(&source, manifest_path()).expect_err("refused");
    let found: Vec<(usize, usize, &str, &str)> =
        d.0.iter()
            .map(|d| (d.line, d.column, d.field.as_str(), d.message.as_str()))
            .collect();
    let expect = [
        (18, 8, "settings[0].kind", "unknown setting kind `nubmer`"),
        (20, 1, "settings[1].options", "missing field `options`"),
        (29, 11, "settings[2].default", "expected a number"),
        (
            30,
            11,
            "settings[2].pattern",
            "`pattern` only applies to `text` settings",
        ),
        (33, 7, "settings[3].key", "duplicate setting key `count`"),
        (39, 8, "settings[4].kind", "a setting cannot be a password"),
    ];
    for (line, column, field, message) in expect {
        assert!(
            found
                .iter()
                .any(|f| (f.0, f.1, f.2) == (line, column, field) && f.3.contains(message)),
            "no {field} at {line}:{column} ({message}) in:\n{d}"
        );
    }
    assert_eq!(found.len(), expect.len(), "{d}");
    let kind = d.0.iter().find(|d| d.field == "settings[0].kind").unwrap();
    assert_eq!(kind.help.as_deref(), Some("did you mean \"number\"?"));
}

#[test]
fn templates_refer_to_declared_settings_only() {
    let source = BASE.replace(
        "authorization = { type = \"none\" }",
        "authorization = { type = \"none\" }\nheaders = { \"X-Team\" = \"{settings.teem}\", \"X-Map\" = \"{settings.fields}\", \"X-Opt\" = \"{settings.note}\" }",
    ) + r#"
[[settings]]
key = "team"
label = "Team"
default = "core"

[[settings]]
key = "fields"
label = "Fields"
kind = "field_mapping"
fields = ["title"]

[[settings]]
key = "note"
label = "Note"
"#;
    let d = Manifest::parse(&source, manifest_path()).expect_err("refused");
    let text = d.to_string();
    assert_eq!(d.len(), 3, "{text}");
    assert!(
        text.contains("`{settings.teem}` refers to an undeclared setting"),
        "{text}"
    );
    assert!(text.contains("did you mean `{settings.team}`?"), "{text}");
    assert!(text.contains("it is a field mapping"), "{text}");
    assert!(text.contains("it is optional and has no default"), "{text}");

    let fixed = source
        .replace("{settings.teem}", "{settings.team}")
        .replace(
            ", \"X-Map\" = \"{settings.fields}\", \"X-Opt\" = \"{settings.note}\"",
            "",
        );
    let m = Manifest::parse(&fixed, manifest_path()).unwrap_or_else(|d| panic!("{d}"));
    let ctx = paragon_manifest::RenderContext::new().setting("team", "ops");
    let headers = m.default_headers(&ctx).unwrap();
    assert_eq!(headers, [("X-Team".to_owned(), "ops".to_owned())]);
}

#[test]
fn control_characters_are_refused() {
    let m = Manifest::load(manifest_path()).unwrap();
    let project = m.setting("project").unwrap();
    assert_eq!(
        project
            .parse_value(|_| Some("OPS-1\r\nX-Evil: 1"))
            .unwrap_err()
            .to_string(),
        "`Project` must not contain control characters such as line breaks"
    );
    let fields = m.setting("fields").unwrap();
    assert!(fields.parse_value(|f| f.map(|_| "a\nb")).is_err());
}

#[test]
fn settings_are_refused_where_there_is_no_credential_yet() {
    let source = BASE.replace(
        "[auth]\ntype = \"none\"",
        "[auth]\ntype = \"oauth\"\nauthorization_url = \"https://acme.example/{settings.team}/authorize\"\ntoken_url = \"https://acme.example/token\"\nclient_id = \"{env.ID}\"\nclient_secret = \"{env.SECRET}\"",
    )
    .replace("authorization = { type = \"none\" }", "authorization = { type = \"bearer\", token = \"{credential.access_token}\" }")
        + "\n[[settings]]\nkey = \"team\"\nlabel = \"Team\"\ndefault = \"core\"\n";
    let d = Manifest::parse(&source, manifest_path()).expect_err("refused");
    assert_eq!(d.len(), 1, "{d}");
    let only = &d.0[0];
    assert_eq!(
        (only.line, only.field.as_str()),
        (9, "auth.authorization_url"),
        "{d}"
    );
    assert!(only.message.contains("there is none yet"), "{d}");
}
