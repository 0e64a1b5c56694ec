//! The typed Connect API calls: each request's wire form and each answer's decoding.

mod common;

use common::{PROJECT, Reply, Server};
use paragon_sdk::api::{
    CredentialStatus, FieldOptionsRequest, NewCredential, OAuthOptions, WorkflowOutcome,
};
use paragon_sdk::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn me_decodes_forward_compatibly_and_metadata_is_patched() {
    let server = Server::start(vec![
        Reply::json(
            200,
            json!({
                "authenticated": true,
                "userId": "user-42",
                "somethingNew": {"x": 1},
                "integrations": {
                    "custom.tasklab": {
                        "enabled": true, "credentialId": "c1", "credentialStatus": "VALID", "providerId": "p-9",
                        "allCredentials": [{"id": "c1", "status": "VALID", "configurations": null}]
                    },
                    "salesforce": {"enabled": false, "credentialStatus": "REFRESHING", "allCredentials": null}
                },
                "meta": {"Email": "a@example.com"}
            }),
        ),
        Reply::json(200, json!({})),
    ])
    .await;
    let paragon = server.keyed_client().user("user-42");
    let me = paragon.me().await.unwrap();
    assert!(me.authenticated);
    assert_eq!(me.user_id.as_deref(), Some("user-42"));
    let tasklab = &me.integrations["custom.tasklab"];
    assert!(tasklab.enabled);
    assert_eq!(tasklab.credential_status, Some(CredentialStatus::Valid));
    assert_eq!(tasklab.all_credentials[0].id, "c1");
    assert_eq!(
        me.integrations["salesforce"].credential_status,
        Some(CredentialStatus::Other("REFRESHING".into()))
    );
    assert_eq!(me.meta["Email"], "a@example.com");

    paragon
        .set_metadata(&json!({"Name": "Ada", "Email": "ada@example.com"}))
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].uri.as_str()),
        ("GET", &*format!("/projects/{PROJECT}/sdk/me"))
    );
    assert_eq!(
        (reqs[1].method.as_str(), reqs[1].uri.as_str()),
        ("PATCH", &*format!("/projects/{PROJECT}/sdk/me"))
    );
    assert_eq!(
        reqs[1].json(),
        json!({"meta": {"Name": "Ada", "Email": "ada@example.com"}})
    );
    assert_eq!(common::verify(&reqs[1].bearer())["sub"], "user-42");
}

#[tokio::test]
async fn integrations_list_and_uninstall() {
    let server = Server::start(vec![
        Reply::json(
            200,
            json!([
                {"id": "6f1c2d3e-0000-4000-8000-000000000001", "type": "custom", "customIntegration": {"slug": "tasklab"}, "isActive": true, "name": "Task Lab",
                 "brandColor": "#123456", "authenticationType": "oauth", "hasCredential": true},
                {"id": "i2", "type": "salesforce", "isActive": false, "hasCredential": null}
            ]),
        ),
        Reply::bytes(200, ""),
    ])
    .await;
    let paragon = server.token_client("t");
    let list = paragon.integrations().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].proxy_name(), "custom.tasklab");
    assert_eq!(list[1].proxy_name(), "salesforce");
    assert!(list[0].has_credential && !list[1].has_credential);
    paragon
        .uninstall("6f1c2d3e-0000-4000-8000-000000000001", Some("c-7"))
        .await
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs[0].uri, format!("/projects/{PROJECT}/sdk/integrations"));
    assert_eq!(reqs[1].method, Method::DELETE);
    assert_eq!(
        reqs[1].uri,
        format!("/projects/{PROJECT}/sdk/integrations/6f1c2d3e-0000-4000-8000-000000000001")
    );
    assert_eq!(reqs[1].header("x-paragon-credential"), Some("c-7"));
}

#[tokio::test]
async fn credentials_crud_and_configurations() {
    let cred = json!({"id": "c1", "projectId": PROJECT, "integrationId": "6f1c2d3e-0000-4000-8000-000000000001", "status": "PENDING", "providerId": null,
                      "dateCreated": "2026-01-01T00:00:00Z", "configurations": [{"id": "cfg1", "externalId": "ext"}]});
    let server = Server::start(vec![
        Reply::json(200, json!([cred.clone()])),
        Reply::json(200, cred.clone()),
        Reply::json(201, cred.clone()),
        Reply::json(200, cred.clone()),
        // As the cloud answers: the whole credential, the new configuration among the others.
        Reply::json(
            201,
            json!({"id": "c1", "configurations": [
            {"id": "cfg2", "externalId": "mine", "dateCreated": "2026-01-02T00:00:00.000Z"},
            {"id": "cfg1", "externalId": "ext", "dateCreated": "2026-01-01T00:00:00.000Z"}]}),
        ),
        Reply::json(200, json!({"id": "cfg2"})),
        Reply::bytes(204, ""),
    ])
    .await;
    let p = server.token_client("t");
    let list = p.credentials().await.unwrap();
    assert_eq!(list[0].status, Some(CredentialStatus::Pending));
    assert_eq!(
        list[0].configurations[0].external_id.as_deref(),
        Some("ext")
    );
    assert_eq!(
        p.credential("c1").await.unwrap().integration_id.as_deref(),
        Some("6f1c2d3e-0000-4000-8000-000000000001")
    );
    p.create_credential(
        &NewCredential::new("6f1c2d3e-0000-4000-8000-000000000001").value("apiKey", "k-123"),
    )
    .await
    .unwrap();
    p.update_credential("c1", &json!({"sharedSettings": {"folder": "x"}}))
        .await
        .unwrap();
    let cfg = p.create_configuration("c1", Some("mine")).await.unwrap();
    assert_eq!(cfg.id, "cfg2");
    p.update_configuration("c1", "cfg2", &json!({"team": "a"}))
        .await
        .unwrap();
    p.delete_configuration("c1", "cfg2").await.unwrap();
    assert!(matches!(
        p.credential("../me").await,
        Err(paragon_sdk::Error::InvalidRequest(_))
    ));

    let r = server.requests();
    let base = format!("/projects/{PROJECT}/sdk/credentials");
    let expect = [
        ("GET", base.clone()),
        ("GET", format!("{base}/c1")),
        ("POST", base.clone()),
        ("PATCH", format!("{base}/c1")),
        ("POST", format!("{base}/c1/configurations")),
        ("PATCH", format!("{base}/c1/configurations")),
        ("DELETE", format!("{base}/c1/configurations")),
    ];
    assert_eq!(r.len(), expect.len());
    for (req, (m, u)) in r.iter().zip(&expect) {
        assert_eq!((req.method.as_str(), &req.uri), (*m, u));
    }
    assert_eq!(
        r[2].json(),
        json!({"integrationId": "6f1c2d3e-0000-4000-8000-000000000001", "config": {}, "payload": {"apiKey": "k-123"}})
    );
    assert_eq!(
        r[3].json(),
        json!({"config": {"sharedSettings": {"folder": "x"}}})
    );
    assert_eq!(r[4].json(), json!({"externalId": "mine"}));
    assert_eq!(r[5].header("x-paragon-configuration-id"), Some("cfg2"));
    assert_eq!(r[5].json(), json!({"meta": {"team": "a"}}));
    assert_eq!(r[6].header("x-paragon-configuration-id"), Some("cfg2"));
}

#[tokio::test]
async fn build_oauth_returns_the_authorization_url() {
    let server = Server::start(vec![Reply::json(
        200,
        json!({"redirectUrl": "https://provider.example/authorize?state=s"}),
    )])
    .await;
    let p = server.token_client("t");
    let url = p
        .build_oauth(
            "6f1c2d3e-0000-4000-8000-000000000001",
            &OAuthOptions::new()
                .value("subdomain", "acme")
                .redirect_url("https://app.example/done"),
        )
        .await
        .unwrap();
    assert_eq!(url, "https://provider.example/authorize?state=s");
    let req = server.only_request();
    let (path, query) = req.uri.split_once('?').unwrap();
    assert_eq!(
        path,
        format!("/v2/projects/{PROJECT}/sdk/actions/build-oauth")
    );
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    assert_eq!(
        pairs,
        vec![
            ("action".into(), "custom".into()),
            (
                "integrationId".into(),
                "6f1c2d3e-0000-4000-8000-000000000001".into()
            ),
            (
                "endUserSuppliedValues".into(),
                r#"{"subdomain":"acme"}"#.into()
            ),
            ("redirectUrl".into(), "https://app.example/done".into()),
        ]
    );
    assert_eq!(
        p.oauth_redirect_url().unwrap(),
        format!("{}/oauth", server.url())
    );
}

#[tokio::test]
async fn workflows_events_and_field_options() {
    let server = Server::start(vec![
        Reply::bytes(200, ""),
        Reply::bytes(200, ""),
        Reply::json(200, json!({"result": 42})),
        Reply::bytes(202, ""),
        Reply::bytes(201, ""),
        Reply::json(200, json!({"data": [{"label": "A", "value": "a"}]})),
    ])
    .await;
    let p = server.token_client("t");
    p.enable_workflow("wf-1").await.unwrap();
    p.disable_workflow("wf-1").await.unwrap();
    let out = p
        .trigger_workflow_with_query("wf-1", &[("source", "test")], &json!({"x": 1}))
        .await
        .unwrap();
    assert_eq!(out, WorkflowOutcome::Response(json!({"result": 42})));
    assert_eq!(
        p.trigger_workflow("wf-1", &json!({})).await.unwrap(),
        WorkflowOutcome::Accepted
    );
    p.send_event("Contact Created", &json!({"email": "a@example.com"}))
        .await
        .unwrap();
    let options = p
        .field_options(
            &FieldOptionsRequest::new("SALESFORCE_CREATE", "fieldId")
                .search("acc")
                .page_cursor("2"),
        )
        .await
        .unwrap();
    assert_eq!(options["data"][0]["value"], "a");

    let r = server.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].uri.as_str()),
        ("POST", &*format!("/projects/{PROJECT}/sdk/workflows/wf-1"))
    );
    assert_eq!(
        (r[1].method.as_str(), r[1].uri.as_str()),
        (
            "DELETE",
            &*format!("/projects/{PROJECT}/sdk/workflows/wf-1")
        )
    );
    assert_eq!(
        r[2].uri,
        format!("/projects/{PROJECT}/sdk/triggers/wf-1?source=test")
    );
    assert_eq!(r[2].json(), json!({"x": 1}));
    assert_eq!(r[3].uri, format!("/projects/{PROJECT}/sdk/triggers/wf-1"));
    assert_eq!(
        r[4].uri,
        format!("/v2/projects/{PROJECT}/sdk/events/trigger")
    );
    assert_eq!(
        r[4].json(),
        json!({"name": "Contact Created", "payload": {"email": "a@example.com"}})
    );
    assert_eq!(r[5].uri, format!("/projects/{PROJECT}/sdk/actions"));
    assert_eq!(
        r[5].json(),
        json!({"action": "SALESFORCE_CREATE", "sourceKey": "fieldId", "parameters": [],
               "paginationParameters": {"pageCursor": "2", "search": "acc"}})
    );
}

#[tokio::test]
async fn actionkit_tools_run_and_triggers() {
    let server = Server::start(vec![
        Reply::json(
            200,
            json!({"tools": {"slack": [{"type": "function", "function": {"name": "SLACK_SEND_MESSAGE", "description": "Send",
                   "parameters": {"type": "object"}}}]}, "errors": []}),
        ),
        Reply::json(200, json!({"ok": true})),
        Reply::json(200, json!([{"name": "new message"}])),
    ])
    .await;
    let p = server.token_client("t");
    let tools = p.actionkit_tools(&["slack", "hubspot"]).await.unwrap();
    assert_eq!(tools.tools["slack"][0].function.name, "SLACK_SEND_MESSAGE");
    assert_eq!(tools.tools["slack"][0].kind, "function");
    let out = p
        .run_tool(
            "SLACK_SEND_MESSAGE",
            &json!({"channel": "#general", "text": "hi"}),
        )
        .await
        .unwrap();
    assert_eq!(out, json!({"ok": true}));
    let triggers = p.actionkit_triggers(&["slack"]).await.unwrap();
    assert_eq!(triggers[0]["name"], "new message");

    let r = server.requests();
    assert_eq!(
        r[0].uri,
        format!("/projects/{PROJECT}/tools?format=json_schema&integrations=slack%2Chubspot")
    );
    assert_eq!(r[1].method, Method::POST);
    assert_eq!(
        r[1].json(),
        json!({"tool": "SLACK_SEND_MESSAGE", "parameters": {"channel": "#general", "text": "hi"}})
    );
    assert_eq!(
        r[2].uri,
        format!("/projects/{PROJECT}/triggers?integrations=slack")
    );
}

#[tokio::test]
async fn test_connection_reports_success_and_failure() {
    let server = Server::start(vec![
        Reply::output(json!({"id": "me"})),
        Reply::json(401, json!({"error": "invalid_token"})),
    ])
    .await;
    let p = server.token_client("t");
    let ok = p.test_connection("custom.tasklab", "/me").await.unwrap();
    assert!(ok.is_success());
    let bad = p.test_connection("custom.tasklab", "/me").await.unwrap();
    assert!(!bad.is_success());
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.reason.unwrap().contains("invalid_token"));
    assert_eq!(
        server.requests()[0].uri,
        format!("/projects/{PROJECT}/sdk/proxy/custom.tasklab/me")
    );
}

#[tokio::test]
async fn services_can_live_at_different_urls() {
    let api = Server::start(vec![Reply::json(200, json!({"authenticated": true}))]).await;
    let proxy = Server::start(vec![Reply::output(json!(1))]).await;
    let events = Server::start(vec![Reply::bytes(201, "")]).await;
    let actionkit = Server::start(vec![Reply::json(200, json!({"tools": {}}))]).await;
    let p = paragon_sdk::Paragon::builder()
        .ignore_env()
        .project_id(PROJECT)
        .user_token("t")
        .api_url(api.url())
        .proxy_url(proxy.url())
        .events_url(events.url())
        .actionkit_url(actionkit.url())
        .build()
        .unwrap();
    p.me().await.unwrap();
    p.request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap();
    p.send_event("e", &json!({})).await.unwrap();
    p.actionkit_tools(&[]).await.unwrap();
    for s in [&api, &proxy, &events, &actionkit] {
        assert_eq!(s.requests().len(), 1);
    }
}

#[tokio::test]
async fn integration_names_resolve_to_ids_with_one_listing() {
    let listing = json!([
        {"id": "6f1c2d3e-0000-4000-8000-000000000001", "type": "custom", "customIntegration": {"slug": "tasklab"}},
        {"id": "6f1c2d3e-0000-4000-8000-000000000002", "type": "salesforce"}
    ]);
    let server = Server::start(vec![
        Reply::json(200, listing),
        Reply::json(200, json!({"redirectUrl": "https://provider.example/authorize"})),
        Reply::json(200, json!({"id": "c1"})),
        Reply::bytes(200, ""),
        // A name missing from the cached listing is looked up once more.
        Reply::json(200, json!([{"id": "6f1c2d3e-0000-4000-8000-000000000003", "type": "custom", "customIntegration": {"slug": "custom.new"}}])),
        Reply::bytes(200, ""),
        Reply::json(200, json!([])),
    ])
    .await;
    // Handles for two users share one cache.
    let client = server.keyed_client();
    let p = client.user("ada");
    p.build_oauth("custom.tasklab", &OAuthOptions::new())
        .await
        .unwrap();
    client
        .user("bob")
        .create_credential(&NewCredential::new("salesforce").value("apiKey", "k"))
        .await
        .unwrap();
    p.uninstall("custom.tasklab", None).await.unwrap();
    p.uninstall("custom.new", None).await.unwrap();
    let err = p.uninstall("custom.gone", None).await.unwrap_err();
    assert!(
        matches!(&err, paragon_sdk::Error::InvalidRequest(m) if m.contains("custom.gone") && m.contains("/sdk/integrations")),
        "{err}"
    );

    let r = server.requests();
    let listing = format!("/projects/{PROJECT}/sdk/integrations");
    let uris: Vec<&str> = r.iter().map(|r| r.uri.split('?').next().unwrap()).collect();
    assert_eq!(
        uris,
        vec![
            listing.as_str(),
            &*format!("/v2/projects/{PROJECT}/sdk/actions/build-oauth"),
            &*format!("/projects/{PROJECT}/sdk/credentials"),
            &*format!("{listing}/6f1c2d3e-0000-4000-8000-000000000001"),
            listing.as_str(),
            &*format!("{listing}/6f1c2d3e-0000-4000-8000-000000000003"),
            listing.as_str(),
        ]
    );
    assert!(
        r[1].uri
            .contains("integrationId=6f1c2d3e-0000-4000-8000-000000000001")
    );
    assert_eq!(
        r[2].json()["integrationId"],
        "6f1c2d3e-0000-4000-8000-000000000002"
    );
}
