//! `client_auth = "private_key_jwt"` with `[auth.client_assertion]`: what it renders, and
//! each mistake refused at its position.

use std::path::{Path, PathBuf};

use paragon_manifest::{ClientAuth, Diagnostic, Diagnostics, Manifest, RenderContext};

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml")
}

fn parse(source: &str) -> Result<Manifest, Diagnostics> {
    Manifest::parse(source, manifest_path())
}

const SIGNED: &str = r##"name = "Signed"
description = "An OAuth client that signs its token requests."
icon = "icon.svg"
color = "#112233"

[auth]
type = "oauth"
authorization_url = "https://signed.example/oauth/authorize"
token_url = "https://signed.example/oauth/token"
client_id = "{env.SIGNED_CLIENT_ID}"
client_auth = "private_key_jwt"

[auth.client_assertion]
key = "{env.SIGNED_PRIVATE_KEY}"
algorithm = "ES256"
key_id = "key-1"

[api]
base_url = "https://api.signed.example"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

const MACHINE: &str = r##"name = "Machine"
description = "An API for machines."
icon = "icon.svg"
color = "#112233"

[auth]
type = "client_credentials"
token_url = "https://machine.example/token"
client_id = "{input.client_id}"
client_auth = "private_key_jwt"

[auth.client_assertion]
key = "{input.private_key}"

[[inputs]]
key = "client_id"
label = "Client ID"

[[inputs]]
key = "private_key"
label = "Private key (PEM)"
kind = "password"

[api]
base_url = "https://machine.example/api"
test_endpoint = "/status"
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
fn the_key_algorithm_and_key_id_render() {
    let m = parse(SIGNED).unwrap();
    let oauth = m.auth().oauth().unwrap();
    assert_eq!(oauth.client_auth(), ClientAuth::PrivateKeyJwt);
    let a = oauth.client_assertion().expect("an assertion");
    let secrets = std::collections::HashMap::from([(
        "SIGNED_PRIVATE_KEY".to_owned(),
        "-----BEGIN PRIVATE KEY-----".to_owned(),
    )]);
    let ctx = RenderContext::new().with_secrets(&secrets);
    assert_eq!(a.key(&ctx).unwrap().expose(), "-----BEGIN PRIVATE KEY-----");
    assert!(!format!("{:?}", a.key(&ctx).unwrap()).contains("BEGIN"));
    assert_eq!(a.algorithm(), "ES256");
    assert_eq!(a.key_id(&ctx).unwrap().as_deref(), Some("key-1"));

    let m = parse(MACHINE).unwrap();
    let cc = m.auth().client_credentials().unwrap();
    let a = cc.client_assertion().expect("an assertion");
    assert_eq!(a.algorithm(), "RS256", "the default");
    let ctx = RenderContext::new().inputs([("private_key", "pem")]);
    assert_eq!(a.key(&ctx).unwrap().expose(), "pem");
    assert_eq!(a.key_id(&ctx).unwrap(), None);
}

#[test]
fn private_key_jwt_needs_a_key_and_a_key_needs_private_key_jwt() {
    let without = SIGNED
        .split("[auth.client_assertion]")
        .next()
        .unwrap()
        .to_owned()
        + &SIGNED[SIGNED.find("[api]").unwrap()..];
    let d = single_error(&without);
    assert_at(
        &d,
        6,
        1,
        "auth.client_assertion",
        "missing field `client_assertion`",
    );

    let d = single_error(&edit(
        SIGNED,
        "client_auth = \"private_key_jwt\"",
        "client_secret = \"{env.SIGNED_SECRET}\"\nclient_auth = \"basic\"",
    ));
    assert_eq!(d.field, "auth.client_assertion", "\n{d}");
    assert!(
        d.message
            .contains("only used with client_auth = \"private_key_jwt\""),
        "{d}"
    );
}

#[test]
fn no_secret_beside_a_signed_assertion() {
    let d = single_error(&edit(
        SIGNED,
        "client_auth = \"private_key_jwt\"",
        "client_secret = \"{env.SIGNED_SECRET}\"\nclient_auth = \"private_key_jwt\"",
    ));
    assert_at(
        &d,
        11,
        17,
        "auth.client_secret",
        "`client_secret` beside client_auth = \"private_key_jwt\"",
    );
}

#[test]
fn the_key_is_a_reference_and_the_algorithm_a_known_one() {
    let d = single_error(&edit(
        SIGNED,
        "\"{env.SIGNED_PRIVATE_KEY}\"",
        "\"-----BEGIN\"",
    ));
    assert_at(
        &d,
        14,
        7,
        "auth.client_assertion.key",
        "literal key in the manifest",
    );

    let d = single_error(&edit(SIGNED, "\"ES256\"", "\"es256\""));
    assert_at(
        &d,
        15,
        13,
        "auth.client_assertion.algorithm",
        "unknown signing algorithm `es256`",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean \"ES256\"?"));

    let d = single_error(&edit(SIGNED, "key_id", "keyid"));
    assert_at(
        &d,
        16,
        1,
        "auth.client_assertion.keyid",
        "unknown field `keyid`",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `key_id`?"));

    let d = single_error(&edit(SIGNED, "\"private_key_jwt\"", "\"private_key_jw\""));
    assert_eq!(
        d.help.as_deref(),
        Some("did you mean \"private_key_jwt\"?"),
        "{d}"
    );

    let d = single_error(&edit(MACHINE, "kind = \"password\"", "kind = \"text\""));
    assert_at(
        &d,
        13,
        7,
        "auth.client_assertion.key",
        "holds a private key but is not marked secret",
    );
}
