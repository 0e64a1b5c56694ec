//! The Connect Portal as the official JavaScript SDK frames it (`/ui`), at the HTTP level:
//! who may frame it, its strict CSP, and the portal pages it fetches with a bearer token
//! (refused without one or with a foreign one). The SDK drives it in a browser in
//! `examples/tests/js_sdk_browser.rs`.

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::header;
use std::time::Duration;

const KEYS: &str = "custom.tasklabkeys";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csp(res: &reqwest::Response) -> String {
    res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string()
}

fn directive<'a>(csp: &'a str, name: &str) -> &'a str {
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in {csp}"))
        .trim()
}

fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[at..].split('"').next().unwrap().to_string()
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn frame_of(env: &Env) -> (String, String) {
    let res = env
        .http
        .get(env.url("/ui?projectId=proj-test"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get(header::X_FRAME_OPTIONS).is_none(),
        "X-Frame-Options would forbid every framing"
    );
    let csp = csp(&res);
    (csp, res.text().await.unwrap())
}

#[tokio::test]
async fn only_allowed_origins_may_frame_the_portal() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.dev(false)
            .project_key(paragon_local::ProjectKey::generate())
            .encryption_key(paragon_local::EncryptionKey::generate())
            .allowed_origin("https://app.example.com/")
    })
    .await;
    let (csp, page) = frame_of(&env).await;
    assert_eq!(
        directive(&csp, "frame-ancestors"),
        "https://app.example.com"
    );
    // Scripts and styles only by this page's nonce; fetches only to this server.
    let script_src = directive(&csp, "script-src");
    let nonce = script_src
        .strip_prefix("'nonce-")
        .and_then(|n| n.strip_suffix('\''))
        .unwrap_or_else(|| panic!("script-src is not a lone nonce: {csp}"));
    assert_eq!(directive(&csp, "connect-src"), "'self'");
    assert_eq!(directive(&csp, "default-src"), "'none'");
    assert!(
        page.contains(&format!("nonce=\"{nonce}\" defer src=\"/ui/frame.js\"")),
        "{page}"
    );
    // The page's script checks message origins against the same list.
    assert!(
        page.contains(
            r#"{"loopback":false,"origins":["https://app.example.com"],"portal":"/connect"}"#
        ),
        "{page}"
    );
    // Every other page still refuses to be framed.
    let res = env
        .http
        .get(env.url(&format!("/connect/{KEYS}")))
        .send()
        .await
        .unwrap();
    assert_eq!(directive(&csp_of(res).await, "frame-ancestors"), "'none'");
}

async fn csp_of(res: reqwest::Response) -> String {
    assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY");
    csp(&res)
}

#[tokio::test]
async fn without_allowed_origins_nothing_may_frame_it() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.dev(false)
            .project_key(paragon_local::ProjectKey::generate())
            .encryption_key(paragon_local::EncryptionKey::generate())
    })
    .await;
    let (csp, page) = frame_of(&env).await;
    assert_eq!(directive(&csp, "frame-ancestors"), "'none'");
    assert!(page.contains(r#""origins":[]"#), "{page}");
}

#[tokio::test]
async fn development_mode_lets_loopback_pages_frame_it() {
    let env = start().await;
    let (csp, page) = frame_of(&env).await;
    let ancestors = directive(&csp, "frame-ancestors");
    for source in ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"] {
        assert!(ancestors.split(' ').any(|s| s == source), "{csp}");
    }
    assert!(
        !ancestors.contains("https://app") && !ancestors.contains(" * "),
        "{csp}"
    );
    assert!(page.contains(r#""loopback":true"#), "{page}");
    let script = env.http.get(env.url("/ui/frame.js")).send().await.unwrap();
    assert_eq!(
        script.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(script.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let js = script.text().await.unwrap();
    // Messages count only from the parent window, at an allowed origin.
    assert!(js.contains("event.source !== window.parent || !allowed(event.origin)"));
}

#[tokio::test]
async fn the_portal_pages_refuse_a_missing_or_foreign_token() {
    let env = start().await;
    let page = env.url(&format!("/connect/{KEYS}"));
    let res = env.http.get(&page).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let other = paragon_local::ProjectKey::generate()
        .mint("proj-test", "alice", Duration::from_secs(600))
        .unwrap();
    for bad in [other.as_str(), "not-a-token", ""] {
        let res = env.http.get(&page).bearer_auth(bad).send().await.unwrap();
        assert_eq!(res.status(), 401, "token {bad:?}");
        let text = res.text().await.unwrap();
        assert!(!text.contains("Signed in as"), "{text}");
    }
    // A refused bearer never falls back to a cookie, and a form post with one changes nothing.
    let res = env
        .http
        .post(format!("{page}/enable"))
        .bearer_auth(&other)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(&[("api_key", env.provider.api_keys()[0])]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (_, me) = env
        .call(
            "alice",
            reqwest::Method::GET,
            &env.project("/sdk/me"),
            None,
            &[],
        )
        .await;
    assert_eq!(me["integrations"][KEYS]["enabled"], false, "{me}");
}

#[tokio::test]
async fn a_bearer_token_drives_the_portal_for_its_own_user_only() {
    let env = start().await;
    let http = no_redirects();
    let page = env.url(&format!("/connect/{KEYS}"));
    let alice = env.token("alice");
    let res = http.get(&page).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("Signed in as <strong>alice</strong>"),
        "{text}"
    );
    let key = env.provider.api_keys()[0].to_string();
    // The forms' CSRF token is still checked.
    let post = |url: String, token: String, body: String| {
        http.post(url)
            .bearer_auth(token)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let res = post(
        format!("{page}/enable"),
        alice.clone(),
        form(&[("api_key", &key)]),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 403);
    let res = post(
        format!("{page}/enable"),
        alice.clone(),
        form(&[("csrf", &csrf(&text)), ("api_key", &key)]),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let (_, me) = env
        .call(
            "alice",
            reqwest::Method::GET,
            &env.project("/sdk/me"),
            None,
            &[],
        )
        .await;
    let id = me["integrations"][KEYS]["credentialId"]
        .as_str()
        .unwrap_or_else(|| panic!("no credential: {me}"))
        .to_string();
    // Bob's token cannot disconnect alice's account, even with a CSRF token of his own.
    let bob = env.token("bob");
    let bob_page = http.get(&page).bearer_auth(&bob).send().await.unwrap();
    let bob_csrf = csrf(&bob_page.text().await.unwrap());
    let res = post(
        format!("{page}/disconnect"),
        bob,
        form(&[("csrf", &bob_csrf), ("credential", &id)]),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404);
    let (_, me) = env
        .call(
            "alice",
            reqwest::Method::GET,
            &env.project("/sdk/me"),
            None,
            &[],
        )
        .await;
    assert_eq!(me["integrations"][KEYS]["enabled"], true, "{me}");
    // Her own token, with her page's CSRF token, disconnects it.
    let res = post(
        format!("{page}/disconnect"),
        alice,
        form(&[("csrf", &csrf(&text)), ("credential", &id)]),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let (_, me) = env
        .call(
            "alice",
            reqwest::Method::GET,
            &env.project("/sdk/me"),
            None,
            &[],
        )
        .await;
    assert_eq!(me["integrations"][KEYS]["enabled"], false, "{me}");
}

#[tokio::test]
async fn a_bearer_token_opens_only_the_integrations_its_claim_allows() {
    let env = start().await;
    let pem = env.server.signing_key_pem().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = serde_json::json!({
        "sub": "alice",
        "exp": exp,
        "aud": "useparagon.com/proj-test",
        "urn:useparagon:connect:permissions": { "integration:custom.tasklab": true },
    });
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let status = |slug: &'static str| {
        env.http
            .get(env.url(&format!("/connect/{slug}")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(status("custom.tasklab").await.unwrap().status(), 200);
    assert_eq!(status(KEYS).await.unwrap().status(), 401);
}
