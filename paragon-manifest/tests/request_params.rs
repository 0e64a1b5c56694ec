//! What the authorization and token requests send (issue 15): parameters that refer to an
//! optional input are left out without a value, parameters take alternatives, `grant_type`
//! may go on the authorization URL, and an authorization URL may route by its fragment.

use std::path::{Path, PathBuf};

use paragon_manifest::{AuthorizeRequest, Diagnostic, Manifest, RenderContext};

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml")
}

fn parse(source: &str) -> Result<Manifest, paragon_manifest::Diagnostics> {
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

[auth.authorization_params]
prompt = "consent"
organization = "{input.organization}"

[auth.token_params]
audience = ["{input.audience}", "https://api.acme.example"]
organization = "{input.organization}"

[[inputs]]
key = "organization"
label = "Organization"
required = false

[[inputs]]
key = "audience"
label = "Audience"
required = false

[api]
base_url = "https://api.acme.example/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

/// `base` with `from` replaced by `to` (which must occur, so a test cannot silently pass).
fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "`{from}` is not in the base manifest");
    base.replacen(from, to, 1)
}

fn single_error(source: &str) -> Diagnostic {
    let diagnostics = parse(source).expect_err("the manifest should be refused");
    assert_eq!(diagnostics.len(), 1, "expected one problem:\n{diagnostics}");
    diagnostics.0.into_iter().next().unwrap()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[track_caller]
fn assert_at(d: &Diagnostic, line: usize, column: usize, field: &str, message: &str) {
    assert_eq!(
        (d.line, d.column, d.field.as_str(), d.message.as_str()),
        (line, column, field, message),
        "\n{d}"
    );
}

fn secrets() -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([
        ("ACME_CLIENT_ID".to_string(), "demo".to_string()),
        ("ACME_CLIENT_SECRET".to_string(), "s".to_string()),
    ])
}

#[test]
fn a_parameter_whose_optional_input_has_no_value_is_left_out() {
    let m = parse(OAUTH).unwrap();
    let oauth = m.auth().oauth().unwrap();
    let env = secrets();
    let none = RenderContext::new().with_secrets(&env);
    assert_eq!(
        oauth.authorization_params(&none).unwrap(),
        pairs(&[("prompt", "consent")])
    );
    assert_eq!(
        oauth.token_params(&none).unwrap(),
        pairs(&[("audience", "https://api.acme.example")])
    );
    let both = RenderContext::new()
        .with_secrets(&env)
        .input("organization", "org_7")
        .input("audience", "https://other.acme.example");
    assert_eq!(
        oauth.token_params(&both).unwrap(),
        pairs(&[
            ("audience", "https://other.acme.example"),
            ("organization", "org_7")
        ])
    );
    // Without `[auth.refresh_params]`, a refresh sends the token parameters by the same rule.
    assert_eq!(
        oauth.refresh_params(&none).unwrap(),
        pairs(&[("audience", "https://api.acme.example")])
    );
    let url = oauth
        .authorize_url(
            &none,
            &AuthorizeRequest {
                redirect_uri: "https://local.example/oauth",
                state: "s1",
                code_challenge: None,
                nonce: None,
            },
        )
        .unwrap();
    assert!(!url.as_str().contains("organization"), "{url}");
    assert!(url.as_str().ends_with("&state=s1&prompt=consent"), "{url}");
}

#[test]
fn client_credentials_and_token_exchange_leave_out_the_same_way() {
    let cc = r##"name = "Machine"
description = "An API for machines."
icon = "icon.svg"
color = "#112233"

[auth]
type = "client_credentials"
token_url = "https://machine.example/token"
client_id = "{input.client_id}"
client_secret = "{input.client_secret}"

[auth.token_params]
organization = "org-{input.organization}"

[[inputs]]
key = "client_id"
label = "Client ID"

[[inputs]]
key = "client_secret"
label = "Client secret"
kind = "password"

[[inputs]]
key = "organization"
label = "Organization"
required = false

[api]
base_url = "https://machine.example/api"
test_endpoint = "/status"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;
    let m = parse(cc).unwrap();
    let cc = m.auth().client_credentials().unwrap();
    assert!(cc.token_params(&RenderContext::new()).unwrap().is_empty());
    let with = RenderContext::new().input("organization", "7");
    assert_eq!(
        cc.token_params(&with).unwrap(),
        pairs(&[("organization", "org-7")])
    );

    let exchange = std::fs::read_to_string(
        manifest_path().with_file_name("../tasklab-exchange/integration.toml"),
    )
    .unwrap();
    let exchange = edit(
        &exchange,
        "[[inputs]]",
        "[[inputs]]\nkey = \"app_key\"\nlabel = \"Application key\"\nkind = \"password\"\nrequired = false\n\n[[inputs]]",
    );
    let exchange = edit(
        &exchange,
        "[auth.params]",
        "[auth.headers]\n\"X-Application-Key\" = \"{input.app_key}\"\n\n[auth.params]\norg = \"{input.app_key}\"",
    );
    let m = parse(&exchange).unwrap();
    let te = m.auth().token_exchange().unwrap();
    let env = std::collections::HashMap::from([(
        "TASKLAB_URL".to_string(),
        "http://127.0.0.1:4000".to_string(),
    )]);
    let ctx = RenderContext::new()
        .with_secrets(&env)
        .input("api_key", "k");
    let request = te.request(&ctx).unwrap();
    assert!(
        request
            .headers
            .iter()
            .all(|(n, _)| n != "X-Application-Key")
    );
    assert!(!request.body.unwrap().1.expose().contains("org"));
    let request = te.request(&ctx.clone().input("app_key", "a1")).unwrap();
    assert!(
        request
            .headers
            .iter()
            .any(|(n, v)| n == "X-Application-Key" && v.expose() == "a1")
    );
    assert!(request.body.unwrap().1.expose().contains(r#""org":"a1""#));
}

#[test]
fn where_a_value_cannot_be_left_out_an_optional_input_is_still_refused() {
    // A URL's path or host, and a credential value, have no "left out".
    let in_token_url = edit(
        OAUTH,
        "token_url = \"https://acme.example/oauth/token\"",
        "token_url = \"https://acme.example/{input.organization}/token\"",
    );
    let d = single_error(&in_token_url);
    assert_at(
        &d,
        9,
        35,
        "auth.token_url",
        "`{input.organization}` may have no value: the input is optional and has no default",
    );
    let in_client_id = edit(
        OAUTH,
        "client_id = \"{env.ACME_CLIENT_ID}\"",
        "client_id = \"{input.organization}\"",
    );
    assert!(
        parse(&in_client_id)
            .unwrap_err()
            .to_string()
            .contains("`{input.organization}` may have no value")
    );
    let in_authorization = edit(
        OAUTH,
        "authorization = { type = \"bearer\", token = \"{credential.access_token}\" }",
        "authorization = { type = \"headers\", headers = { \"X-Org\" = \"{input.organization}\" } }",
    );
    assert!(
        parse(&in_authorization)
            .unwrap_err()
            .to_string()
            .contains("`{input.organization}` may have no value")
    );
}

#[test]
fn parameter_alternatives_are_checked_with_positions() {
    let d = single_error(&edit(
        OAUTH,
        "audience = [\"{input.audience}\", \"https://api.acme.example\"]",
        "audience = []",
    ));
    assert_at(
        &d,
        18,
        12,
        "auth.token_params.audience",
        "`auth.token_params.audience` has no alternatives",
    );
    let d = single_error(&edit(
        OAUTH,
        "[\"{input.audience}\", \"https://api.acme.example\"]",
        "[\"{input.audience}\", \"{input.audiense}\"]",
    ));
    assert_at(
        &d,
        18,
        34,
        "auth.token_params.audience[1]",
        "`{input.audiense}` refers to an undeclared input",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `{input.audience}`?"));
    let d = single_error(&edit(
        OAUTH,
        "[\"{input.audience}\", \"https://api.acme.example\"]",
        "[\"{input.audience}\", 3]",
    ));
    assert_at(
        &d,
        18,
        33,
        "auth.token_params.audience[1]",
        "expected a string, found an integer",
    );
}

#[test]
fn grant_type_may_go_on_the_authorization_url_but_not_in_token_parameters() {
    // RFC 6749 §4.1.1: the authorization request has no grant_type of its own, so a value
    // there is the provider's (Jira Data Center asks for one); the token request's is the
    // flow's.
    let m = parse(&edit(
        OAUTH,
        "prompt = \"consent\"",
        "grant_type = \"authorization_code\"",
    ))
    .unwrap();
    let env = secrets();
    let ctx = RenderContext::new().with_secrets(&env);
    assert_eq!(
        m.auth()
            .oauth()
            .unwrap()
            .authorization_params(&ctx)
            .unwrap(),
        pairs(&[("grant_type", "authorization_code")])
    );
    let d = single_error(&edit(
        OAUTH,
        "[auth.token_params]\n",
        "[auth.token_params]\ngrant_type = \"authorization_code\"\n",
    ));
    assert_at(
        &d,
        18,
        1,
        "auth.token_params.grant_type",
        "`grant_type` is a protocol parameter: the server sets it itself",
    );
}

#[test]
fn an_authorization_url_routed_by_its_fragment_carries_the_query_after_the_route() {
    let env = secrets();
    let ctx = RenderContext::new().with_secrets(&env);
    let request = AuthorizeRequest {
        redirect_uri: "https://local.example/oauth",
        state: "s1",
        code_challenge: None,
        nonce: None,
    };
    let at = |url: &str| {
        let m = parse(&edit(OAUTH, "https://acme.example/oauth/authorize", url)).unwrap();
        let url = m.auth().oauth().unwrap().authorize_url(&ctx, &request);
        url.unwrap().to_string()
    };
    assert_eq!(
        at("https://app.acme.example/#/oauth/authorize"),
        "https://app.acme.example/#/oauth/authorize?response_type=code&client_id=demo\
         &redirect_uri=https%3A%2F%2Flocal.example%2Foauth&state=s1&prompt=consent"
    );
    // A query of the URL itself, and one already in the route, stay in front of the flow's.
    assert_eq!(
        at("https://app.acme.example/?v=2#oauth/authorize?x=1"),
        "https://app.acme.example/#oauth/authorize?x=1&v=2&response_type=code&client_id=demo\
         &redirect_uri=https%3A%2F%2Flocal.example%2Foauth&state=s1&prompt=consent"
    );
    // Without a fragment, the query is the URL's own, as always.
    assert_eq!(
        at("https://app.acme.example/authorize?v=2"),
        "https://app.acme.example/authorize?v=2&response_type=code&client_id=demo\
         &redirect_uri=https%3A%2F%2Flocal.example%2Foauth&state=s1&prompt=consent"
    );
}

#[test]
fn response_type_names_the_code_otherwise_and_never_asks_for_tokens() {
    let env = secrets();
    let ctx = RenderContext::new().with_secrets(&env);
    let m = parse(&edit(
        OAUTH,
        "[auth.authorization_params]",
        "response_type = \"auth_code\"\n\n[auth.authorization_params]",
    ))
    .unwrap();
    let oauth = m.auth().oauth().unwrap();
    assert_eq!(oauth.response_type(), "auth_code");
    let url = oauth
        .authorize_url(
            &ctx,
            &AuthorizeRequest {
                redirect_uri: "https://local.example/oauth",
                state: "s1",
                code_challenge: None,
                nonce: None,
            },
        )
        .unwrap();
    assert!(
        url.as_str()
            .contains("?response_type=auth_code&client_id=demo"),
        "{url}"
    );
    assert_eq!(
        parse(OAUTH)
            .unwrap()
            .auth()
            .oauth()
            .unwrap()
            .response_type(),
        "code"
    );

    let refused = |value: &str| {
        single_error(&edit(
            OAUTH,
            "[auth.authorization_params]",
            &format!("response_type = \"{value}\"\n\n[auth.authorization_params]"),
        ))
    };
    let d = refused("token");
    assert_at(
        &d,
        13,
        17,
        "auth.response_type",
        "`response_type = \"token\"` returns tokens to the browser",
    );
    let d = refused("code id_token");
    assert_at(
        &d,
        13,
        17,
        "auth.response_type",
        "`code id_token` is not a response type the code flow can use",
    );
    // Only OAuth has an authorization request.
    let cc = std::fs::read_to_string(
        manifest_path().with_file_name("../tasklab-audience/integration.toml"),
    )
    .unwrap();
    let d = single_error(&edit(
        &cc,
        "token_encoding = \"json\"",
        "token_encoding = \"json\"\nresponse_type = \"code\"",
    ));
    assert_eq!(d.field, "auth.response_type", "{d}");
    assert!(d.message.contains("does not apply"), "{d}");
}

#[test]
fn an_authorization_nonce_carries_the_callers_fresh_value() {
    let env = secrets();
    let ctx = RenderContext::new().with_secrets(&env);
    let m = parse(&edit(
        OAUTH,
        "[auth.authorization_params]",
        "authorization_nonce = \"nonce\"\n\n[auth.authorization_params]",
    ))
    .unwrap();
    let oauth = m.auth().oauth().unwrap();
    assert_eq!(oauth.nonce_param(), Some("nonce"));
    let url = oauth
        .authorize_url(
            &ctx,
            &AuthorizeRequest {
                redirect_uri: "https://local.example/oauth",
                state: "s1",
                code_challenge: None,
                nonce: Some("n0nce-n0nce-n0nce-n0nce"),
            },
        )
        .unwrap();
    assert!(
        url.as_str()
            .ends_with("&state=s1&nonce=n0nce-n0nce-n0nce-n0nce&prompt=consent"),
        "{url}"
    );
    assert_eq!(
        parse(OAUTH).unwrap().auth().oauth().unwrap().nonce_param(),
        None
    );

    let refused = |value: &str| {
        single_error(&edit(
            OAUTH,
            "[auth.authorization_params]",
            &format!("authorization_nonce = \"{value}\"\n\n[auth.authorization_params]"),
        ))
    };
    let d = refused("state");
    assert_at(
        &d,
        13,
        23,
        "auth.authorization_nonce",
        "`state` is a parameter the flow sets itself",
    );
    let d = refused("prompt");
    assert_at(
        &d,
        13,
        23,
        "auth.authorization_nonce",
        "`prompt` is also set in `auth.authorization_params`",
    );
    let d = refused("a b");
    assert_at(
        &d,
        13,
        23,
        "auth.authorization_nonce",
        "`a b` is not a parameter name",
    );
}
