//! Round trips against the fake Task Lab provider on 127.0.0.1: what the manifests render is
//! what a provider accepts, for every authorization shape and both OAuth grants.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use paragon_fake_provider::{DEFAULT_API_KEY, FakeProvider, RunningProvider};
use paragon_manifest::{AuthorizeRequest, ClientAuth, Manifest, RenderContext};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs")
}

/// An inline manifest placed in `specs/tasklab/` so its icon resolves.
fn inline(api_and_auth: &str) -> Manifest {
    let source = format!(
        "name = \"Inline\"\ndescription = \"d\"\nicon = \"icon.svg\"\ncolor = \"#000000\"\n{api_and_auth}"
    );
    Manifest::parse(&source, specs().join("tasklab/integration.toml"))
        .unwrap_or_else(|d| panic!("{d}"))
}

fn secrets_for(provider: &RunningProvider) -> HashMap<String, String> {
    HashMap::from([
        ("TASKLAB_URL".to_string(), provider.url().to_string()),
        (
            "TASKLAB_CLIENT_ID".to_string(),
            provider.client_id().to_string(),
        ),
        (
            "TASKLAB_CLIENT_SECRET".to_string(),
            provider.client_secret().to_string(),
        ),
    ])
}

/// GETs `path` under the manifest's base URL with its default headers and authorization.
async fn get(manifest: &Manifest, ctx: &RenderContext<'_>, path: &str) -> (u16, Value) {
    let mut url = manifest.endpoint_url(ctx, path).unwrap();
    let auth = manifest.authorization(ctx).unwrap();
    auth.append_query(&mut url);
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in manifest.default_headers(ctx).unwrap() {
        request = request.header(name, value);
    }
    for (name, value) in &auth.headers {
        request = request.header(name, value.expose());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post_token(
    url: url::Url,
    client_auth: ClientAuth,
    client_id: &str,
    client_secret: &str,
    mut form: Vec<(String, String)>,
) -> Value {
    let mut request = reqwest::Client::new().post(url);
    match client_auth {
        ClientAuth::Basic => request = request.basic_auth(client_id, Some(client_secret)),
        ClientAuth::Body => {
            form.push(("client_id".into(), client_id.into()));
            form.push(("client_secret".into(), client_secret.into()));
        }
        // The shipped manifests this drives use a client secret; signing is paragon-local's.
        ClientAuth::PrivateKeyJwt => panic!("this test signs no assertions"),
    }
    let response = request.form(&form).send().await.unwrap();
    assert!(
        response.status().is_success(),
        "token request: {}",
        response.status()
    );
    response.json().await.unwrap()
}

#[tokio::test]
async fn oauth_authorization_code_with_pkce() {
    let provider = FakeProvider::builder()
        .auto_approve(true)
        .start()
        .await
        .unwrap();
    let secrets = secrets_for(&provider);
    let manifest = Manifest::load(specs().join("tasklab")).unwrap();
    let oauth = manifest.auth().oauth().unwrap();
    let ctx = RenderContext::new().with_secrets(&secrets);

    let verifier = "a".repeat(20) + "-verifier-for-the-round-trip-test";
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&verifier));
    let redirect_uri = "http://127.0.0.1:9/oauth";
    let url = oauth
        .authorize_url(
            &ctx,
            &AuthorizeRequest {
                redirect_uri,
                state: "state-1",
                code_challenge: Some(&challenge),
                nonce: None,
            },
        )
        .unwrap();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let query: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(query.get("state").map(String::as_str), Some("state-1"));
    let code = query.get("code").expect("a code").clone();

    let mut form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".to_string(), code),
        ("redirect_uri".to_string(), redirect_uri.to_string()),
        ("code_verifier".to_string(), verifier),
    ];
    form.extend(oauth.token_params(&ctx).unwrap());
    let client_id = oauth.client_id(&ctx).unwrap();
    let client_secret = oauth.client_secret(&ctx).unwrap();
    let token = post_token(
        oauth.token_url(&ctx).unwrap(),
        oauth.client_auth(),
        &client_id,
        client_secret.expose(),
        form,
    )
    .await;
    let access_token = token["access_token"].as_str().expect("an access token");

    let ctx = ctx.access_token(access_token);
    let (status, me) = get(&manifest, &ctx, manifest.test_endpoint()).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["via"], "bearer", "{me}");
    provider.shutdown().await;
}

#[tokio::test]
async fn client_credentials_from_the_end_users_inputs() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let secrets = secrets_for(&provider);
    let manifest = inline(
        r#"
[auth]
type = "client_credentials"
token_url = "{env.TASKLAB_URL}/oauth/token"
client_id = "{input.client_id}"
client_secret = "{input.client_secret}"
scopes = ["tasks:read"]
client_auth = "basic"

[[inputs]]
key = "client_id"
label = "Client ID"

[[inputs]]
key = "client_secret"
label = "Client secret"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"#,
    );
    let cc = manifest.auth().client_credentials().unwrap();
    let ctx = RenderContext::new()
        .with_secrets(&secrets)
        .input("client_id", provider.client_id())
        .input("client_secret", provider.client_secret());
    let mut form = vec![("grant_type".to_string(), "client_credentials".to_string())];
    form.push(("scope".to_string(), cc.scope()));
    let token = post_token(
        cc.token_url(&ctx).unwrap(),
        cc.client_auth(),
        &cc.client_id(&ctx).unwrap(),
        cc.client_secret(&ctx).unwrap().expose(),
        form,
    )
    .await;
    let ctx = ctx.access_token(token["access_token"].as_str().unwrap());
    let (status, me) = get(&manifest, &ctx, "/me").await;
    assert_eq!(status, 200, "{me}");
    provider.shutdown().await;
}

#[tokio::test]
async fn api_key_in_a_header_query_parameter_or_basic_username() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let secrets = secrets_for(&provider);
    let keys = Manifest::load(specs().join("tasklab-keys")).unwrap();
    let authorizations = [
        r#"{ type = "query", params = { api_key = "{input.api_key}" } }"#,
        r#"{ type = "basic", username = "{input.api_key}" }"#,
    ];
    let mut manifests = vec![keys];
    for authorization in authorizations {
        manifests.push(inline(&format!(
            "[auth]\ntype = \"api_key\"\n[[inputs]]\nkey = \"api_key\"\nlabel = \"Key\"\nkind = \"password\"\n\
             [api]\nbase_url = \"{{env.TASKLAB_URL}}/v1\"\ntest_endpoint = \"/me\"\nauthorization = {authorization}\n"
        )));
    }
    for manifest in &manifests {
        let shape = manifest.api().authorization().as_str();
        let ctx = RenderContext::new()
            .with_secrets(&secrets)
            .input("api_key", DEFAULT_API_KEY);
        let (status, me) = get(manifest, &ctx, manifest.test_endpoint()).await;
        assert_eq!(status, 200, "{shape}: {me}");
        assert_eq!(me["auth"], "api_key", "{shape}: {me}");
        let ctx = RenderContext::new()
            .with_secrets(&secrets)
            .input("api_key", "wrong-key");
        let (status, _) = get(manifest, &ctx, manifest.test_endpoint()).await;
        assert_eq!(status, 401, "{shape} with a wrong key");
    }
    provider.shutdown().await;
}

#[tokio::test]
async fn default_headers_reach_the_provider() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let secrets = secrets_for(&provider);
    let manifest = inline(
        r#"
[auth]
type = "api_key"
[[inputs]]
key = "api_key"
label = "Key"
kind = "password"
[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }
[api.headers]
"X-Tasklab-Version" = "2024-01-01"
"X-User-Email" = "{user.Email}"
"#,
    );
    let ctx = RenderContext::new()
        .with_secrets(&secrets)
        .input("api_key", DEFAULT_API_KEY)
        .user("Email", "alice@example.com");
    let (status, echo) = get(&manifest, &ctx, "/echo?x=1").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["path"], "/v1/echo");
    assert_eq!(echo["args"]["x"], "1");
    assert_eq!(echo["headers"]["x-tasklab-version"], "2024-01-01");
    assert_eq!(echo["headers"]["x-user-email"], "alice@example.com");
    provider.shutdown().await;
}
