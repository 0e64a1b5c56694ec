//! Where `api.authorization` puts the credential: a `body` authorization, `params` and `body`
//! beside another type, and a `basic` pair under another scheme or header. Each refused when
//! malformed (every problem at once, at its position) and rendered as written.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use paragon_manifest::{ApiAuthorization, BodyValue, Diagnostics, Manifest, RenderContext, Secret};

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml")
}

/// An API-key manifest whose `[api.authorization]` table is `authorization` (line 23 on).
fn with_authorization(authorization: &str) -> Result<Manifest, Diagnostics> {
    let source = format!(
        r##"name = "Keyed"
description = "An API keyed in several places."
icon = "icon.svg"
color = "#112233"

[auth]
type = "api_key"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[[inputs]]
key = "account"
label = "Account"

[api]
base_url = "https://api.keyed.example"
test_endpoint = "/me"

[api.authorization]
{authorization}
"##
    );
    Manifest::parse(&source, manifest_path())
}

fn problems(authorization: &str) -> Vec<(usize, String, String, Option<String>)> {
    let d = with_authorization(authorization).expect_err("the manifest should be refused");
    d.0.into_iter()
        .map(|d| (d.line, d.field, d.message, d.help))
        .collect()
}

fn exposed(pairs: &[(String, Secret)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose()))
        .collect()
}

fn ctx() -> RenderContext<'static> {
    RenderContext::new()
        .input("api_key", "k\"1")
        .input("account", "acme")
}

#[test]
fn body_members_are_rendered_nested_and_hidden_from_debug() {
    let m = with_authorization(
        "type = \"body\"\nbody = { key = \"{input.api_key}\", auth = { account = \"{input.account}\" } }",
    )
    .unwrap();
    assert!(matches!(m.api().authorization(), ApiAuthorization::Body(_)));
    let auth = m.authorization(&ctx()).unwrap();
    assert!(auth.headers.is_empty() && auth.query.is_empty());
    // Members by name (TOML tables have no order that JSON would keep).
    assert_eq!(
        auth.body,
        [
            (
                "auth".to_owned(),
                BodyValue::Object(vec![(
                    "account".to_owned(),
                    BodyValue::Text(Secret::new("acme"))
                )])
            ),
            ("key".to_owned(), BodyValue::Text(Secret::new("k\"1"))),
        ]
    );
    assert!(!format!("{auth:?}").contains("k\\\"1"), "{auth:?}");
    let refs: Vec<String> = m.api().references().map(|r| r.to_string()).collect();
    assert_eq!(refs, ["{input.account}", "{input.api_key}"]);
}

#[test]
fn params_and_body_go_beside_a_header() {
    let m = with_authorization(
        "type = \"headers\"\nheaders = { \"X-Api-Key\" = \"{input.api_key}\" }\nparams = { account = \"{input.account}\" }\nbody = { key = \"{input.api_key}\" }",
    )
    .unwrap();
    let types: Vec<&str> = m.api().authorizations().map(|a| a.as_str()).collect();
    assert_eq!(types, ["headers", "query", "body"]);
    let auth = m.authorization(&ctx()).unwrap();
    assert_eq!(exposed(&auth.headers), [("X-Api-Key", "k\"1")]);
    assert_eq!(exposed(&auth.query), [("account", "acme")]);
    assert_eq!(auth.body.len(), 1);
}

#[test]
fn a_basic_pair_under_another_scheme_or_header() {
    let m = with_authorization(
        "type = \"basic\"\nscheme = \"Userkeyauth\"\nusername = \"{input.api_key}\"\npassword = \"{input.account}\"",
    )
    .unwrap();
    let auth = m.authorization(&ctx()).unwrap();
    let expected = format!("Userkeyauth {}", STANDARD.encode("k\"1:acme"));
    assert_eq!(
        exposed(&auth.headers),
        [("Authorization", expected.as_str())]
    );

    // ConnectSecure's shape: `client-auth-token: base64(tenant+user:pass)`, no scheme.
    let m = with_authorization(
        "type = \"basic\"\nheader = \"client-auth-token\"\nscheme = \"\"\nusername = \"{input.account}+{input.api_key}\"",
    )
    .unwrap();
    let auth = m.authorization(&ctx()).unwrap();
    let expected = STANDARD.encode("acme+k\"1:");
    assert_eq!(
        exposed(&auth.headers),
        [("client-auth-token", expected.as_str())]
    );
}

#[test]
fn malformed_body_members_are_refused_all_at_once() {
    let found = problems(
        "type = \"body\"\nbody = { key = \"abc\", n = 3, empty = {}, who = \"{user.Email}\", deep = { a = { b = { c = { d = \"{input.api_key}\" } } } } }",
    );
    let fields: Vec<&str> = found.iter().map(|(_, f, _, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "api.authorization.body.key",
            "api.authorization.body.n",
            "api.authorization.body.empty",
            "api.authorization.body.who",
            "api.authorization.body.deep.a.b.c",
        ],
        "{found:?}"
    );
    assert!(found.iter().all(|(line, ..)| *line == 24), "{found:?}");
    assert!(found[0].2.contains("literal secret"), "{found:?}");
    assert!(
        found[1]
            .2
            .contains("expected a string or a table, found an integer"),
        "{found:?}"
    );
    assert!(found[2].2.contains("is empty"), "{found:?}");
    assert!(found[3].2.contains("`{user.Email}`"), "{found:?}");
    assert!(
        found[4].2.contains("nests deeper than 4 levels"),
        "{found:?}"
    );
}

#[test]
fn a_misspelt_type_a_missing_body_and_stray_keys_are_refused() {
    let found = problems("type = \"bdy\"");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "api.authorization.type");
    assert_eq!(found[0].3.as_deref(), Some("did you mean \"body\"?"));

    let found = problems("type = \"body\"");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].2.contains("missing field `body`"), "{found:?}");

    let found = problems("type = \"none\"\nbody = { key = \"{input.api_key}\" }");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0, found[0].1.as_str()),
        (24, "api.authorization.body")
    );
}

#[test]
fn params_beside_a_type_are_checked_like_a_query_authorization() {
    let found = problems(
        "type = \"bearer\"\ntoken = \"{input.api_key}\"\nparams = { fixed = \"1\", who = \"{user.Email}\" }",
    );
    let fields: Vec<&str> = found.iter().map(|(_, f, _, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "api.authorization.params.fixed",
            "api.authorization.params.who"
        ],
        "{found:?}"
    );
    assert!(found[0].2.contains("literal secret"), "{found:?}");
}

#[test]
fn a_scheme_or_header_that_is_not_a_token_is_refused() {
    let found = problems(
        "type = \"basic\"\nusername = \"{input.api_key}\"\nscheme = \"Key pair\"\nheader = \"X Key\"",
    );
    let fields: Vec<(usize, &str)> = found.iter().map(|(l, f, _, _)| (*l, f.as_str())).collect();
    assert_eq!(
        fields,
        [
            (25, "api.authorization.scheme"),
            (26, "api.authorization.header")
        ],
        "{found:?}"
    );
    assert!(
        found[0]
            .2
            .contains("`Key pair` is not an authorization scheme")
    );
}
