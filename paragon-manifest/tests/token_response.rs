//! How token responses are read: `expires_in_unit` on client credentials
//! (`specs/tasklab-millis`), `alternate_token_path` and values captured at JSON pointers
//! (`specs/tasklab-usertoken`).

use std::path::{Path, PathBuf};

use paragon_manifest::{ExpiresInUnit, Manifest};

fn spec_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/specs/{name}"))
}

fn spec(name: &str) -> String {
    std::fs::read_to_string(spec_dir(name).join("integration.toml")).unwrap()
}

#[test]
fn expires_in_unit_reads_and_defaults_to_seconds() {
    let m = Manifest::load(spec_dir("tasklab-millis")).unwrap();
    let cc = m.auth().client_credentials().unwrap();
    assert_eq!(cc.expires_in_unit(), ExpiresInUnit::Milliseconds);
    let m = Manifest::load(spec_dir("tasklab-password")).unwrap();
    let cc = m.auth().client_credentials().unwrap();
    assert_eq!(cc.expires_in_unit(), ExpiresInUnit::Seconds);
}

#[test]
fn an_unknown_unit_is_refused_with_a_suggestion() {
    let source = spec("tasklab-millis").replacen(
        "expires_in_unit = \"milliseconds\"",
        "expires_in_unit = \"millisecond\"",
        1,
    );
    let path = spec_dir("tasklab-millis").join("integration.toml");
    let d = Manifest::parse(&source, &path).expect_err("refused");
    assert_eq!(d.len(), 1, "{d}");
    let d = &d.0[0];
    let line = source
        .lines()
        .position(|l| l.starts_with("expires_in_unit"))
        .unwrap();
    assert_eq!((d.line, d.column), (line + 1, 19), "\n{d}");
    assert_eq!(d.field, "auth.expires_in_unit");
    assert_eq!(d.message, "unknown expires_in_unit `millisecond`");
    assert_eq!(d.help.as_deref(), Some("did you mean \"milliseconds\"?"));

    // Only client credentials read it (Nango's catalogue has it nowhere else); a token
    // exchange reads its expiry at a pointer, in seconds.
    let exchange = spec("tasklab-exchange").replacen(
        "method = \"POST\"",
        "method = \"POST\"\nexpires_in_unit = \"milliseconds\"",
        1,
    );
    let d = Manifest::parse(
        &exchange,
        spec_dir("tasklab-exchange").join("integration.toml"),
    )
    .expect_err("refused");
    assert_eq!(d.0[0].message, "unknown field `expires_in_unit`", "{d}");
}

#[test]
fn the_token_is_read_at_the_alternate_path_and_values_at_pointers() {
    let m = Manifest::load(spec_dir("tasklab-usertoken")).unwrap();
    assert_eq!(m.auth().alternate_token_path(), Some("/authed_user"));
    let at = m.auth().capture_at();
    assert!(
        at.contains(&("team_id".into(), "/team/id".into())),
        "{at:?}"
    );
    assert!(
        at.contains(&("instance_url".into(), "/instance_url".into())),
        "{at:?}"
    );
    assert_eq!(at.len(), 2);
    // The names are `{credential.*}` values like any captured one.
    let mut names = m.auth().capture().to_vec();
    names.sort();
    assert_eq!(names, ["instance_url", "team_id"]);

    // The array form reads top-level values.
    let source = spec("tasklab-usertoken").replacen(
        "capture = { team_id = \"/team/id\", instance_url = \"/instance_url\" }",
        "capture = [\"team_id\"]",
        1,
    );
    let m = Manifest::parse(
        &source,
        spec_dir("tasklab-usertoken").join("integration.toml"),
    )
    .unwrap();
    assert_eq!(
        m.auth().capture_at(),
        [("team_id".to_string(), "/team_id".to_string())]
    );
}

/// Every problem at once, each at its position with a hint.
#[test]
fn pointers_and_capture_tables_are_checked() {
    let base = spec("tasklab-usertoken");
    let source = base
        .replacen(
            "alternate_token_path = \"/authed_user\"",
            "alternate_token_path = \"authed_user\"",
            1,
        )
        .replacen("team_id = \"/team/id\"", "team_id = \"team.id\"", 1)
        .replacen(
            "instance_url = \"/instance_url\"",
            "\"instance-url\" = \"/instance_url\"",
            1,
        )
        .replacen(
            "pkce = true",
            "pkce = true\ncallback_capture = { realm = \"/realm\" }",
            1,
        );
    let path = spec_dir("tasklab-usertoken").join("integration.toml");
    let d = Manifest::parse(&source, &path).expect_err("refused");
    let found: Vec<(&str, &str, Option<&str>)> =
        d.0.iter()
            .map(|d| (d.field.as_str(), d.message.as_str(), d.help.as_deref()))
            .collect();
    let expected = [
        (
            "auth.alternate_token_path",
            "`auth.alternate_token_path` must be a JSON pointer starting with `/`",
            Some("write \"/authed_user\""),
        ),
        (
            "auth.capture.team_id",
            "`auth.capture.team_id` must be a JSON pointer starting with `/`",
            Some("write \"/team/id\""),
        ),
        (
            "auth.capture",
            "`instance-url` is not a name templates can use",
            Some("use letters, digits and `_`, e.g. \"instance_url\""),
        ),
    ];
    for e in expected {
        assert!(found.contains(&e), "{e:?} not in:\n{d}");
    }
    assert!(
        found.iter().any(|(f, m, _)| *f == "auth.callback_capture"
            && m.contains("an array of names or { name, param, one_of, kind } tables")),
        "{d}"
    );
    let line = |needle: &str| source.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let pointer =
        d.0.iter()
            .find(|d| d.field == "auth.capture.team_id")
            .unwrap();
    assert_eq!(pointer.line, line("team_id = \"team.id\""));
}
