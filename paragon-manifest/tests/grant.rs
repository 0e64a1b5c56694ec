//! `grant` on a `client_credentials` setup: the password grant and a pasted refresh token,
//! rendered, and their mistakes refused at their position.

use std::path::{Path, PathBuf};

use paragon_manifest::{Diagnostic, Diagnostics, Manifest, RenderContext, TokenGrant};

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml")
}

fn parse(source: &str) -> Result<Manifest, Diagnostics> {
    Manifest::parse(source, manifest_path())
}

const PASSWORD: &str = r##"name = "Owner"
description = "An API whose users sign in with a password."
icon = "icon.svg"
color = "#112233"

[auth]
type = "client_credentials"
grant = "password"
token_url = "https://owner.example/oauth/token"
client_id = "{env.OWNER_CLIENT_ID}"
client_secret = "{env.OWNER_CLIENT_SECRET}"
username = "{input.username}"
password = "{input.password}"

[[inputs]]
key = "username"
label = "Username"

[[inputs]]
key = "password"
label = "Password"
kind = "password"

[api]
base_url = "https://owner.example/api"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "`{from}` is not in the base manifest");
    base.replacen(from, to, 1)
}

fn single_error(source: &str) -> Diagnostic {
    let diagnostics = parse(source).expect_err("the manifest should be refused");
    assert_eq!(diagnostics.len(), 1, "expected one problem:\n{diagnostics}");
    diagnostics.0.into_iter().next().unwrap()
}

#[track_caller]
fn assert_at(d: &Diagnostic, line: usize, column: usize, field: &str, message: &str) {
    assert_eq!(
        (d.line, d.column, d.field.as_str()),
        (line, column, field),
        "\n{d}"
    );
    assert!(
        d.message.contains(message),
        "{:?} lacks {message:?}",
        d.message
    );
}

#[test]
fn the_password_grant_renders_the_users_inputs() {
    let m = parse(PASSWORD).unwrap();
    let cc = m.auth().client_credentials().unwrap();
    let TokenGrant::Password { username, password } = cc.grant() else {
        panic!("a password grant: {:?}", cc.grant());
    };
    let ctx = RenderContext::new().inputs([("username", "grace"), ("password", "pw")]);
    assert_eq!(username.render(&ctx).unwrap(), "grace");
    assert_eq!(password.render(&ctx).unwrap(), "pw");
}

#[test]
fn a_pasted_refresh_token_is_a_secret_input() {
    let source = edit(
        &edit(
            PASSWORD,
            "grant = \"password\"",
            "grant = \"refresh_token\"",
        ),
        "username = \"{input.username}\"\npassword = \"{input.password}\"",
        "refresh_token = \"{input.password}\"",
    );
    let m = parse(&source).unwrap();
    assert!(matches!(
        m.auth().client_credentials().unwrap().grant(),
        TokenGrant::RefreshToken { .. }
    ));

    let d = single_error(&edit(&source, "kind = \"password\"", "kind = \"text\""));
    assert_at(
        &d,
        12,
        17,
        "auth.refresh_token",
        "holds the refresh token but is not marked secret",
    );
}

#[test]
fn grant_mistakes_are_refused_where_they_are() {
    let d = single_error(&edit(
        PASSWORD,
        "\"password\"\ntoken_url",
        "\"pasword\"\ntoken_url",
    ));
    assert_at(&d, 8, 9, "auth.grant", "unknown grant `pasword`");
    assert_eq!(d.help.as_deref(), Some("did you mean \"password\"?"));

    let d = single_error(&edit(PASSWORD, "username = \"{input.username}\"\n", ""));
    assert_eq!(d.field, "auth.username", "\n{d}");
    assert!(d.message.contains("missing field `username`"), "{d}");

    // Without `grant` (client credentials), both of the password grant's fields are refused.
    let diagnostics =
        parse(&edit(PASSWORD, "grant = \"password\"\n", "")).expect_err("stray fields");
    assert_eq!(diagnostics.len(), 2, "{diagnostics}");
    assert_at(
        &diagnostics.0[0],
        11,
        12,
        "auth.username",
        "`username` is only used with grant = \"password\"",
    );
    assert_at(
        &diagnostics.0[1],
        12,
        12,
        "auth.password",
        "`password` is only used with grant = \"password\"",
    );
}
