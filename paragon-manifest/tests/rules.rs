//! One bad manifest per validation rule: the message, the field and the position.

use std::path::{Path, PathBuf};

use paragon_manifest::{Diagnostic, Diagnostics, Manifest};

/// Manifests are parsed as if they were in `specs/tasklab/`, so `icon.svg` resolves.
fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml")
}

fn parse(source: &str) -> Result<Manifest, Diagnostics> {
    Manifest::parse(source, manifest_path())
}

const OAUTH: &str = r##"name = "Acme"
description = "Acme's API."
icon = "icon.svg"
color = "#112233"

[auth]
type = "oauth"
authorization_url = "https://acme.example/oauth/authorize"
token_url = "https://acme.example/oauth/token"
client_id = "{env.ACME_CLIENT_ID}"
client_secret = "{env.ACME_CLIENT_SECRET}"
scopes = ["read", "write"]

[[inputs]]
key = "region"
label = "Region"

[api]
base_url = "https://{input.region}.acme.example/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

const API_KEY: &str = r##"name = "Keyed"
description = "An API keyed by a header."
icon = "icon.svg"
color = "#112233"

[auth]
type = "api_key"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[api]
base_url = "https://api.keyed.example"
test_endpoint = "/me"
authorization = { type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }
"##;

const CLIENT_CREDENTIALS: &str = r##"name = "Machine"
description = "An API for machines."
icon = "icon.svg"
color = "#112233"

[auth]
type = "client_credentials"
token_url = "https://machine.example/token"
client_id = "{input.client_id}"
client_secret = "{input.client_secret}"

[[inputs]]
key = "client_id"
label = "Client ID"

[[inputs]]
key = "client_secret"
label = "Client secret"
kind = "password"

[api]
base_url = "https://machine.example/api"
test_endpoint = "/status"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

/// `base` with `from` replaced by `to` (which must occur, so a test cannot silently pass).
fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "`{from}` is not in the base manifest");
    base.replacen(from, to, 1)
}

/// Asserts exactly one problem and returns it.
fn single_error(source: &str) -> Diagnostic {
    let diagnostics = parse(source).expect_err("the manifest should be refused");
    assert_eq!(
        diagnostics.len(),
        1,
        "expected one problem, got:\n{diagnostics}"
    );
    diagnostics.0.into_iter().next().unwrap()
}

/// Asserts the position, field and a part of the message.
#[track_caller]
fn assert_at(d: &Diagnostic, line: usize, column: usize, field: &str, message: &str) {
    assert_eq!(
        (d.line, d.column, d.field.as_str()),
        (line, column, field),
        "\n{d}"
    );
    assert!(
        d.message.contains(message),
        "message {:?} lacks {message:?}",
        d.message
    );
    assert_eq!(d.file, manifest_path());
}

#[test]
fn the_base_manifests_are_valid() {
    for base in [OAUTH, API_KEY, CLIENT_CREDENTIALS] {
        if let Err(d) = parse(base) {
            panic!("{d}");
        }
    }
}

#[test]
fn toml_syntax_errors_have_positions() {
    let d = single_error(&edit(OAUTH, "color = \"#112233\"", "color = #112233"));
    assert_at(&d, 4, 9, "", "invalid TOML");
}

#[test]
fn unknown_top_level_key_suggests_the_closest() {
    let d = single_error(&edit(
        OAUTH,
        "icon = \"icon.svg\"",
        "icon = \"icon.svg\"\ncolour = \"#000000\"",
    ));
    assert_at(&d, 4, 1, "colour", "unknown field `colour`");
    assert_eq!(d.help.as_deref(), Some("did you mean `color`?"));
}

#[test]
fn a_misspelled_required_field_is_reported_once() {
    // Not also as "missing field `token_url`": the suggestion already says what to do.
    let d = single_error(&edit(OAUTH, "token_url =", "tokn_url ="));
    assert_at(&d, 9, 1, "auth.tokn_url", "unknown field `tokn_url`");
    assert_eq!(d.help.as_deref(), Some("did you mean `token_url`?"));
    let d = single_error(&edit(OAUTH, "description =", "descripton ="));
    assert_at(&d, 2, 1, "descripton", "unknown field `descripton`");
    // A missing field with no near miss is still reported.
    let d = single_error(&edit(OAUTH, "description = \"Acme's API.\"\n", ""));
    assert_at(&d, 1, 1, "description", "missing field `description`");
}

#[test]
fn unknown_key_in_a_table() {
    let d = single_error(&edit(OAUTH, "scopes = [", "scope = [\"x\"]\nscopes = ["));
    assert_at(&d, 12, 1, "auth.scope", "unknown field `scope`");
    assert_eq!(d.help.as_deref(), Some("did you mean `scopes`?"));
}

#[test]
fn unknown_key_in_an_inline_table() {
    let d = single_error(&edit(
        OAUTH,
        "access_token}\" }",
        "access_token}\", kind = 1 }",
    ));
    assert_at(&d, 21, 73, "api.authorization.kind", "unknown field `kind`");
}

#[test]
fn key_of_another_auth_method() {
    let d = single_error(&edit(
        API_KEY,
        "type = \"api_key\"",
        "type = \"api_key\"\npkce = true",
    ));
    assert_at(
        &d,
        8,
        1,
        "auth.pkce",
        "does not apply to `type = \"api_key\"`",
    );
}

#[test]
fn wrong_types() {
    let d = single_error(&edit(OAUTH, "color = \"#112233\"", "color = 112233"));
    assert_at(&d, 4, 9, "color", "expected a string, found an integer");
    let d = single_error(&edit(
        OAUTH,
        "scopes = [\"read\", \"write\"]",
        "scopes = \"read\"",
    ));
    assert_at(
        &d,
        12,
        10,
        "auth.scopes",
        "expected an array of strings, found a string",
    );
    let d = single_error(&edit(OAUTH, "scopes = [", "pkce = \"yes\"\nscopes = ["));
    assert_at(
        &d,
        12,
        8,
        "auth.pkce",
        "expected `true` or `false`, found a string",
    );
    // After `[auth]`, a key belongs to `auth`: the help says so.
    let d = single_error(&edit(OAUTH, "scopes = [", "inputs = 3\nscopes = ["));
    assert_at(&d, 12, 1, "auth.inputs", "unknown field `inputs`");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("move `inputs` above the first header")
    );
    let source = edit(OAUTH, "name = \"Acme\"", "inputs = 3\nname = \"Acme\"");
    let source = edit(
        &source,
        "[[inputs]]\nkey = \"region\"\nlabel = \"Region\"\n",
        "",
    );
    let d = parse(&source).unwrap_err();
    let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["inputs", "api.base_url"], "{d}");
    assert!(
        d.0[0]
            .message
            .contains("expected an array of tables (`[[inputs]]`), found an integer")
    );
}

#[test]
fn missing_top_level_field() {
    let d = single_error(&edit(OAUTH, "description = \"Acme's API.\"\n", ""));
    assert_at(&d, 1, 1, "description", "missing field `description`");
}

#[test]
fn missing_field_for_oauth() {
    let d = single_error(&edit(
        OAUTH,
        "token_url = \"https://acme.example/oauth/token\"\n",
        "",
    ));
    assert_at(
        &d,
        6,
        1,
        "auth.token_url",
        "missing field `token_url` in `auth`",
    );
}

#[test]
fn missing_field_for_client_credentials() {
    let d = single_error(&edit(
        CLIENT_CREDENTIALS,
        "client_secret = \"{input.client_secret}\"\n",
        "",
    ));
    assert_at(
        &d,
        6,
        1,
        "auth.client_secret",
        "missing field `client_secret`",
    );
}

#[test]
fn api_key_needs_an_input() {
    let source = edit(
        API_KEY,
        "[[inputs]]\nkey = \"api_key\"\nlabel = \"API key\"\nkind = \"password\"\n",
        "",
    );
    let source = edit(&source, "{input.api_key}", "{env.KEY}");
    let d = single_error(&source);
    assert_at(&d, 6, 1, "inputs", "needs at least one `[[inputs]]`");
}

#[test]
fn missing_api_authorization() {
    let d = single_error(&edit(
        OAUTH,
        "authorization = { type = \"bearer\", token = \"{credential.access_token}\" }\n",
        "",
    ));
    assert_at(
        &d,
        18,
        1,
        "api.authorization",
        "missing field `authorization`",
    );
}

#[test]
fn unknown_auth_type() {
    let d = single_error(&edit(API_KEY, "type = \"api_key\"", "type = \"apikey\""));
    assert_at(
        &d,
        7,
        8,
        "auth.type",
        "unknown authentication type `apikey`",
    );
    assert_eq!(d.help.as_deref(), Some("write \"api_key\""));
}

#[test]
fn unknown_api_authorization_type() {
    let d = single_error(&edit(OAUTH, "type = \"bearer\"", "type = \"jwt\""));
    assert_at(
        &d,
        21,
        26,
        "api.authorization.type",
        "unknown API authorization `jwt`",
    );
}

#[test]
fn icon_that_is_not_svg() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("icon.svg"),
        "<html><body>not an icon</body></html>",
    )
    .unwrap();
    let file = dir.path().join("integration.toml");
    let d = Manifest::parse(OAUTH, &file).unwrap_err();
    assert_eq!(d.len(), 1, "{d}");
    let d = &d.0[0];
    assert_eq!((d.line, d.column, d.field.as_str()), (3, 8, "icon"));
    assert!(d.message.contains("not an SVG document"), "{d}");
    assert_eq!(d.file, file);

    std::fs::write(dir.path().join("icon.svg"), [0x89, b'P', b'N', b'G', 0, 1]).unwrap();
    let d = Manifest::parse(OAUTH, &file).unwrap_err();
    assert!(d.0[0].message.contains("not UTF-8"), "{d}");

    std::fs::write(
        dir.path().join("icon.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    assert!(Manifest::parse(OAUTH, &file).is_ok());
}

#[test]
fn icon_that_is_missing_or_outside_the_folder() {
    let d = single_error(&edit(OAUTH, "icon.svg", "logo.svg"));
    assert_at(&d, 3, 8, "icon", "cannot read the icon");
    let d = single_error(&edit(OAUTH, "icon.svg", "../github/icon.svg"));
    assert_at(&d, 3, 8, "icon", "stay inside the integration folder");
    let d = single_error(&edit(OAUTH, "icon.svg", "/etc/hostname"));
    assert_at(&d, 3, 8, "icon", "must be relative");
}

#[test]
fn an_inline_svg_icon_needs_no_file() {
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>"#;
    let source = edit(OAUTH, "\"icon.svg\"", &format!("'{svg}'"));
    // Parsed from a folder without any icon file.
    let dir = tempfile::tempdir().unwrap();
    let m = Manifest::parse(&source, dir.path().join("integration.toml"))
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(m.icon_svg(), svg);
    assert_eq!(m.icon_path(), None);

    let d = single_error(&edit(OAUTH, "\"icon.svg\"", "'<html><body/></html>'"));
    assert_at(&d, 3, 8, "icon", "the icon is not an SVG document");
    let big = format!("'<svg>{}</svg>'", " ".repeat(300 * 1024));
    let d = single_error(&edit(OAUTH, "\"icon.svg\"", &big));
    assert_at(&d, 3, 8, "icon", "the inline icon is larger than");
}

#[test]
fn accent_color_format() {
    for bad in ["blue", "#12345", "#1234567", "#GGGGGG", "112233"] {
        let d = single_error(&edit(OAUTH, "#112233", bad));
        assert_at(&d, 4, 9, "color", "accent color must be `#RRGGBB`");
    }
    assert!(parse(&edit(OAUTH, "#112233", "#a1B2c3")).is_ok());
}

#[test]
fn urls_must_be_https() {
    let d = single_error(&edit(
        OAUTH,
        "https://acme.example/oauth/token",
        "http://acme.example/oauth/token",
    ));
    assert_at(
        &d,
        9,
        13,
        "auth.token_url",
        "only allowed for loopback hosts",
    );
    let d = single_error(&edit(
        OAUTH,
        "https://acme.example/oauth/token",
        "/oauth/token",
    ));
    assert_at(&d, 9, 13, "auth.token_url", "not an absolute URL");
    let d = single_error(&edit(
        API_KEY,
        "https://api.keyed.example",
        "ftp://api.keyed.example",
    ));
    assert_at(&d, 15, 12, "api.base_url", "the scheme must be `https`");
    let d = single_error(&edit(
        OAUTH,
        "https://{input.region}.acme",
        "http://{input.region}.acme",
    ));
    assert_at(
        &d,
        19,
        12,
        "api.base_url",
        "only allowed for loopback hosts",
    );
}

#[test]
fn http_is_fine_for_loopback_hosts() {
    for base in [
        "http://127.0.0.1:8080/v1",
        "http://localhost:3000",
        "http://[::1]:9000/api",
    ] {
        let m = parse(&edit(API_KEY, "https://api.keyed.example", base)).unwrap();
        assert_eq!(m.api().base_url_template().as_str(), base);
    }
}

#[test]
fn test_endpoint_must_be_a_relative_path() {
    for bad in [
        "me",
        "https://api.keyed.example/me",
        "//evil.example/me",
        "/me#x",
        "/{input.api_key}",
    ] {
        let d = single_error(&edit(
            API_KEY,
            "test_endpoint = \"/me\"",
            &format!("test_endpoint = \"{bad}\""),
        ));
        assert_at(
            &d,
            16,
            17,
            "api.test_endpoint",
            "must be a path relative to the base URL",
        );
    }
    let m = parse(&edit(API_KEY, "\"/me\"", "\"/me?fields=id\"")).unwrap();
    assert_eq!(m.test_endpoint(), "/me?fields=id");
}

#[test]
fn undeclared_input_reference() {
    let d = single_error(&edit(OAUTH, "{input.region}", "{input.regoin}"));
    assert_at(
        &d,
        19,
        21,
        "api.base_url",
        "`{input.regoin}` refers to an undeclared input",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `{input.region}`?"));
}

#[test]
fn uncaptured_credential_reference() {
    let d = single_error(&edit(
        OAUTH,
        "https://{input.region}.acme.example",
        "{credential.instance_url}",
    ));
    assert_at(
        &d,
        19,
        13,
        "api.base_url",
        "is not captured from the token response",
    );
    let ok = edit(
        OAUTH,
        "https://{input.region}.acme.example",
        "{credential.instance_url}",
    );
    let ok = edit(
        &ok,
        "scopes = [",
        "capture = [\"instance_url\"]\nscopes = [",
    );
    assert_eq!(parse(&ok).unwrap().auth().capture(), ["instance_url"]);
}

#[test]
fn access_token_needs_oauth() {
    let d = single_error(&edit(
        API_KEY,
        "authorization = { type = \"headers\", headers = { \"X-Api-Key\" = \"{input.api_key}\" } }",
        "authorization = { type = \"bearer\", token = \"{credential.access_token}\" }",
    ));
    assert_at(
        &d,
        17,
        45,
        "api.authorization.token",
        "needs OAuth authentication",
    );
}

#[test]
fn no_credential_before_the_token_exists() {
    let d = single_error(&edit(
        OAUTH,
        "https://acme.example/oauth/token",
        "https://acme.example/{credential.access_token}/token",
    ));
    assert_at(&d, 9, 35, "auth.token_url", "there is no credential yet");
}

#[test]
fn malformed_templates() {
    let d = single_error(&edit(OAUTH, "{input.region}", "{secret.region}"));
    assert_at(
        &d,
        19,
        21,
        "api.base_url",
        "unknown reference namespace `secret`",
    );
    let d = single_error(&edit(OAUTH, "{input.region}", "{input.region"));
    assert_at(&d, 19, 21, "api.base_url", "unclosed `{`");
    let d = single_error(&edit(OAUTH, "/v1\"", "/v1}\""));
    assert_at(&d, 19, 51, "api.base_url", "unmatched `}`");
}

#[test]
fn literal_client_secret_and_id() {
    let d = single_error(&edit(OAUTH, "{env.ACME_CLIENT_SECRET}", "s3cr3t"));
    assert_at(&d, 11, 17, "auth.client_secret", "literal client secret");
    assert_eq!(
        d.help.as_deref(),
        Some(
            "reference an environment secret: `{env.EXAMPLE_CLIENT_SECRET}` (or, for the end user's own OAuth app, an input: `{input.client_secret}`)"
        )
    );
    assert!(!d.to_string().contains("help: s3cr3t"));
    let d = single_error(&edit(OAUTH, "{env.ACME_CLIENT_ID}", "acme-app"));
    assert_at(&d, 10, 13, "auth.client_id", "literal client id");
    let d = single_error(&edit(
        OAUTH,
        "{env.ACME_CLIENT_SECRET}",
        "x{env.ACME_CLIENT_SECRET}",
    ));
    assert_at(
        &d,
        11,
        17,
        "auth.client_secret",
        "must be a single reference",
    );
    // The end user's own OAuth app (a self-hosted product's) may come from inputs, but the
    // secret only from a secret one.
    let d = single_error(&edit(OAUTH, "{env.ACME_CLIENT_SECRET}", "{input.region}"));
    assert_at(&d, 11, 17, "auth.client_secret", "is not marked secret");
}

#[test]
fn a_self_hosted_products_own_oauth_app_comes_from_inputs_with_its_host() {
    let own = edit(
        &edit(
            &edit(
                OAUTH,
                "client_id = \"{env.ACME_CLIENT_ID}\"\nclient_secret = \"{env.ACME_CLIENT_SECRET}\"",
                "client_id = \"{input.client_id}\"\nclient_secret = \"{input.client_secret}\"",
            ),
            "[[inputs]]\nkey = \"region\"",
            "[[inputs]]\nkey = \"server\"\nlabel = \"Server\"\nkind = \"host\"\n\n[[inputs]]\nkey = \"client_id\"\nlabel = \"Client ID\"\n\n[[inputs]]\nkey = \"client_secret\"\nlabel = \"Client secret\"\nkind = \"password\"\n\n[[inputs]]\nkey = \"region\"",
        ),
        "token_url = \"https://acme.example/oauth/token\"",
        "token_url = \"https://{input.server}/oauth/token\"",
    );
    let m = parse(&own).unwrap();
    let oauth = m.auth().oauth().unwrap();
    let ctx = paragon_manifest::RenderContext::new()
        .input("server", "jira.example.org:8443")
        .input("client_id", "their-app")
        .input("client_secret", "their-secret");
    assert_eq!(oauth.client_id(&ctx).unwrap(), "their-app");
    assert_eq!(
        oauth.token_url(&ctx).unwrap().as_str(),
        "https://jira.example.org:8443/oauth/token"
    );
    // With the owner's secret, the same host is refused.
    let d = single_error(&edit(
        &own,
        "client_secret = \"{input.client_secret}\"",
        "client_secret = \"{env.ACME_CLIENT_SECRET}\"",
    ));
    assert_at(&d, 9, 22, "auth.token_url", "`{input.server}`");
}

#[test]
fn literal_secrets_in_api_authorization() {
    let d = single_error(&edit(
        OAUTH,
        "token = \"{credential.access_token}\"",
        "token = \"abc123\"",
    ));
    assert_at(&d, 21, 44, "api.authorization.token", "literal secret");
    let d = single_error(&edit(API_KEY, "\"{input.api_key}\" }", "\"k-123\" }"));
    assert_at(
        &d,
        17,
        63,
        "api.authorization.headers.X-Api-Key",
        "literal value in `api.authorization.headers.X-Api-Key`",
    );
}

/// Finding 16 of issue 12: user metadata is end-user writable (PATCH /sdk/me), so it cannot
/// choose what authorizes a call.
#[test]
fn user_metadata_in_api_authorization() {
    let d = single_error(&edit(
        OAUTH,
        "token = \"{credential.access_token}\"",
        "token = \"{user.token}\"",
    ));
    assert_at(&d, 21, 44, "api.authorization.token", "`{user.token}`");
    let d = single_error(&edit(
        API_KEY,
        "\"{input.api_key}\" }",
        "\"{input.api_key}-{user.plan}\" }",
    ));
    assert_at(
        &d,
        17,
        63,
        "api.authorization.headers.X-Api-Key",
        "`{user.plan}`",
    );
}

#[test]
fn client_credentials_secret_input_must_be_secret() {
    let d = single_error(&edit(
        CLIENT_CREDENTIALS,
        "kind = \"password\"",
        "kind = \"text\"",
    ));
    assert_at(&d, 10, 17, "auth.client_secret", "not marked secret");
}

#[test]
fn duplicate_input_keys() {
    let source =
        format!("{CLIENT_CREDENTIALS}\n[[inputs]]\nkey = \"client_id\"\nlabel = \"Again\"\n");
    let d = single_error(&source);
    assert_at(
        &d,
        27,
        7,
        "inputs[2].key",
        "duplicate input key `client_id`",
    );
    assert!(d.help.as_deref().unwrap().contains("line 13"));
}

#[test]
fn input_field_rules() {
    let d = single_error(&edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\nkind = \"select\"",
    ));
    assert_at(&d, 14, 1, "inputs[0].options", "missing field `options`");
    let d = single_error(&edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\noptions = [\"us\"]",
    ));
    assert_at(
        &d,
        17,
        1,
        "inputs[0].options",
        "only apply to `kind = \"select\"`",
    );
    let d = single_error(&edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\npattern = \"[a-z\"",
    ));
    assert_at(&d, 17, 11, "inputs[0].pattern", "invalid pattern");
    // The regex crate's own `error: ` prefix is not repeated after ours.
    assert_eq!(d.message, "invalid pattern: unclosed character class");
    let d = single_error(&edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\npattern = \"[a-z]+\"\ndefault = \"EU\"",
    ));
    assert_at(&d, 18, 11, "inputs[0].default", "must match `[a-z]+`");
    let d = single_error(&edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\nkind = \"select\"\noptions = [\"us\", \"eu\"]\ndefault = \"apac\"",
    ));
    assert_at(&d, 19, 11, "inputs[0].default", "must be one of: us, eu");
    let source = edit(OAUTH, "key = \"region\"", "key = \"region-id\"");
    let source = edit(&source, "{input.region}", "{env.REGION}");
    let d = single_error(&source);
    assert_at(&d, 15, 7, "inputs[0].key", "not a name templates can use");
}

#[test]
fn header_rules() {
    let d = single_error(&format!("{API_KEY}\n[api.headers]\n\"Bad Name\" = \"x\"\n"));
    assert_at(
        &d,
        20,
        1,
        "api.headers.Bad Name",
        "not a valid HTTP header name",
    );
    let d = single_error(&format!(
        "{API_KEY}\n[api.headers]\nX-Thing = \"a\\r\\nInjected: yes\"\n"
    ));
    assert_at(&d, 20, 11, "api.headers.X-Thing", "line breaks");
}

#[test]
fn every_problem_at_once_in_file_order() {
    let source = edit(OAUTH, "#112233", "blue");
    let source = edit(&source, "{env.ACME_CLIENT_SECRET}", "s3cr3t");
    let source = edit(&source, "{input.region}", "{input.subdomain}");
    let source = edit(&source, "\"/me\"", "\"me\"");
    let d = parse(&source).unwrap_err();
    let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "color",
            "auth.client_secret",
            "api.base_url",
            "api.test_endpoint"
        ]
    );
    let text = d.to_string();
    assert!(text.ends_with("error: 4 problems found"), "{text}");
}

#[test]
fn display_is_compiler_style() {
    let d = single_error(&edit(OAUTH, "#112233", "blue"));
    let expected = format!(
        "error: accent color must be `#RRGGBB`\n  --> {}:4:9\n   |\n 4 | color = \"blue\"\n   |         ^^^^^^ field `color`\n   = help: write six hex digits, e.g. \"#24292F\"\n",
        manifest_path().display()
    );
    assert_eq!(d.to_string(), expected);
}

#[test]
fn unreadable_manifest() {
    let d = Manifest::load("/nonexistent/integration.toml").unwrap_err();
    assert_eq!(d.len(), 1);
    assert_eq!((d.0[0].line, d.0[0].column), (0, 0));
    assert!(d.to_string().contains("cannot read the manifest"));
}

#[test]
fn spec_path_defaults_and_checks() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        manifest_path().with_file_name("icon.svg"),
        dir.path().join("icon.svg"),
    )
    .unwrap();
    let file = dir.path().join("integration.toml");
    assert_eq!(Manifest::parse(OAUTH, &file).unwrap().spec_path(), None);
    std::fs::write(dir.path().join("openapi.yaml"), "openapi: 3.0.0\n").unwrap();
    assert_eq!(
        Manifest::parse(OAUTH, &file).unwrap().spec_path(),
        Some(dir.path().join("openapi.yaml"))
    );
    let named = edit(
        OAUTH,
        "color = \"#112233\"",
        "color = \"#112233\"\nspec = \"api.json\"",
    );
    let d = Manifest::parse(&named, &file).unwrap_err();
    assert_eq!((d.0[0].line, d.0[0].field.as_str()), (5, "spec"));
    assert!(d.0[0].message.contains("does not exist"));
}

#[test]
fn allowed_hosts_are_bare_host_names() {
    for bad in [
        "https://uploads.keyed.example",
        "uploads.keyed.example:443",
        "*.keyed.example",
        "Uploads.Keyed.Example",
        "",
    ] {
        let d = single_error(&edit(
            API_KEY,
            "test_endpoint = \"/me\"",
            &format!("test_endpoint = \"/me\"\nallowed_hosts = [\"{bad}\"]"),
        ));
        assert_at(&d, 17, 18, "api.allowed_hosts[0]", "is not a host name");
    }
    let ok = parse(&edit(
        API_KEY,
        "test_endpoint = \"/me\"",
        "test_endpoint = \"/me\"\nallowed_hosts = [\"uploads.keyed.example\", \"127.0.0.1\"]",
    ))
    .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        ok.api().allowed_hosts(),
        ["uploads.keyed.example", "127.0.0.1"]
    );
    let upload = paragon_manifest::Url::parse("https://uploads.keyed.example/files").unwrap();
    assert!(ok.api().allows_url(&upload));
    let local = paragon_manifest::Url::parse("http://127.0.0.1:9/files").unwrap();
    assert!(ok.api().allows_url(&local));
    let plain = paragon_manifest::Url::parse("http://uploads.keyed.example/files").unwrap();
    assert!(!ok.api().allows_url(&plain), "plain http off loopback");
}

#[test]
fn an_oauth_url_whose_host_an_end_user_picks_is_refused_with_the_owners_secret() {
    let with_instance = edit(
        OAUTH,
        "[[inputs]]\nkey = \"region\"",
        "[[inputs]]\nkey = \"instance\"\nlabel = \"Instance\"\nkind = \"url\"\n\n[[inputs]]\nkey = \"region\"",
    );
    let d = single_error(&edit(
        &with_instance,
        "token_url = \"https://acme.example/oauth/token\"",
        "token_url = \"{input.instance}/oauth/token\"",
    ));
    assert_at(&d, 9, 14, "auth.token_url", "`{input.instance}`");
    let d = single_error(&edit(
        OAUTH,
        "authorization_url = \"https://acme.example/oauth/authorize\"",
        "authorization_url = \"https://{input.region}/oauth/authorize\"",
    ));
    assert_at(&d, 8, 30, "auth.authorization_url", "client secret");
    // Held to the provider's domain: fine (Zendesk, Salesforce).
    parse(&edit(
        OAUTH,
        "token_url = \"https://acme.example/oauth/token\"",
        "token_url = \"https://{input.region}.acme.example/oauth/token\"",
    ))
    .unwrap();
}

#[test]
fn a_select_or_a_subdomain_input_holds_an_oauth_host_to_hosts_the_manifest_names() {
    let with = |kind: &str, url: &str| {
        let inputs = edit(
            OAUTH,
            "[[inputs]]\nkey = \"region\"",
            &format!(
                "[[inputs]]\nkey = \"site\"\nlabel = \"Site\"\n{kind}\n\n[[inputs]]\nkey = \"region\""
            ),
        );
        edit(
            &inputs,
            "token_url = \"https://acme.example/oauth/token\"",
            &format!("token_url = \"{url}\""),
        )
    };
    let select = "kind = \"select\"\noptions = [\"api.acme.example\", \"api.acme.eu\"]";
    // (a) A select: every host is one the manifest lists, whole or in part.
    parse(&with(select, "https://{input.site}/oauth/token")).unwrap();
    let tlds = "kind = \"select\"\noptions = [\"com\", \"com.au\"]";
    parse(&with(
        tlds,
        "https://accounts.acme.{input.site}/oauth/token",
    ))
    .unwrap();
    // (b) One DNS label anywhere left of a fixed domain, checked on entry.
    let m = parse(&with(
        "kind = \"subdomain\"",
        "https://{input.site}-api.acme.example/oauth/token",
    ))
    .unwrap();
    let site = m.input("site").unwrap();
    assert!(site.check(Some("merlot")).is_ok());
    for bad in ["evil.com", "evil.com/", "a:1", "a b"] {
        let e = site.check(Some(bad)).unwrap_err();
        assert!(e.to_string().contains("single name"), "{bad}: {e}");
    }
    // The same place for a free text input: refused, the help naming the allowed forms.
    let d = single_error(&with(
        "",
        "https://{input.site}-api.acme.example/oauth/token",
    ));
    assert_at(&d, 9, 22, "auth.token_url", "must be a `subdomain` input");
    let help = d.help.as_deref().unwrap();
    for form in [
        "`select` input",
        "kind = \"subdomain\"",
        "client_id and client_secret from inputs",
    ] {
        assert!(help.contains(form), "{help}");
    }
    // A user-chosen suffix or public second level stays refused, even for a subdomain.
    let d = single_error(&with(
        "kind = \"subdomain\"",
        "https://api.acme.{input.site}/t",
    ));
    assert_at(&d, 9, 31, "auth.token_url", "no fixed domain follows it");
    let d = single_error(&with(
        "kind = \"subdomain\"",
        "https://{input.site}.co.uk/t",
    ));
    assert_at(
        &d,
        9,
        22,
        "auth.token_url",
        "`co.uk` after it is not a domain of one owner",
    );
    // A select option that is not part of a host name.
    let d = single_error(&with(
        "kind = \"select\"\noptions = [\"api.acme.example\", \"evil.example/x\"]",
        "https://{input.site}/oauth/token",
    ));
    assert_at(
        &d,
        9,
        22,
        "auth.token_url",
        "its option `evil.example/x` is not part of a host name",
    );
    // A subdomain input's default is checked like a value.
    let d = single_error(&with(
        "kind = \"subdomain\"\ndefault = \"a.b\"",
        "https://{input.site}.acme.example/t",
    ));
    assert!(d.message.contains("single name"), "{d}");
}

#[test]
fn a_token_url_from_an_input_is_fine_when_the_client_is_the_users_own() {
    let with_host = edit(
        CLIENT_CREDENTIALS,
        "[[inputs]]\nkey = \"client_id\"",
        "[[inputs]]\nkey = \"host\"\nlabel = \"Host\"\n\n[[inputs]]\nkey = \"client_id\"",
    );
    let source = edit(
        &with_host,
        "token_url = \"https://machine.example/token\"",
        "token_url = \"https://{input.host}/token\"",
    );
    parse(&source).unwrap();
    let d = single_error(&edit(
        &source,
        "client_secret = \"{input.client_secret}\"",
        "client_secret = \"{env.MACHINE_SECRET}\"",
    ));
    assert_at(&d, 8, 22, "auth.token_url", "`{input.host}`");
}

/// Asserts the exact message and help.
#[track_caller]
fn assert_says(d: &Diagnostic, message: &str, help: &str) {
    assert_eq!(
        (d.message.as_str(), d.help.as_deref()),
        (message, Some(help)),
        "\n{d}"
    );
}

/// The 1-based column of `needle` on line `line` of `source`.
fn column_of(source: &str, line: usize, needle: &str) -> usize {
    source.lines().nth(line - 1).unwrap().find(needle).unwrap() + 1
}

// Issue 15: the validator stops accepting what fails at run time.

#[test]
fn an_optional_input_without_a_default_cannot_be_used_in_a_template() {
    let optional = edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\nrequired = false",
    );
    let d = single_error(&optional);
    assert_at(&d, 20, 21, "api.base_url", "may have no value");
    assert_says(
        &d,
        "`{input.region}` may have no value: the input is optional and has no default",
        "give the input a `default`, or make it required (remove `required = false`)",
    );
    let with_default = edit(
        &optional,
        "required = false",
        "required = false\ndefault = \"eu\"",
    );
    let m = parse(&with_default).unwrap();
    assert_eq!(m.input("region").unwrap().default_value(), Some("eu"));
}

#[test]
fn protocol_parameters_cannot_be_set_by_the_manifest() {
    let extra = |table: &str, line: &str| {
        edit(
            OAUTH,
            "scopes = [\"read\", \"write\"]",
            &format!("scopes = [\"read\", \"write\"]\n[auth.{table}]\n{line}"),
        )
    };
    for (table, name) in [
        ("authorization_params", "response_type"),
        ("authorization_params", "client_id"),
        ("authorization_params", "redirect_uri"),
        ("authorization_params", "state"),
        ("token_params", "grant_type"),
        ("token_params", "client_id"),
    ] {
        let d = single_error(&extra(table, &format!("{name} = \"x\"")));
        assert_at(
            &d,
            14,
            1,
            &format!("auth.{table}.{name}"),
            "protocol parameter",
        );
        assert_says(
            &d,
            &format!("`{name}` is a protocol parameter: the server sets it itself"),
            &format!("remove `{name}` from `auth.{table}`"),
        );
    }
    parse(&extra("authorization_params", "prompt = \"consent\"")).unwrap();
}

#[test]
fn a_port_from_an_input_is_a_port_not_an_invalid_one() {
    let m = parse(&edit(
        OAUTH,
        "https://{input.region}.acme.example/v1",
        "https://acme.example:{input.region}/v1",
    ))
    .unwrap();
    let ctx = paragon_manifest::RenderContext::new().input("region", "8443");
    assert_eq!(
        m.base_url(&ctx).unwrap().as_str(),
        "https://acme.example:8443/v1"
    );
    // Plain http stays refused when a value picks the port, even on a loopback host.
    let d = single_error(&edit(
        OAUTH,
        "https://{input.region}.acme.example/v1",
        "http://localhost:{input.region}/v1",
    ));
    assert_says(
        &d,
        "`api.base_url` must be an absolute https URL: plain `http` is only allowed for a fixed loopback host and port",
        "write e.g. \"https://api.example.com/v1\" (http only for 127.0.0.1, ::1 or localhost), or start with a secret such as \"{env.EXAMPLE_URL}/v1\"",
    );
}

#[test]
fn an_empty_default_says_it_is_empty() {
    let d = single_error(&edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\ndefault = \"\"",
    ));
    assert_at(&d, 17, 11, "inputs[0].default", "empty");
    assert_says(
        &d,
        "the default value is empty",
        "remove `default` (an input without one stays empty), or write a value",
    );
}

#[test]
fn an_empty_url_says_it_is_empty() {
    let d = single_error(&edit(OAUTH, "\"https://acme.example/oauth/token\"", "\"\""));
    assert_at(&d, 9, 13, "auth.token_url", "is empty");
    assert_says(
        &d,
        "`auth.token_url` is empty",
        "write an absolute https URL, e.g. \"https://api.example.com/v1\"",
    );
}

#[test]
fn a_fixed_header_in_a_headers_authorization_points_to_api_headers() {
    let source = edit(
        API_KEY,
        "\"{input.api_key}\" }",
        "\"{input.api_key}\", Accept = \"application/json\" }",
    );
    let d = single_error(&source);
    let column = column_of(&source, 17, "\"application/json\"");
    assert_at(
        &d,
        17,
        column,
        "api.authorization.headers.Accept",
        "literal value",
    );
    assert_says(
        &d,
        "literal value in `api.authorization.headers.Accept`",
        "a fixed header belongs in `[api.headers]` (`\"Accept\" = \"…\"` there); an authorization header refers to the credential, an input or an environment secret, e.g. \"{input.api_key}\"",
    );
}

#[test]
fn a_captured_value_may_form_the_refresh_url() {
    let source = edit(
        OAUTH,
        "scopes = [\"read\", \"write\"]",
        "scopes = [\"read\", \"write\"]\ncapture = [\"instance_url\"]\nrefresh_url = \"{credential.instance_url}/oauth/token\"",
    );
    let m = parse(&source).unwrap();
    let ctx = paragon_manifest::RenderContext::new()
        .credential("instance_url", "https://eu1.acme.example");
    let oauth = m.auth().oauth().unwrap();
    assert_eq!(
        oauth.refresh_url(&ctx).unwrap().as_str(),
        "https://eu1.acme.example/oauth/token"
    );
    // Still nothing of the credential before it exists.
    let d = single_error(&edit(
        &source,
        "https://acme.example/oauth/token",
        "https://acme.example/{credential.instance_url}/token",
    ));
    assert_at(&d, 9, 35, "auth.token_url", "there is no credential yet");
}

// Issue 15: token exchange (`type = "token_exchange"`).

fn exchange_spec() -> String {
    std::fs::read_to_string(manifest_path().with_file_name("../tasklab-exchange/integration.toml"))
        .unwrap()
}

/// The line (1-based) of `needle` in `source`.
fn line_of(source: &str, needle: &str) -> usize {
    source.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn token_exchange_fields_are_checked_with_positions_and_suggestions() {
    let base = exchange_spec();
    parse(&base).unwrap();
    let cases = [
        (
            "token_path = ",
            "token_pth = ",
            "auth.token_pth",
            "unknown field `token_pth`",
            "did you mean `token_path`?",
        ),
        (
            "encoding = \"json\"",
            "encoding = \"jsn\"",
            "auth.encoding",
            "unknown encoding `jsn`",
            "did you mean \"json\"?",
        ),
        (
            "method = \"POST\"",
            "method = \"PUT\"",
            "auth.method",
            "unknown method `PUT`",
            "expected one of: `POST`, `GET`",
        ),
        (
            "token_path = \"/session/token\"",
            "token_path = \"session.token\"",
            "auth.token_path",
            "`auth.token_path` must be a JSON pointer starting with `/`",
            "write \"/session/token\"",
        ),
        (
            "expires_in_path = \"/session/expires_in\"",
            "expires_in_path = \"/session/expires_in\"\nlifetime = 3600",
            "auth.lifetime",
            "`expires_in_path` and `lifetime` both say when the token expires",
            "keep one",
        ),
        (
            "method = \"POST\"",
            "method = \"POST\"\nclient_id = \"{env.X}\"",
            "auth.client_id",
            "field `client_id` does not apply to `type = \"token_exchange\"` authentication",
            "remove it",
        ),
    ];
    for (from, to, field, message, help) in cases {
        let source = edit(&base, from, to);
        let d = single_error(&source);
        let last = to.lines().last().unwrap();
        let line = line_of(&source, last);
        let key = field.rsplit('.').next().unwrap();
        let column = if message.starts_with("unknown field") || message.starts_with("field") {
            column_of(&source, line, key)
        } else {
            column_of(&source, line, "= ") + 2
        };
        assert_at(&d, line, column, field, message);
        assert_says(&d, message, help);
    }
    let d = single_error(&edit(&base, "token_path = \"/session/token\"\n", ""));
    assert_says(
        &d,
        "missing field `token_path` in `auth`",
        "point at the token in the answer, e.g. token_path = \"/access_token\"",
    );
    // The exchange happens before there is a credential.
    let d = single_error(&edit(&base, "{input.api_key}", "{credential.access_token}"));
    assert_at(
        &d,
        line_of(&base, "api_key = \"{input"),
        12,
        "auth.params.api_key",
        "there is no credential yet",
    );
}

#[test]
fn token_exchange_requests_render_in_every_encoding() {
    use paragon_manifest::{Encoding, ExchangeMethod, Expiry, RenderContext};
    let base = exchange_spec();
    let secrets = std::collections::HashMap::from([(
        "TASKLAB_URL".to_string(),
        "http://127.0.0.1:4000".to_string(),
    )]);
    let ctx = RenderContext::new()
        .with_secrets(&secrets)
        .input("api_key", "k 1&x");
    let request = |source: &str| {
        let m = parse(source).unwrap();
        let te = m.auth().token_exchange().unwrap().clone();
        (te.clone(), te.request(&ctx).unwrap())
    };

    let (te, r) = request(&base);
    assert_eq!(
        (te.method(), te.encoding()),
        (ExchangeMethod::Post, Encoding::Json)
    );
    assert_eq!(te.token_path(), "/session/token");
    assert_eq!(te.expiry(), &Expiry::InPath("/session/expires_in".into()));
    assert_eq!(
        r.body.as_ref().unwrap().1.expose(),
        r#"{"api_key":"k 1&x"}"#
    );
    assert!(!format!("{r:?}").contains("k 1&x"), "{r:?}");

    let form = edit(&base, "encoding = \"json\"", "encoding = \"form\"");
    let (_, r) = request(&form);
    let (content_type, body) = r.body.unwrap();
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    assert_eq!(body.expose(), "api_key=k+1%26x");

    let query = edit(&base, "encoding = \"json\"", "encoding = \"query\"");
    let (_, r) = request(&query);
    assert!(r.body.is_none());
    assert_eq!(
        r.url.as_str(),
        "http://127.0.0.1:4000/auth/session?api_key=k+1%26x"
    );

    let get = edit(&base, "method = \"POST\"", "method = \"GET\"");
    let get = edit(
        &get,
        "expires_in_path = \"/session/expires_in\"",
        "lifetime = 600",
    );
    let (te, r) = request(&get);
    assert_eq!(r.method, ExchangeMethod::Get);
    assert_eq!(te.expiry(), &Expiry::Lifetime(600));
    assert!(r.url.as_str().ends_with("?api_key=k+1%26x"));

    let basic = edit(
        &base,
        "[auth.params]",
        "basic = { username = \"{input.api_key}\", password = \"x\" }\n[auth.headers]\n\"X-Client\" = \"{env.TASKLAB_URL}\"\n\n[auth.params]",
    );
    let (_, r) = request(&basic);
    let headers: Vec<(&str, &str)> = r
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose()))
        .collect();
    assert_eq!(
        headers,
        [
            ("X-Client", "http://127.0.0.1:4000"),
            // base64("k 1&x:x")
            ("Authorization", "Basic ayAxJng6eA=="),
        ]
    );
}

#[test]
fn token_encoding_is_one_of_form_json_query() {
    let source = edit(
        OAUTH,
        "scopes = [\"read\", \"write\"]",
        "scopes = [\"read\", \"write\"]\ntoken_encoding = \"jsn\"",
    );
    let d = single_error(&source);
    assert_at(&d, 13, 18, "auth.token_encoding", "unknown token_encoding");
    assert_says(&d, "unknown token_encoding `jsn`", "did you mean \"json\"?");
    let m = parse(&edit(&source, "\"jsn\"", "\"query\"")).unwrap();
    assert_eq!(
        m.auth().oauth().unwrap().token_encoding(),
        paragon_manifest::Encoding::Query
    );
    let m = parse(OAUTH).unwrap();
    assert_eq!(
        m.auth().oauth().unwrap().token_encoding(),
        paragon_manifest::Encoding::Form
    );
}

// Issue 15: the `host` input kind.

#[test]
fn host_inputs_are_checked_placed_and_inserted_unescaped() {
    let host = edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\nkind = \"host\"",
    );
    let host = edit(
        &host,
        "https://{input.region}.acme.example/v1",
        "https://{input.region}/v1",
    );
    let m = parse(&host).unwrap();
    let ctx = paragon_manifest::RenderContext::new().input("region", "git.acme.example:8443/base");
    assert_eq!(
        m.base_url(&ctx).unwrap().as_str(),
        "https://git.acme.example:8443/base/v1"
    );
    let field = m.input("region").unwrap();
    assert_eq!(field.kind(), &paragon_manifest::InputKind::Host);
    assert!(m.check_input(field, Some("git.acme.example:8443")).is_ok());
    assert_eq!(
        m.check_input(field, Some("me@evil.example"))
            .unwrap_err()
            .to_string(),
        "`Region` must be a host such as `example.com`, `example.com:8443` or `example.com/base`: it must not contain `@` (user information)"
    );
    assert!(m.check_input(field, Some("a.example?x=1")).is_err());
    assert!(m.check_input(field, Some("a.example/../admin")).is_err());

    let misplaced = edit(
        &host,
        "https://{input.region}/v1",
        "https://acme.example/{input.region}",
    );
    let d = single_error(&misplaced);
    assert_at(&d, 20, 34, "api.base_url", "host input");
    assert_says(
        &d,
        "the host input `{input.region}` must come right after `https://`",
        "write \"https://{input.region}/…\", or make the input kind = \"text\"",
    );

    let d = single_error(&edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\nkind = \"hst\"",
    ));
    assert_at(&d, 17, 8, "inputs[0].kind", "unknown input kind `hst`");
    assert_says(&d, "unknown input kind `hst`", "did you mean \"host\"?");
}

// Issue 15: fallback templates in `[api.headers]`.

#[test]
fn header_alternatives_fall_back_and_leave_out() {
    use paragon_manifest::RenderContext;
    let base = exchange_spec();
    let m = parse(&base).unwrap();
    let header = m
        .api()
        .headers()
        .iter()
        .find(|h| h.name() == "X-Tasklab-Version")
        .unwrap();
    assert_eq!(
        (
            header.name(),
            header.alternatives().len(),
            header.optional()
        ),
        ("X-Tasklab-Version", 2, true)
    );
    let none = RenderContext::new();
    assert_eq!(
        m.default_headers(&none).unwrap(),
        [("X-Tasklab-Version".to_string(), "2024-01-01".to_string())]
    );
    let both = RenderContext::new()
        .input("api_version", "2025-06-01")
        .input("team", "blue");
    assert_eq!(
        m.default_headers(&both).unwrap(),
        [
            ("X-Tasklab-Team".to_string(), "blue".to_string()),
            ("X-Tasklab-Version".to_string(), "2025-06-01".to_string()),
        ]
    );

    let source = edit(
        &base,
        "\"X-Tasklab-Team\" = [\"{input.team}\"]",
        "\"X-Tasklab-Team\" = []",
    );
    let d = single_error(&source);
    let line = line_of(&source, "\"X-Tasklab-Team\" = []");
    assert_at(
        &d,
        line,
        20,
        "api.headers.X-Tasklab-Team",
        "no alternatives",
    );
    assert_says(
        &d,
        "`api.headers.X-Tasklab-Team` has no alternatives",
        "e.g. [\"{input.version}\", \"2024-01-01\"]: the first with values is sent",
    );
    // Written plainly, a header whose optional input has no value is left out too.
    let plain = parse(&edit(&base, "[\"{input.team}\"]", "\"{input.team}\"")).unwrap();
    let team = plain
        .api()
        .headers()
        .iter()
        .find(|h| h.name() == "X-Tasklab-Team");
    assert_eq!(team.map(|h| h.optional()), Some(true));
    assert_eq!(
        plain.default_headers(&none).unwrap(),
        [("X-Tasklab-Version".to_string(), "2024-01-01".to_string())]
    );
    assert_eq!(plain.default_headers(&both).unwrap().len(), 2);
}

#[test]
fn refresh_params_replace_token_params_on_refresh() {
    let ctx = paragon_manifest::RenderContext::new();
    let with_token = edit(
        OAUTH,
        "scopes = [\"read\", \"write\"]",
        "scopes = [\"read\", \"write\"]\n[auth.token_params]\naudience = \"api\"",
    );
    let m = parse(&with_token).unwrap();
    let oauth = m.auth().oauth().unwrap();
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    // Without refresh_params, refreshes send the token parameters.
    assert_eq!(
        oauth.refresh_params(&ctx).unwrap(),
        pairs(&[("audience", "api")])
    );
    let both = edit(
        &with_token,
        "audience = \"api\"",
        "audience = \"api\"\n[auth.refresh_params]\nrotate = \"1\"",
    );
    let m = parse(&both).unwrap();
    let oauth = m.auth().oauth().unwrap();
    assert_eq!(
        oauth.token_params(&ctx).unwrap(),
        pairs(&[("audience", "api")])
    );
    assert_eq!(
        oauth.refresh_params(&ctx).unwrap(),
        pairs(&[("rotate", "1")])
    );
    let d = single_error(&edit(&both, "rotate = \"1\"", "grant_type = \"x\""));
    assert_says(
        &d,
        "`grant_type` is a protocol parameter: the server sets it itself",
        "remove `grant_type` from `auth.refresh_params`",
    );
}

#[test]
fn authorization_parameters_under_the_providers_names() {
    let source = edit(
        OAUTH,
        "scopes = [\"read\", \"write\"]",
        "scopes = [\"read\", \"write\"]\n[auth.authorization_param_names]\nclient_id = \"app_id\"\nscope = \"permissions\"",
    );
    let m = parse(&source).unwrap();
    let secrets =
        std::collections::HashMap::from([("ACME_CLIENT_ID".to_string(), "c1".to_string())]);
    let ctx = paragon_manifest::RenderContext::new().with_secrets(&secrets);
    let url = m
        .auth()
        .oauth()
        .unwrap()
        .authorize_url(
            &ctx,
            &paragon_manifest::AuthorizeRequest {
                redirect_uri: "https://app.example/oauth",
                state: "s1",
                code_challenge: None,
                nonce: None,
            },
        )
        .unwrap();
    assert_eq!(
        url.as_str(),
        "https://acme.example/oauth/authorize?response_type=code&app_id=c1\
         &redirect_uri=https%3A%2F%2Fapp.example%2Foauth&permissions=read+write&state=s1"
    );
    let d = single_error(&edit(
        &source,
        "client_id = \"app_id\"",
        "clientid = \"app_id\"",
    ));
    assert_at(
        &d,
        14,
        1,
        "auth.authorization_param_names.clientid",
        "unknown field",
    );
    assert_says(&d, "unknown field `clientid`", "did you mean `client_id`?");
    let d = single_error(&edit(&source, "\"app_id\"", "\"app id\""));
    assert_says(
        &d,
        "`app id` is not a parameter name",
        "use letters, digits, `_`, `-` or `.`, e.g. \"app_id\"",
    );
}

#[test]
fn an_explicit_slug_survives_a_rename() {
    let m = parse(&edit(
        OAUTH,
        "name = \"Acme\"",
        "name = \"Acme Cloud\"\nslug = \"acme\"",
    ))
    .unwrap();
    assert_eq!((m.name(), m.slug().as_str()), ("Acme Cloud", "custom.acme"));
    assert_eq!(parse(OAUTH).unwrap().slug(), "custom.acme");
    let source = edit(
        OAUTH,
        "name = \"Acme\"",
        "name = \"Acme\"\nslug = \"Acme-CRM\"",
    );
    let d = single_error(&source);
    assert_at(&d, 2, 8, "slug", "lowercase");
    assert_says(
        &d,
        "the slug must be lowercase letters and digits",
        "write slug = \"acmecrm\" (used as `custom.acmecrm`)",
    );
}

#[test]
fn provider_id_is_a_json_pointer() {
    let source = edit(
        OAUTH,
        "scopes = [\"read\", \"write\"]",
        "scopes = [\"read\", \"write\"]\nprovider_id = \"/account/id\"",
    );
    let m = parse(&source).unwrap();
    assert_eq!(m.auth().provider_id_path(), Some("/account/id"));
    let d = single_error(&edit(&source, "\"/account/id\"", "\"account.id\""));
    assert_at(&d, 13, 15, "auth.provider_id", "JSON pointer");
    assert_says(
        &d,
        "`auth.provider_id` must be a JSON pointer starting with `/`",
        "write \"/account/id\"",
    );
}

#[test]
fn callback_code_and_capture() {
    let source = edit(
        OAUTH,
        "scopes = [\"read\", \"write\"]",
        "scopes = [\"read\", \"write\"]\ncallback_code = \"auth_code\"\ncallback_capture = [\"realmId\"]",
    );
    let source = edit(
        &source,
        "[api]",
        "[api]\nheaders = { \"X-Realm\" = \"{credential.realmId}\" }",
    );
    let m = parse(&source).unwrap();
    let oauth = m.auth().oauth().unwrap();
    assert_eq!(oauth.callback_code(), "auth_code");
    let kept: Vec<&str> = oauth.callback_capture().iter().map(|c| c.name()).collect();
    assert_eq!(kept, ["realmId"]);
    assert!(oauth.capture().is_empty());
    assert_eq!(
        parse(OAUTH)
            .unwrap()
            .auth()
            .oauth()
            .unwrap()
            .callback_code(),
        "code"
    );

    let d = single_error(&edit(&source, "\"auth_code\"", "\"auth code\""));
    assert_says(
        &d,
        "`auth code` is not a parameter name",
        "use letters, digits, `_`, `-` or `.`, e.g. \"auth_code\"",
    );
    let both = edit(
        &source,
        "callback_capture",
        "capture = [\"realmId\"]\ncallback_capture",
    );
    let d = single_error(&both);
    assert_at(&d, 15, 21, "auth.callback_capture", "also in");
    assert_says(
        &d,
        "`realmId` is also in `auth.capture`",
        "capture each value from one place",
    );
}

#[test]
fn a_misspelled_auth_type_gets_a_suggestion() {
    let d = single_error(&edit(
        &exchange_spec(),
        "\"token_exchange\"",
        "\"token_exchnage\"",
    ));
    assert_says(
        &d,
        "unknown authentication type `token_exchnage`",
        "did you mean \"token_exchange\"?",
    );
}

#[test]
fn tools_allow_list_keeps_operation_ids_and_their_positions() {
    let m = parse(&format!(
        "{OAUTH}\n[tools]\nallow = [\"createTask\", \"listTasks\"]\n"
    ))
    .unwrap();
    let allow = m.tools().expect("[tools] was given").allow();
    let ids: Vec<_> = allow.iter().map(|a| a.operation_id.as_str()).collect();
    assert_eq!(ids, ["createTask", "listTasks"]);
    assert_eq!((allow[1].line, allow[1].column), (24, 24));
    assert!(parse(OAUTH).unwrap().tools().is_none());
}

#[test]
fn tools_allow_list_problems() {
    let d = single_error(&format!("{OAUTH}\n[tools]\nalow = [\"x\"]\n"));
    assert_at(&d, 24, 1, "tools.alow", "unknown field `alow`");
    assert_eq!(d.help.as_deref(), Some("did you mean `allow`?"));
    let d = single_error(&format!("{OAUTH}\n[tools]\nallow = []\n"));
    assert_at(&d, 24, 9, "tools.allow", "is empty");
    let d = single_error(&format!("{OAUTH}\n[tools]\nallow = [\"a\", \"a\"]\n"));
    assert_at(&d, 24, 15, "tools.allow[1]", "`a` is listed twice");
    let d = single_error(&format!("{OAUTH}\n[tools]\nallow = \"a\"\n"));
    assert_at(&d, 24, 9, "tools.allow", "expected an array of strings");
    let d = single_error(&format!("{OAUTH}\n[tools]\n"));
    assert_at(&d, 23, 1, "tools.allow", "missing field `allow`");
}

/// `OAUTH` registering its client at connect time instead of the owner's client.
fn registered() -> String {
    edit(
        OAUTH,
        "client_id = \"{env.ACME_CLIENT_ID}\"\nclient_secret = \"{env.ACME_CLIENT_SECRET}\"",
        "registration_url = \"https://acme.example/oauth/register\"",
    )
}

#[test]
fn registration_url_registers_a_client_at_connect_time() {
    let m = parse(&registered()).unwrap();
    let oauth = m.auth().oauth().unwrap();
    let registration = oauth.registration().expect("registration_url was given");
    assert_eq!(registration.client_name(), "Acme", "the integration's name");
    let ctx = paragon_manifest::RenderContext::new()
        .credential(paragon_manifest::REGISTERED_CLIENT_ID, "issued-id")
        .credential(paragon_manifest::REGISTERED_CLIENT_SECRET, "issued-secret");
    assert_eq!(
        registration.url(&ctx).unwrap().as_str(),
        "https://acme.example/oauth/register"
    );
    assert_eq!(oauth.client_id(&ctx).unwrap(), "issued-id");
    assert_eq!(oauth.client_secret(&ctx).unwrap().expose(), "issued-secret");
    let request = oauth
        .registration_request("http://127.0.0.1:5000/oauth")
        .unwrap();
    assert_eq!(request.redirect_uris, ["http://127.0.0.1:5000/oauth"]);
    assert_eq!(request.grant_types, ["authorization_code", "refresh_token"]);
    assert_eq!(request.response_types, ["code"]);
    assert_eq!(request.token_endpoint_auth_method, "client_secret_post");
    assert_eq!(request.scope.as_deref(), Some("read write"));
    assert!(
        parse(OAUTH)
            .unwrap()
            .auth()
            .oauth()
            .unwrap()
            .registration()
            .is_none()
    );

    let basic = edit(
        &registered(),
        "scopes = [",
        "client_auth = \"basic\"\nclient_name = \"Acme for Notes\"\nscopes = [",
    );
    let m = parse(&basic).unwrap();
    let request = m
        .auth()
        .oauth()
        .unwrap()
        .registration_request("http://x/oauth")
        .unwrap();
    assert_eq!(request.token_endpoint_auth_method, "client_secret_basic");
    assert_eq!(request.client_name, "Acme for Notes");
}

#[test]
fn registration_url_refuses_the_owners_client_beside_it() {
    let source = edit(
        OAUTH,
        "scopes = [",
        "registration_url = \"https://acme.example/oauth/register\"\nscopes = [",
    );
    let diagnostics = parse(&source).expect_err("an owner's client beside registration");
    assert_eq!(diagnostics.len(), 2, "{diagnostics}");
    assert_at(
        &diagnostics.0[0],
        10,
        13,
        "auth.client_id",
        "`client_id` beside `registration_url`",
    );
    assert_at(
        &diagnostics.0[1],
        11,
        17,
        "auth.client_secret",
        "`client_secret` beside `registration_url`",
    );
    assert_eq!(
        diagnostics.0[0].help.as_deref(),
        Some("remove `client_id`, or remove `registration_url` to use the owner's client")
    );
}

#[test]
fn registration_url_problems() {
    let d = single_error(&edit(
        &registered(),
        "\"https://acme.example/oauth/register\"",
        "\"acme.example/register\"",
    ));
    assert_eq!(
        (d.line, d.field.as_str()),
        (10, "auth.registration_url"),
        "\n{d}"
    );

    let d = single_error(&edit(
        OAUTH,
        "scopes = [",
        "client_name = \"Acme\"\nscopes = [",
    ));
    assert_at(
        &d,
        12,
        15,
        "auth.client_name",
        "there is no `registration_url`",
    );

    let d = single_error(&edit(
        &registered(),
        "scopes = [",
        "client_name = \" \"\nscopes = [",
    ));
    assert_at(&d, 11, 15, "auth.client_name", "`client_name` is empty");

    let d = single_error(&edit(
        &registered(),
        "scopes = [",
        "capture = [\"client_secret\"]\nscopes = [",
    ));
    assert_at(
        &d,
        11,
        12,
        "auth.capture",
        "`client_secret` is the client registered at `registration_url`",
    );

    let misspelled = parse(&edit(&registered(), "registration_url", "registraton_url"))
        .expect_err("a misspelled key");
    let d = misspelled
        .0
        .iter()
        .find(|d| d.field == "auth.registraton_url")
        .unwrap_or_else(|| panic!("{misspelled}"));
    assert_at(d, 10, 1, "auth.registraton_url", "unknown field");
    assert_eq!(d.help.as_deref(), Some("did you mean `registration_url`?"));
}

#[test]
fn a_base_url_may_fall_back_to_the_next_alternative_with_values() {
    let optional = edit(
        OAUTH,
        "label = \"Region\"",
        "label = \"Region\"\nrequired = false",
    );
    let fallback = edit(
        &optional,
        "base_url = \"https://{input.region}.acme.example/v1\"",
        "base_url = [\"https://{input.region}.acme.example/v1\", \"https://acme.example/v1\"]",
    );
    let m = parse(&fallback).unwrap();
    assert_eq!(m.api().base_url_alternatives().count(), 2);
    let none = paragon_manifest::RenderContext::new();
    assert_eq!(
        m.base_url(&none).unwrap().as_str(),
        "https://acme.example/v1"
    );
    let eu = paragon_manifest::RenderContext::new().input("region", "eu");
    assert_eq!(
        m.base_url(&eu).unwrap().as_str(),
        "https://eu.acme.example/v1"
    );
    assert_eq!(
        m.endpoint_url(&none, "/me").unwrap().as_str(),
        "https://acme.example/v1/me"
    );
    // The last alternative is what is left: it must always have values.
    let d = single_error(&edit(
        &optional,
        "base_url = \"https://{input.region}.acme.example/v1\"",
        "base_url = [\"https://acme.example/v1\", \"https://{input.region}.acme.example/v1\"]",
    ));
    assert_at(&d, 20, 49, "api.base_url[1]", "may have no value");
    // Each alternative is checked as a URL, at its own position.
    let d = single_error(&edit(
        OAUTH,
        "base_url = \"https://{input.region}.acme.example/v1\"",
        "base_url = [\"https://{input.region}.acme.example/v1\", \"http://acme.example/v1\"]",
    ));
    assert_at(
        &d,
        19,
        55,
        "api.base_url[1]",
        "must be an absolute https URL",
    );
    let d = single_error(&edit(
        OAUTH,
        "base_url = \"https://{input.region}.acme.example/v1\"",
        "base_url = []",
    ));
    assert_at(&d, 19, 12, "api.base_url", "has no alternatives");
}
