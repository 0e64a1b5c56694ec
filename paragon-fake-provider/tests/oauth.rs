//! OAuth 2.0 flows against a started provider: consent form, code exchange with
//! PKCE, refresh rotation, client credentials, expiry and revocation.

mod common;

use std::time::Duration;

use common::*;
use paragon_fake_provider::FakeProvider;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn authorization_code_flow_with_pkce_through_the_consent_form() {
    let provider = FakeProvider::builder().start().await.unwrap();

    let (status, html) = consent_page(&provider, &authorize_params(&provider, &[])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("tasklab-client"), "page names the client");
    assert!(html.contains("<code>tasks:read</code>") && html.contains("<code>tasks:write</code>"));
    assert!(html.contains(r#"<form method="post" action="/oauth/authorize">"#));
    assert!(html.contains(r#"name="decision" value="deny""#));

    let response = decide(&provider, &hidden_request_id(&html), "allow", "grace").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let params = redirect_params(&response);
    assert_eq!(params["state"], "st-123");
    let code = &params["code"];

    let response = token_request(
        &provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "tasks:read tasks:write");
    assert_eq!(tokens["instance_url"], provider.url());
    assert!(
        tokens["refresh_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );

    let (status, _, me) = me_with_token(&provider, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], "grace");
    assert_eq!(me["email"], "grace@tasklab.test");
    assert_eq!(me["auth"], "oauth");
    assert_eq!(me["via"], "bearer");

    // Codes are single-use.
    let again = token_request(
        &provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let error: Value = again.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant");

    let stats = provider.stats();
    assert_eq!(stats.token_requests.authorization_code, 2);
    assert_eq!(stats.token_requests.refresh_token, 0);
    assert_eq!(stats.token_errors, 1);
    let last = stats.last_token_request.unwrap();
    assert!(last.header("authorization").unwrap().starts_with("Basic "));
}

#[tokio::test]
async fn pkce_verifier_must_match_the_challenge() {
    let provider = FakeProvider::builder().start().await.unwrap();
    for (verifier, expected) in [
        (
            Some("tasklab-verifier-0123456789-abcdefghijklmnopqrstuvwxyZ"),
            "does not match",
        ),
        (Some("short"), "43 to 128"),
        (None, "missing code_verifier"),
    ] {
        let code = authorization_code(&provider, "ada").await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
        ];
        form.extend(verifier.map(|v| ("code_verifier", v)));
        let response = token_request(&provider, &form).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_grant");
        let description = error["error_description"].as_str().unwrap();
        assert!(description.contains(expected), "{description}");
    }
}

#[tokio::test]
async fn verifier_without_a_challenge_is_rejected_and_no_pkce_works_without_one() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let params = [
        ("response_type", "code"),
        ("client_id", provider.client_id()),
        ("redirect_uri", REDIRECT_URI),
    ];
    for verifier in [Some(VERIFIER), None] {
        let (_, html) = consent_page(&provider, &params).await;
        let response = decide(&provider, &hidden_request_id(&html), "allow", "ada").await;
        let params = redirect_params(&response);
        assert!(!params.contains_key("state"), "no state was sent");
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", REDIRECT_URI),
        ];
        form.extend(verifier.map(|v| ("code_verifier", v)));
        let response = token_request(&provider, &form).await;
        let expected = if verifier.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        assert_eq!(response.status(), expected);
    }
}

#[tokio::test]
async fn client_authentication_by_body_or_basic_header() {
    let provider = FakeProvider::builder()
        .client_id("my-app")
        .client_secret("s3cret")
        .start()
        .await
        .unwrap();

    // Credentials in the body.
    let code = authorization_code(&provider, "ada").await;
    let response = client()
        .post(provider.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
            ("client_id", "my-app"),
            ("client_secret", "s3cret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Wrong secrets, missing secrets and unknown clients are invalid_client (401).
    type Case<'a> = (&'a str, Option<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>);
    let cases: [Case; 3] = [
        ("basic, wrong secret", Some(("my-app", "nope")), vec![]),
        ("body, no secret", None, vec![("client_id", "my-app")]),
        (
            "body, unknown client",
            None,
            vec![("client_id", "other"), ("client_secret", "s3cret")],
        ),
    ];
    for (case, basic, extra) in cases {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend(extra);
        let mut request = client().post(provider.token_url()).form(&form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Basic realm=\"tasklab\""
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_client", "{case}");
    }
}

#[tokio::test]
async fn redirect_uri_must_match_the_authorization_request() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let code = authorization_code(&provider, "ada").await;
    let response = token_request(
        &provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://evil.example/callback"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant");
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri")
    );
}

#[tokio::test]
async fn expired_codes_are_rejected() {
    let provider = FakeProvider::builder()
        .code_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let code = authorization_code(&provider, "ada").await;
    let response = token_request(
        &provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant");
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let (_, html) = consent_page(&provider, &authorize_params(&provider, &[])).await;
    let response = decide(&provider, &hidden_request_id(&html), "deny", "ada").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let params = redirect_params(&response);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "st-123");
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn consent_form_needs_a_live_anti_forgery_field() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let forged = decide(&provider, "tl_req_forged", "allow", "ada").await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert!(forged.headers().get("location").is_none());

    let (_, html) = consent_page(&provider, &authorize_params(&provider, &[])).await;
    let request_id = hidden_request_id(&html);
    assert_eq!(
        decide(&provider, &request_id, "allow", "ada")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let replayed = decide(&provider, &request_id, "allow", "ada").await;
    assert_eq!(
        replayed.status(),
        StatusCode::BAD_REQUEST,
        "a request id is single-use"
    );
}

#[tokio::test]
async fn consent_page_escapes_what_it_shows() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let params = authorize_params(&provider, &[("login_hint", "\"><script>alert(1)</script>")]);
    let (status, html) = consent_page(&provider, &params).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test]
async fn bad_authorization_requests() {
    let provider = FakeProvider::builder().start().await.unwrap();

    // Unknown client or redirect URI: an error page, never a redirect.
    for (name, value) in [("client_id", "someone-else"), ("redirect_uri", "not a url")] {
        let mut params = authorize_params(&provider, &[]);
        params.retain(|(n, _)| *n != name);
        params.push((name, value));
        let response = client()
            .get(provider.authorize_url())
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap().contains(name));
    }

    // Other errors go back to the client, with the state.
    for (name, value, error) in [
        ("scope", "tasks:read admin", "invalid_scope"),
        ("code_challenge_method", "plain", "invalid_request"),
        ("response_type", "token", "unsupported_response_type"),
    ] {
        let mut params = authorize_params(&provider, &[]);
        params.retain(|(n, _)| *n != name);
        params.push((name, value));
        let response = client()
            .get(provider.authorize_url())
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FOUND, "{name}");
        let params = redirect_params(&response);
        assert_eq!(params["error"], error);
        assert_eq!(params["state"], "st-123");
    }
}

#[tokio::test]
async fn auto_approve_skips_the_consent_page() {
    let provider = FakeProvider::builder()
        .auto_approve(true)
        .start()
        .await
        .unwrap();
    let params = authorize_params(&provider, &[("login_hint", "linus")]);
    let response = client()
        .get(provider.authorize_url())
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let code = redirect_params(&response).remove("code").unwrap();
    let response = token_request(
        &provider,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    let tokens: Value = response.json().await.unwrap();
    let (_, _, me) = me_with_token(&provider, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(me["id"], "linus");
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_stops_working() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let first = tokens(&provider, "ada").await;
    let old_refresh = first["refresh_token"].as_str().unwrap();

    let response = token_request(
        &provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.unwrap();
    let new_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, old_refresh);
    assert_ne!(second["access_token"], first["access_token"]);
    let (status, _, me) = me_with_token(&provider, second["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], "ada");

    let replay = token_request(
        &provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", old_refresh),
        ],
    )
    .await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    let error: Value = replay.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant");

    // Narrowing the scope on refresh is allowed, widening is not.
    let narrowed = token_request(
        &provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", new_refresh),
            ("scope", "tasks:read"),
        ],
    )
    .await;
    let narrowed: Value = narrowed.json().await.unwrap();
    assert_eq!(narrowed["scope"], "tasks:read");

    let stats = provider.stats();
    assert_eq!(stats.token_requests.refresh_token, 3);
    assert_eq!(stats.token_requests.authorization_code, 1);
}

#[tokio::test]
async fn refresh_without_rotation_keeps_the_refresh_token() {
    let provider = FakeProvider::builder()
        .rotate_refresh_tokens(false)
        .start()
        .await
        .unwrap();
    let first = tokens(&provider, "ada").await;
    let refresh = first["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let response = token_request(
            &provider,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert!(body.get("refresh_token").is_none());
    }
}

#[tokio::test]
async fn client_credentials_grant_has_no_refresh_token() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let response = token_request(
        &provider,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "tasks:read"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "tasks:read");
    let token = body["access_token"].as_str().unwrap();

    let (status, _, me) = me_with_token(&provider, token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["auth"], "client_credentials");

    // Read-only token: listing works, creating is 403 insufficient_scope.
    let list = client()
        .get(format!("{}/tasks", provider.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let create = client()
        .post(format!("{}/tasks", provider.api_url()))
        .bearer_auth(token)
        .json(&serde_json::json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), StatusCode::FORBIDDEN);
    assert!(
        create.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );

    let bad_scope = token_request(
        &provider,
        &[("grant_type", "client_credentials"), ("scope", "admin")],
    )
    .await;
    let error: Value = bad_scope.json().await.unwrap();
    assert_eq!(error["error"], "invalid_scope");
    assert_eq!(provider.stats().token_requests.client_credentials, 2);
}

#[tokio::test]
async fn expired_access_token_gets_401_invalid_token() {
    let provider = FakeProvider::builder()
        .access_token_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let tokens = tokens(&provider, "ada").await;
    assert_eq!(tokens["expires_in"], 0);
    let (status, challenge, body) =
        me_with_token(&provider, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.unwrap().contains("error=\"invalid_token\""));
    assert_eq!(body["error"]["code"], "invalid_token");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn revoked_access_tokens_get_401_until_refreshed() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let first = tokens(&provider, "ada").await;
    provider.revoke_access_tokens();
    let (status, challenge, _) =
        me_with_token(&provider, first["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.unwrap().contains("invalid_token"));

    let response = token_request(
        &provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    let second: Value = response.json().await.unwrap();
    let (status, _, _) = me_with_token(&provider, second["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);

    provider.revoke_refresh_tokens();
    let response = token_request(
        &provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", second["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn malformed_token_requests() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let response = token_request(&provider, &[("grant_type", "password")]).await;
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "unsupported_grant_type");

    let response = token_request(&provider, &[("grant_type", "authorization_code")]).await;
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "invalid_request");
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("`code`")
    );

    // A JSON object is accepted (as many providers do, for `token_encoding = "json"`)...
    let response = client()
        .post(provider.token_url())
        .basic_auth(provider.client_id(), Some(provider.client_secret()))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // ...but not any other body.
    let response = client()
        .post(provider.token_url())
        .basic_auth(provider.client_id(), Some(provider.client_secret()))
        .header("content-type", "text/plain")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("x-www-form-urlencoded")
    );

    let response = client()
        .post(provider.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&grant_type=refresh_token")
        .send()
        .await
        .unwrap();
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "invalid_request");
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("repeated")
    );
}

#[tokio::test]
async fn planned_token_endpoint_failures() {
    let provider = FakeProvider::builder().start().await.unwrap();
    let first = tokens(&provider, "ada").await;
    let refresh = first["refresh_token"].as_str().unwrap();
    provider.fail_next_token_requests(1, StatusCode::SERVICE_UNAVAILABLE);
    provider.fail_next_token_requests(1, StatusCode::INTERNAL_SERVER_ERROR);
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];

    let response = token_request(&provider, &form).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "temporarily_unavailable");

    let response = token_request(&provider, &form).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "server_error");

    // The refresh token was not consumed by the failed attempts.
    let response = token_request(&provider, &form).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stats = provider.stats();
    assert_eq!(stats.token_requests.refresh_token, 3);
    assert_eq!(stats.token_errors, 2);
}
