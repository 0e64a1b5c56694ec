//! The Connect Portal page, driven like a browser would (cookies and forms by hand).

use crate::common;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::header;

struct Browser {
    http: reqwest::Client,
    cookie: String,
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    page[at..].split('"').next().unwrap().to_string()
}

impl Browser {
    async fn open(env: &Env, slug: &str, user: &str) -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let link = env.portal_code(user, slug).await["url"]
            .as_str()
            .unwrap()
            .to_string();
        let res = http.get(&link).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            res.headers()[header::LOCATION],
            format!("/connect/{slug}").as_str()
        );
        let set = res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let cookie = set.split(';').next().unwrap().to_string();
        Browser { http, cookie }
    }

    async fn get(&self, url: &str) -> (u16, header::HeaderMap, String) {
        let res = self
            .http
            .get(url)
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.headers().clone(),
            res.text().await.unwrap(),
        )
    }

    async fn post(&self, url: &str, pairs: &[(&str, &str)]) -> (u16, header::HeaderMap, String) {
        let res = self
            .http
            .post(url)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(pairs))
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.headers().clone(),
            res.text().await.unwrap(),
        )
    }
}

#[tokio::test]
async fn api_key_portal_flow() {
    let env = start().await;
    let slug = "custom.tasklabkeys";
    let browser = Browser::open(&env, slug, "dana").await;
    let page_url = env.url(&format!("/connect/{slug}"));
    let (status, headers, page) = browser.get(&page_url).await;
    assert_eq!(status, 200);
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert!(
        page.contains("Task Lab Keys") && page.contains("#0F766E"),
        "{page}"
    );
    assert!(page.contains("data:image/svg+xml;base64,"));
    assert!(page.contains("No account connected yet."));
    assert!(page.contains("type=\"password\""), "{page}");
    let token = csrf(&page);

    // Without or with a wrong CSRF token: refused.
    let key = env.provider.api_keys()[0].to_string();
    let enable = format!("{page_url}/enable");
    assert_eq!(browser.post(&enable, &[("api_key", &key)]).await.0, 403);
    assert_eq!(
        browser
            .post(&enable, &[("csrf", "AAAA"), ("api_key", &key)])
            .await
            .0,
        403
    );
    // Without the session cookie: refused.
    let res = reqwest::Client::new()
        .post(&enable)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(&[("csrf", &token), ("api_key", &key)]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let (status, headers, _) = browser
        .post(&enable, &[("csrf", &token), ("api_key", &key)])
        .await;
    assert_eq!(status, 303);
    let to = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        to.starts_with(&format!("/connect/{slug}?credentialId=")),
        "{to}"
    );
    // After connecting, the page runs the test endpoint and shows the result.
    let (status, _, page) = browser.get(&env.url(&to)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Test request") && page.contains("<strong>200</strong>"),
        "{page}"
    );
    assert!(page.contains("Send test request") && page.contains("Disconnect"));
    assert!(!page.contains(&key), "the API key must never be shown");

    let id = to.split('=').nth(1).unwrap().to_string();
    let (status, _, page) = browser
        .post(
            &format!("{page_url}/test"),
            &[("csrf", &token), ("credential", &id)],
        )
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("<strong>200</strong>"), "{page}");

    let (status, _, _) = browser
        .post(
            &format!("{page_url}/disconnect"),
            &[("csrf", &token), ("credential", &id)],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = browser.get(&page_url).await;
    assert!(page.contains("No account connected yet."));
}

#[tokio::test]
async fn oauth_portal_flow_and_escaping() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.manifest(manifest(
            r##"
name = "Evil Lab"
description = "<script>alert('x')</script> & friends"
icon = "icon.svg"
color = "#6D28D9"

[auth]
type = "oauth"
authorization_url = "{env.TASKLAB_URL}/oauth/authorize"
token_url = "{env.TASKLAB_URL}/oauth/token"
client_id = "{env.TASKLAB_CLIENT_ID}"
client_secret = "{env.TASKLAB_CLIENT_SECRET}"
scopes = ["tasks:read"]
pkce = false
client_auth = "basic"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##,
        ))
    })
    .await;
    let slug = "custom.evillab";
    let browser = Browser::open(&env, slug, "erin").await;
    let page_url = env.url(&format!("/connect/{slug}"));
    let (_, headers, page) = browser.get(&page_url).await;
    assert!(!page.contains("<script>"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(") && page.contains("&lt;/script&gt; &amp; friends")
    );
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains(env.provider.url()),
        "form-action allows the provider: {csp}"
    );
    let token = csrf(&page);
    let (status, headers, _) = browser
        .post(&format!("{page_url}/enable"), &[("csrf", &token)])
        .await;
    assert_eq!(status, 303);
    let authorize = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        authorize.starts_with(&env.provider.authorize_url()),
        "{authorize}"
    );
    // The flow is bound to this browser by a cookie for /oauth (issue 12, finding 1).
    let flow = headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        flow.contains("Path=/oauth") && flow.contains("HttpOnly"),
        "{flow}"
    );
    let flow = flow.split(';').next().unwrap().to_string();
    // The provider auto-approves and redirects to /oauth, which redirects back to the page.
    let res = browser.http.get(&authorize).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let callback = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let res = browser
        .http
        .get(&callback)
        .header(header::COOKIE, &flow)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let back = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        back.starts_with(&format!("/connect/{slug}?credentialId=")),
        "{back}"
    );
    let (_, _, page) = browser.get(&env.url(&back)).await;
    assert!(page.contains("<strong>200</strong>"), "{page}");
    let sent = env.provider.stats().last_token_request.unwrap();
    assert!(
        sent.header("authorization")
            .unwrap_or("")
            .starts_with("Basic ")
    );
}

#[tokio::test]
async fn portal_refuses_bad_tokens() {
    let env = start().await;
    let other = paragon_local::ProjectKey::generate();
    let forged = other
        .mint("proj-test", "x", std::time::Duration::from_secs(60))
        .unwrap();
    // A forged token mints no code.
    let res = reqwest::Client::new()
        .post(env.project("/sdk/portal/codes"))
        .bearer_auth(&forged)
        .json(&serde_json::json!({ "integration": "custom.tasklab" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // A cookie for one integration does not open another's page.
    let b = Browser::open(&env, "custom.tasklab", "fay").await;
    assert_eq!(b.get(&env.url("/connect/custom.tasklabkeys")).await.0, 401);
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Issue 12, finding 14: a code signs a browser in once; the cookie is scoped and hidden from
/// scripts; the redirect drops the code from the URL.
#[tokio::test]
async fn a_portal_code_signs_in_once() {
    let env = start().await;
    let minted = env.portal_code("hana", "custom.tasklabkeys").await;
    let code = minted["code"].as_str().unwrap();
    assert!(code.len() >= 22, "at least 128 bits: {code}");
    let link = minted["url"].as_str().unwrap();
    assert_eq!(
        link,
        env.url(&format!("/connect/custom.tasklabkeys?code={code}"))
    );
    assert!(minted["expiresAt"].is_string(), "{minted}");
    let http = no_redirects();
    let res = http.get(link).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()[header::LOCATION],
        "/connect/custom.tasklabkeys"
    );
    let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
    for flag in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/connect/custom.tasklabkeys",
    ] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    // The second use of the same link is refused, and sets no session.
    let again = http.get(link).send().await.unwrap();
    assert_eq!(again.status(), 401);
    assert!(again.headers().get(header::SET_COOKIE).is_none());
    let page = again.text().await.unwrap();
    assert!(page.contains("already used"), "{page}");
    // So is a code for another integration's page.
    let minted = env.portal_code("hana", "custom.tasklab").await;
    let res = http
        .get(env.url(&format!(
            "/connect/custom.tasklabkeys?code={}",
            minted["code"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("another integration"));
}

#[tokio::test]
async fn an_expired_portal_code_is_refused() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.portal_code_ttl(std::time::Duration::from_millis(50))
    })
    .await;
    let minted = env.portal_code("ivan", "custom.tasklabkeys").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let res = no_redirects()
        .get(minted["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    assert!(res.text().await.unwrap().contains("expired"));
}

/// A full user token in the URL no longer signs anyone in (login CSRF, tokens in logs).
#[tokio::test]
async fn a_bearer_in_the_portal_url_is_refused() {
    let env = start().await;
    let res = no_redirects()
        .get(env.url(&format!(
            "/connect/custom.tasklabkeys?token={}",
            env.token("judy")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    let page = res.text().await.unwrap();
    assert!(page.contains("/sdk/portal/codes"), "{page}");
}

/// Behind a reverse proxy at `https://host/paragon/`: links, redirects and cookie paths
/// carry the prefix, and cookies are `Secure`.
#[tokio::test]
async fn portal_links_and_cookies_follow_the_public_url() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.public_url("https://connect.example/paragon/")
    })
    .await;
    let minted = env.portal_code("kim", "custom.tasklabkeys").await;
    let link = minted["url"].as_str().unwrap();
    let behind_proxy = link
        .strip_prefix("https://connect.example/paragon")
        .unwrap_or_else(|| panic!("{link}"));
    let res = no_redirects()
        .get(env.url(behind_proxy))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()[header::LOCATION],
        "/paragon/connect/custom.tasklabkeys"
    );
    let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("Path=/paragon/connect/custom.tasklabkeys") && set.contains("; Secure"),
        "{set}"
    );
}

/// Behind a reverse proxy at `https://host/paragon/`, the OAuth pages' links carry the prefix:
/// the flow cookie's path, the confirmation form's action, the `redirect_uri`.
#[tokio::test]
async fn oauth_links_follow_the_public_url() {
    let env = start_with(FakeProvider::builder(), |b| {
        b.public_url("https://connect.example/paragon")
    })
    .await;
    let public = "https://connect.example/paragon";
    let http = no_redirects();
    // Through the portal: the page's forms and the flow cookie.
    let link = env.portal_code("lee", "custom.tasklab").await["url"]
        .as_str()
        .unwrap()
        .to_string();
    let res = http
        .get(env.url(link.strip_prefix(public).unwrap()))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()[header::SET_COOKIE].to_str().unwrap();
    let browser = Browser {
        http: http.clone(),
        cookie: cookie.split(';').next().unwrap().to_string(),
    };
    let (_, _, page) = browser.get(&env.url("/connect/custom.tasklab")).await;
    assert!(
        page.contains("action=\"/paragon/connect/custom.tasklab/enable\""),
        "{page}"
    );
    let (status, headers, _) = browser
        .post(
            &env.url("/connect/custom.tasklab/enable"),
            &[("csrf", &csrf(&page))],
        )
        .await;
    assert_eq!(status, 303);
    let flow = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(flow.contains("Path=/paragon/oauth;"), "{flow}");
    let authorize = headers[header::LOCATION].to_str().unwrap();
    let redirect_uri = url::Url::parse(authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned());
    assert_eq!(
        redirect_uri.as_deref(),
        Some("https://connect.example/paragon/oauth")
    );

    // Through the API: the confirmation page's form.
    let (status, body) = env
        .call(
            "lee",
            reqwest::Method::GET,
            &format!(
                "{}/v2/projects/{}/sdk/actions/build-oauth?action=custom&integrationId={id}",
                env.server.url(),
                env.server.project_id(),
                id = env.id("custom.tasklab"),
            ),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let res = http
        .get(body["redirectUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let callback = res.headers()[header::LOCATION].to_str().unwrap();
    let page = http
        .get(env.url(callback.strip_prefix(public).unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("action=\"/paragon/oauth/confirm\""), "{page}");
}
