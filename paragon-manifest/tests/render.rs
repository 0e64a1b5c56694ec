//! Rendering each authorization shape from the shipped manifests, and what rendering refuses.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use paragon_manifest::{AuthorizeRequest, Manifest, Reference, RenderContext, RenderError};

fn load(name: &str) -> Manifest {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(name);
    Manifest::load(dir).unwrap_or_else(|d| panic!("{d}"))
}

fn secrets(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn exposed(pairs: &[(String, paragon_manifest::Secret)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.expose()))
        .collect()
}

#[test]
fn bearer_from_the_access_token() {
    let m = load("tasklab");
    let env = secrets(&[("TASKLAB_URL", "http://127.0.0.1:4100")]);
    let ctx = RenderContext::new()
        .with_secrets(&env)
        .access_token("at-123");
    assert_eq!(
        m.base_url(&ctx).unwrap().as_str(),
        "http://127.0.0.1:4100/v1"
    );
    let auth = m.authorization(&ctx).unwrap();
    assert_eq!(exposed(&auth.headers), [("Authorization", "Bearer at-123")]);
    assert!(auth.query.is_empty());
    let debug = format!("{auth:?}");
    assert!(!debug.contains("at-123"), "{debug}");
    assert!(debug.contains("Authorization"));
}

#[test]
fn bearer_from_an_input_with_default_headers() {
    let m = load("stripe");
    let ctx = RenderContext::new().input("api_key", "sk_test_abc");
    assert_eq!(
        exposed(&m.authorization(&ctx).unwrap().headers),
        [("Authorization", "Bearer sk_test_abc")]
    );
    assert_eq!(
        m.default_headers(&ctx).unwrap(),
        [("Stripe-Version".to_string(), "2024-06-20".to_string())]
    );
    assert_eq!(
        m.test_url(&ctx).unwrap().as_str(),
        "https://api.stripe.com/v1/balance"
    );
}

#[test]
fn basic_with_the_key_as_username() {
    let m = load("freshdesk");
    let ctx = RenderContext::new()
        .input("domain", "acme")
        .input("api_key", "fd-key");
    let auth = m.authorization(&ctx).unwrap();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("fd-key:X")
    );
    assert_eq!(
        exposed(&auth.headers),
        [("Authorization", expected.as_str())]
    );
    assert_eq!(
        m.test_url(&ctx).unwrap().as_str(),
        "https://acme.freshdesk.com/api/v2/agents/me"
    );
}

#[test]
fn named_headers() {
    let m = load("postmark");
    let ctx = RenderContext::new().input("server_token", "pm-token");
    let auth = m.authorization(&ctx).unwrap();
    assert_eq!(
        exposed(&auth.headers),
        [("X-Postmark-Server-Token", "pm-token")]
    );
    assert!(auth.query.is_empty());
    assert_eq!(
        m.default_headers(&ctx).unwrap(),
        [("Accept".to_string(), "application/json".to_string())]
    );
}

#[test]
fn named_query_parameters() {
    let m = load("trello");
    let ctx = RenderContext::new()
        .input("api_key", "k1")
        .input("token", "t1");
    let auth = m.authorization(&ctx).unwrap();
    assert!(auth.headers.is_empty());
    assert_eq!(exposed(&auth.query), [("key", "k1"), ("token", "t1")]);
    assert!(!format!("{auth:?}").contains("t1\""));
}

#[test]
fn no_authorization() {
    let source = r##"name = "Open Data"
description = "A public API."
icon = "icon.svg"
color = "#336699"
[auth]
type = "none"
[api]
base_url = "https://data.example.org/api"
test_endpoint = "/status"
"##;
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml");
    let m = Manifest::parse(source, file).unwrap();
    let auth = m.authorization(&RenderContext::new()).unwrap();
    assert!(auth.headers.is_empty() && auth.query.is_empty());
    assert_eq!(m.slug(), "custom.opendata");
}

#[test]
fn base_url_from_a_captured_credential_value() {
    let m = load("salesforce");
    let ctx = RenderContext::new()
        .access_token("00D-token")
        .credential("instance_url", "https://acme.my.salesforce.com");
    assert_eq!(
        m.test_url(&ctx).unwrap().as_str(),
        "https://acme.my.salesforce.com/services/data/v60.0/limits"
    );
    let ctx = RenderContext::new().access_token("00D-token");
    assert_eq!(
        m.base_url(&ctx),
        Err(RenderError::Missing(Reference::Credential(
            "instance_url".into()
        )))
    );
}

#[test]
fn an_input_in_the_host() {
    let m = load("zendesk");
    let ctx = RenderContext::new().input("subdomain", "acme");
    assert_eq!(
        m.base_url(&ctx).unwrap().as_str(),
        "https://acme.zendesk.com/api/v2"
    );
    // End-user values are escaped in URLs: they cannot move the request to another host.
    let evil = RenderContext::new().input("subdomain", "evil.example/");
    assert!(matches!(
        m.base_url(&evil),
        Err(RenderError::InvalidUrl { field, .. }) if field == "api.base_url"
    ));
    let evil = RenderContext::new().input("subdomain", "evil.example?");
    assert!(m.base_url(&evil).is_err());
    // The input's own rule refuses such values before they are stored.
    assert!(
        m.input("subdomain")
            .unwrap()
            .check(Some("evil.example/"))
            .is_err()
    );
}

#[test]
fn a_url_input_goes_in_whole() {
    let source = r##"name = "Self Hosted"
description = "A server the customer runs."
icon = "icon.svg"
color = "#336699"
[auth]
type = "api_key"
[[inputs]]
key = "server"
label = "Server URL"
kind = "url"
[[inputs]]
key = "token"
label = "Token"
kind = "password"
[api]
base_url = "{input.server}/api/v4"
test_endpoint = "/user"
authorization = { type = "headers", headers = { "PRIVATE-TOKEN" = "{input.token}" } }
"##;
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml");
    let m = Manifest::parse(source, file).unwrap();
    let ctx = RenderContext::new().input("server", "https://git.acme.example");
    assert_eq!(
        m.test_url(&ctx).unwrap().as_str(),
        "https://git.acme.example/api/v4/user"
    );
    // Whole, but still held to the URL rule.
    let ctx = RenderContext::new().input("server", "http://git.acme.example");
    assert!(matches!(
        m.base_url(&ctx),
        Err(RenderError::InvalidUrl { .. })
    ));
    let server = m.input("server").unwrap();
    assert!(server.check(Some("http://git.acme.example")).is_err());
    assert!(server.check(Some("https://git.acme.example")).is_ok());
}

#[test]
fn a_url_starting_with_a_secret_is_checked_once_rendered() {
    let m = load("tasklab");
    let env = secrets(&[("TASKLAB_URL", "http://tasklab.example")]);
    let ctx = RenderContext::new().with_secrets(&env);
    let err = m.base_url(&ctx).unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
    let env = secrets(&[("TASKLAB_URL", "not a url")]);
    let ctx = RenderContext::new().with_secrets(&env);
    assert!(matches!(
        m.base_url(&ctx),
        Err(RenderError::InvalidUrl { .. })
    ));
}

#[test]
fn missing_values_name_the_reference() {
    let m = load("tasklab");
    let empty = secrets(&[]);
    let ctx = RenderContext::new().with_secrets(&empty);
    let err = m.base_url(&ctx).unwrap_err();
    assert_eq!(
        err,
        RenderError::Missing(Reference::Env("TASKLAB_URL".into()))
    );
    assert_eq!(
        err.to_string(),
        "the environment secret `TASKLAB_URL` is not set ({env.TASKLAB_URL})"
    );
    let m = load("stripe");
    assert_eq!(
        m.authorization(&RenderContext::new()).unwrap_err(),
        RenderError::Missing(Reference::Input("api_key".into()))
    );
}

#[test]
fn header_injection_is_refused() {
    let m = load("postmark");
    let ctx = RenderContext::new().input("server_token", "x\r\nX-Evil: 1");
    assert_eq!(
        m.authorization(&ctx).unwrap_err(),
        RenderError::InvalidHeaderValue {
            field: "api.authorization.headers.X-Postmark-Server-Token".into()
        }
    );
}

#[test]
fn secrets_can_come_from_a_closure() {
    let m = load("tasklab");
    let lookup = |name: &str| (name == "TASKLAB_URL").then(|| "http://localhost:9".to_string());
    let ctx = RenderContext::new().with_secrets(&lookup);
    assert_eq!(m.base_url(&ctx).unwrap().as_str(), "http://localhost:9/v1");
}

#[test]
fn oauth_urls_and_parameters() {
    let m = load("github");
    let oauth = m.auth().oauth().unwrap();
    let env = secrets(&[
        ("GITHUB_CLIENT_ID", "Iv1.abc"),
        ("GITHUB_CLIENT_SECRET", "gh-secret"),
    ]);
    let ctx = RenderContext::new().with_secrets(&env);
    let url = oauth
        .authorize_url(
            &ctx,
            &AuthorizeRequest {
                redirect_uri: "https://passport.useparagon.com/oauth",
                state: "st",
                code_challenge: Some("ignored-without-pkce"),
                nonce: None,
            },
        )
        .unwrap();
    assert_eq!(
        url.as_str(),
        "https://github.com/login/oauth/authorize?response_type=code&client_id=Iv1.abc\
         &redirect_uri=https%3A%2F%2Fpassport.useparagon.com%2Foauth&scope=read%3Auser+repo\
         &state=st&allow_signup=false"
    );
    assert_eq!(oauth.client_secret(&ctx).unwrap().expose(), "gh-secret");
    assert_eq!(
        format!("{:?}", oauth.client_secret(&ctx).unwrap()),
        "Secret(\"***\")"
    );
    assert_eq!(
        oauth.token_url(&ctx).unwrap().as_str(),
        "https://github.com/login/oauth/access_token"
    );
    // No refresh URL: refreshing uses the token URL.
    assert_eq!(
        oauth.refresh_url(&ctx).unwrap(),
        oauth.token_url(&ctx).unwrap()
    );

    let m = load("zendesk");
    let env = secrets(&[("ZENDESK_CLIENT_ID", "zd")]);
    let ctx = RenderContext::new()
        .with_secrets(&env)
        .input("subdomain", "acme");
    let oauth = m.auth().oauth().unwrap();
    assert_eq!(
        oauth.token_url(&ctx).unwrap().as_str(),
        "https://acme.zendesk.com/oauth/tokens"
    );
}

#[test]
fn client_credentials_from_inputs() {
    let m = load("microsoft-graph");
    let cc = m.auth().client_credentials().unwrap();
    let ctx = RenderContext::new()
        .input("tenant_id", "0b1c2d3e-0000-4000-8000-000000000000")
        .input("client_id", "app-id")
        .input("client_secret", "app-secret");
    assert_eq!(
        cc.token_url(&ctx).unwrap().as_str(),
        "https://login.microsoftonline.com/0b1c2d3e-0000-4000-8000-000000000000/oauth2/v2.0/token"
    );
    assert_eq!(cc.client_id(&ctx).unwrap(), "app-id");
    assert_eq!(cc.client_secret(&ctx).unwrap().expose(), "app-secret");
    let debug = format!("{ctx:?}");
    assert!(!debug.contains("app-secret"), "{debug}");
}

#[test]
fn resolve_inputs_checks_every_field_then_renders() {
    let m = load("freshdesk");
    let given = HashMap::from([("domain", "Acme Corp"), ("extra", "ignored")]);
    let errors = m.resolve_inputs(|k| given.get(k).copied()).unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["domain", "api_key"]);
    assert_eq!(
        errors[0].1.to_string(),
        "`Freshdesk domain` must match `[a-z0-9][a-z0-9-]*`"
    );
    assert_eq!(errors[1].1.to_string(), "`API key` is required");

    let given = HashMap::from([("domain", "acme"), ("api_key", "k"), ("extra", "x")]);
    let values = m.resolve_inputs(|k| given.get(k).copied()).unwrap();
    assert_eq!(values.keys().collect::<Vec<_>>(), ["api_key", "domain"]);
    let ctx = RenderContext::new().inputs(values);
    assert_eq!(
        m.base_url(&ctx).unwrap().as_str(),
        "https://acme.freshdesk.com/api/v2"
    );
}
