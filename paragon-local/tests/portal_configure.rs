//! The Connect Portal's configure half through HTTP: the overview (sanitized Markdown), the
//! settings form stored on the credential as `sharedSettings`, validated on save with the
//! message next to the field, and the workflow toggles seen through `/sdk/me`.

use crate::common;

use common::*;
use reqwest::{Method, header};
use serde_json::{Value, json};

struct Browser {
    http: reqwest::Client,
    cookie: String,
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
        let set = res.headers()[header::SET_COOKIE].to_str().unwrap();
        let cookie = set.split(';').next().unwrap().to_string();
        Browser { http, cookie }
    }

    async fn get(&self, url: &str) -> (u16, String) {
        let res = self
            .http
            .get(url)
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    async fn post(&self, url: &str, pairs: &[(&str, &str)]) -> (u16, String) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let res = self
            .http
            .post(url)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }
}

/// The user's one Task Lab credential as `/sdk/me` reports it.
async fn tasklab(env: &Env, user: &str) -> Value {
    let (status, me) = env
        .call(user, Method::GET, &env.project("/sdk/me"), None, &[])
        .await;
    assert_eq!(status, 200, "{me}");
    me["integrations"]["custom.tasklab"].clone()
}

#[tokio::test]
async fn settings_are_validated_and_stored_on_the_credential() {
    let env = start().await;
    let id = env.connect_oauth("erin", "custom.tasklab").await;
    let browser = Browser::open(&env, "custom.tasklab", "erin").await;
    let page_url = env.url("/connect/custom.tasklab");
    let (status, page) = browser.get(&page_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("<strong>Task Lab</strong> board"), "{page}");
    assert!(page.contains("name=\"s.project\""), "{page}");
    assert!(page.contains("name=\"s.fields.due_date\""), "{page}");
    // Defaults are shown until the user saves.
    assert!(page.contains("value=\"50\""), "{page}");
    let token = csrf(&page);
    let settings = format!("{page_url}/settings");

    // Refused: each message next to its field, what was typed kept, nothing stored.
    let (status, page) = browser
        .post(
            &settings,
            &[
                ("csrf", &token),
                ("credential", &id),
                ("s.project", "ops one"),
                ("s.daily_limit", "a dozen"),
                ("s.sync", "yearly"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    for message in [
        "`Project` must match `[A-Z]+-[0-9]+`",
        "`Daily task limit` must be a number",
        "`Sync frequency` must be one of: hourly, daily, weekly",
    ] {
        assert!(
            page.contains(&format!("role=\"alert\">{}", html_escape(message))),
            "{message}\n{page}"
        );
    }
    assert!(page.contains("value=\"ops one\""), "{page}");
    let before = tasklab(&env, "erin").await;
    assert_eq!(before["credentialId"], id.as_str());
    assert_eq!(
        before["allCredentials"][0]["config"].get("sharedSettings"),
        None
    );

    // Without the CSRF token: refused.
    let (status, _) = browser
        .post(&settings, &[("credential", &id), ("s.project", "OPS-1")])
        .await;
    assert_eq!(status, 403);

    let (status, page) = browser
        .post(
            &settings,
            &[
                ("csrf", &token),
                ("credential", &id),
                ("s.project", "OPS-1"),
                ("s.daily_limit", "12"),
                ("s.sync", "weekly"),
                ("s.fields.title", "name"),
                ("s.fields.due_date", ""),
            ],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    let after = tasklab(&env, "erin").await;
    assert_eq!(after["credentialId"], id.as_str(), "the credential is kept");
    assert_eq!(after["credentialStatus"], "VALID");
    assert_eq!(
        after["allCredentials"][0]["config"]["sharedSettings"],
        json!({
            "project": "OPS-1",
            "daily_limit": 12,
            "notify": false,
            "sync": "weekly",
            "fields": { "title": "name" },
        })
    );
    let (_, page) = browser.get(&page_url).await;
    assert!(page.contains("value=\"OPS-1\""), "{page}");

    // Another user's credential cannot be configured from this session.
    let other = env.connect_oauth("frank", "custom.tasklab").await;
    let (status, _) = browser
        .post(
            &settings,
            &[
                ("csrf", &token),
                ("credential", &other),
                ("s.project", "X-1"),
            ],
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        tasklab(&env, "frank").await["allCredentials"][0]["config"].get("sharedSettings"),
        None
    );
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::test]
async fn workflows_are_listed_and_toggled() {
    let env = start().await;
    env.connect_oauth("gina", "custom.tasklab").await;
    let browser = Browser::open(&env, "custom.tasklab", "gina").await;
    let page_url = env.url("/connect/custom.tasklab");
    let (_, page) = browser.get(&page_url).await;
    assert!(page.contains("Mirror app tasks"), "{page}");
    assert!(
        page.contains("Copies every task created in the app"),
        "{page}"
    );
    let workflows = tasklab(&env, "gina").await["configuredWorkflows"].clone();
    let (wf_id, state) = workflows
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, w)| w["name"] == "Mirror app tasks")
        .map(|(id, w)| (id.clone(), w.clone()))
        .expect("listed in /sdk/me");
    assert_eq!(state["enabled"], true, "default_enabled");
    assert!(
        page.contains(&format!("name=\"workflow\" value=\"{wf_id}\"")),
        "{page}"
    );
    let token = csrf(&page);
    let toggle = format!("{page_url}/workflow");

    let (status, _) = browser
        .post(
            &toggle,
            &[("csrf", &token), ("workflow", &wf_id), ("enabled", "false")],
        )
        .await;
    assert_eq!(status, 303);
    let now = tasklab(&env, "gina").await;
    assert_eq!(now["configuredWorkflows"][&wf_id]["enabled"], false);
    let (_, page) = browser.get(&page_url).await;
    assert!(page.contains("Turn on Mirror app tasks"), "{page}");

    // The workflow's own setting, with its default, saved per account as workflowSettings.
    let prefix = format!("w.{wf_id}.prefix");
    assert!(
        page.contains(&format!("name=\"{prefix}\" type=\"text\" value=\"[app]\"")),
        "{page}"
    );
    let id = now["credentialId"].as_str().unwrap().to_string();
    let (status, _) = browser
        .post(
            &format!("{page_url}/settings"),
            &[("csrf", &token), ("credential", &id), (&prefix, "[crm]")],
        )
        .await;
    assert_eq!(status, 303);
    let config = tasklab(&env, "gina").await["allCredentials"][0]["config"].clone();
    assert_eq!(
        config["workflowSettings"][&wf_id]["prefix"], "[crm]",
        "{config}"
    );

    // An unknown workflow, or one of another integration, is refused and changes nothing.
    let (status, _) = browser
        .post(
            &toggle,
            &[("csrf", &token), ("workflow", "nope"), ("enabled", "true")],
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = browser
        .post(&toggle, &[("workflow", &wf_id), ("enabled", "true")])
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        tasklab(&env, "gina").await["configuredWorkflows"][&wf_id]["enabled"],
        false
    );
}

/// Markdown with every raw HTML trick: none of it reaches the page.
const HOSTILE: &str = r##"
name = "Hostile Overview"
description = "An overview that tries to run script."
icon = "icon.svg"
color = "#0F766E"
overview = """
**Bold** stays. <script>alert(1)</script>
<img src=x onerror="alert(2)">
[click](javascript:alert(3)) <iframe src="https://evil.example"></iframe>
<a href="https://ok.example" onclick="alert(4)">ok</a>
"""

[auth]
type = "api_key"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }
"##;

#[tokio::test]
async fn the_overview_is_sanitized() {
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.manifest(manifest(HOSTILE))
    })
    .await;
    let slug = "custom.hostileoverview";
    let browser = Browser::open(&env, slug, "hal").await;
    let (status, page) = browser.get(&env.url(&format!("/connect/{slug}"))).await;
    assert_eq!(status, 200);
    assert!(page.contains("<strong>Bold</strong> stays."), "{page}");
    for forbidden in [
        "<script",
        "onerror",
        "javascript:",
        "<iframe",
        "onclick",
        "alert(",
    ] {
        assert!(!page.contains(forbidden), "{forbidden} passed:\n{page}");
    }
    assert!(page.contains("href=\"https://ok.example\""), "{page}");
}

/// Task Lab Keys with a setting sent as a header.
const TEAM_HEADER: &str = r##"
name = "Team Keys"
description = "Task Lab with an API key and a team header from the user's settings."
icon = "icon.svg"
color = "#0F766E"

[auth]
type = "api_key"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[[settings]]
key = "team"
label = "Team"
default = "core"

[api]
base_url = "{env.TASKLAB_URL}/v1"
test_endpoint = "/me"
authorization = { type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }
headers = { "X-Team" = "{settings.team}" }
"##;

#[tokio::test]
async fn the_proxy_sends_settings_from_manifest_templates() {
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.manifest(manifest(TEAM_HEADER))
    })
    .await;
    let slug = "custom.teamkeys";
    let browser = Browser::open(&env, slug, "ivy").await;
    let page_url = env.url(&format!("/connect/{slug}"));
    let (_, page) = browser.get(&page_url).await;
    let token = csrf(&page);
    let key = env.provider.api_keys()[0].to_string();
    let (status, _) = browser
        .post(
            &format!("{page_url}/enable"),
            &[("csrf", &token), ("api_key", &key)],
        )
        .await;
    assert_eq!(status, 303);
    let (status, echo) = env.proxy("ivy", Method::GET, slug, "/echo").await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(
        echo["output"]["headers"]["x-team"], "core",
        "the default: {echo}"
    );

    let (_, me) = env
        .call("ivy", Method::GET, &env.project("/sdk/me"), None, &[])
        .await;
    let id = me["integrations"][slug]["credentialId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = browser
        .post(
            &format!("{page_url}/settings"),
            &[("csrf", &token), ("credential", &id), ("s.team", "ops")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, echo) = env.proxy("ivy", Method::GET, slug, "/echo").await;
    assert_eq!(echo["output"]["headers"]["x-team"], "ops", "{echo}");
}

#[tokio::test]
async fn an_invalid_account_is_reconnected_in_place() {
    let env = start().await;
    let slug = "custom.tasklab";
    let id = env.connect_oauth("jo", slug).await;
    let browser = Browser::open(&env, slug, "jo").await;
    let page_url = env.url(&format!("/connect/{slug}"));
    let (_, page) = browser.get(&page_url).await;
    let token = csrf(&page);
    // A valid account is not reconnected.
    let reconnect = format!("{page_url}/reconnect");
    let (status, _) = browser
        .post(&reconnect, &[("csrf", &token), ("credential", &id)])
        .await;
    assert_eq!(status, 400);

    // Settings and a workflow choice to keep.
    let (status, _) = browser
        .post(
            &format!("{page_url}/settings"),
            &[
                ("csrf", &token),
                ("credential", &id),
                ("s.project", "OPS-7"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let before = tasklab(&env, "jo").await;
    let wf_id = before["configuredWorkflows"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, w)| w["name"] == "Mirror app tasks")
        .map(|(id, _)| id.clone())
        .unwrap();
    let (status, _) = browser
        .post(
            &format!("{page_url}/workflow"),
            &[("csrf", &token), ("workflow", &wf_id), ("enabled", "false")],
        )
        .await;
    assert_eq!(status, 303);

    // The provider revokes every token: the account becomes INVALID.
    env.provider.revoke_access_tokens();
    env.provider.revoke_refresh_tokens();
    let (status, body) = env.proxy("jo", Method::GET, slug, "/me").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(tasklab(&env, "jo").await["credentialStatus"], "INVALID");
    let (_, page) = browser.get(&page_url).await;
    assert!(page.contains(&format!("Reconnect account {id}")), "{page}");

    // Reconnect: the provider approves, the callback renews the same credential.
    let (status, headers) = {
        let res = browser
            .http
            .post(&reconnect)
            .header(header::COOKIE, &browser.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("csrf={token}&credential={id}"))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.headers().clone())
    };
    assert_eq!(status, 303);
    let authorize = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(
        authorize.starts_with(&env.provider.authorize_url()),
        "{authorize}"
    );
    let flow = headers[header::SET_COOKIE].to_str().unwrap();
    let flow = flow.split(';').next().unwrap().to_string();
    let res = browser.http.get(&authorize).send().await.unwrap();
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
    assert_eq!(back, format!("/connect/{slug}?credentialId={id}"));

    let after = tasklab(&env, "jo").await;
    assert_eq!(
        after["allCredentials"].as_array().unwrap().len(),
        1,
        "{after}"
    );
    assert_eq!(after["credentialId"], id.as_str());
    assert_eq!(after["credentialStatus"], "VALID");
    assert_eq!(
        after["allCredentials"][0]["config"]["sharedSettings"]["project"],
        "OPS-7"
    );
    assert_eq!(after["configuredWorkflows"][&wf_id]["enabled"], false);
    let (status, body) = env.proxy("jo", Method::GET, slug, "/me").await;
    assert_eq!(status, 200, "{body}");
}

/// The `providerId` of the user's credential `id`, as `GET /sdk/credentials` lists it.
async fn provider_id(env: &Env, user: &str, id: &str) -> Value {
    let (status, list) = env
        .call(
            user,
            Method::GET,
            &env.project("/sdk/credentials"),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .and_then(|l| l.iter().find(|c| c["id"] == id))
        .map(|c| c["providerId"].clone())
        .unwrap_or_else(|| panic!("no credential {id}: {list}"))
}

#[tokio::test]
async fn a_reconnect_as_another_account_reports_that_account() {
    let slug = "custom.tasklabsites";
    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.specs(specs().join("tasklab-sites"))
    })
    .await;
    let id = env.connect_oauth("jo", slug).await;
    let (_, me) = env.proxy("jo", Method::GET, slug, "/me").await;
    let first = me["output"]["id"].as_str().expect("account id").to_owned();
    assert_eq!(provider_id(&env, "jo", &id).await, first.as_str());

    env.provider.revoke_access_tokens();
    env.provider.revoke_refresh_tokens();
    let (status, body) = env.proxy("jo", Method::GET, slug, "/me").await;
    assert_eq!(status, 401, "{body}");

    // Reconnected in the portal, signed in at the provider as another account.
    let browser = Browser::open(&env, slug, "jo").await;
    let page_url = env.url(&format!("/connect/{slug}"));
    let (_, page) = browser.get(&page_url).await;
    let token = csrf(&page);
    let res = browser
        .http
        .post(format!("{page_url}/reconnect"))
        .header(header::COOKIE, &browser.cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("csrf={token}&credential={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let authorize = res.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let flow = res.headers()[header::SET_COOKIE].to_str().unwrap();
    let flow = flow.split(';').next().unwrap().to_string();
    let res = browser
        .http
        .get(format!("{authorize}&login_hint=grace"))
        .send()
        .await
        .unwrap();
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

    let (status, me) = env.proxy("jo", Method::GET, slug, "/me").await;
    assert_eq!(status, 200, "{me}");
    let second = me["output"]["id"].as_str().expect("account id").to_owned();
    assert_ne!(second, first);
    // The same credential now reports the account it holds.
    assert_eq!(provider_id(&env, "jo", &id).await, second.as_str());
}

/// Answers with the user's integration settings: `{settings.*}` of the manifest, read by a
/// workflow.
const SETTINGS_ECHO: &str = r#"
name = "Settings echo"
default_enabled = true

[trigger]
type = "request"

[[steps]]
key = "answer"
type = "response"
status = 200
body = { project = "{settings.project}", limit = "{settings.daily_limit}", sync = "{settings.sync}" }
"#;

#[tokio::test]
async fn workflows_read_the_integration_settings() {
    use paragon_manifest::workflow::{Context, Workflow};
    let slug = "custom.tasklab";
    let manifest = paragon_manifest::Manifest::load(specs().join("tasklab")).unwrap();
    let ctx = Context {
        integration: slug.into(),
        settings: manifest.setting_keys(),
        ..Context::default()
    };
    let wf = Workflow::parse(SETTINGS_ECHO, "specs/tasklab/workflows/echo.toml", &ctx)
        .unwrap_or_else(|d| panic!("{d}"));
    // Without the manifest's settings, the reference is refused with a suggestion.
    let bare = Context {
        settings: Vec::new(),
        ..ctx.clone()
    };
    let refused = Workflow::parse(SETTINGS_ECHO, "specs/tasklab/workflows/echo.toml", &bare)
        .expect_err("undeclared settings");
    assert!(
        refused.to_string().contains("settings.project"),
        "{refused}"
    );

    let env = start_with(paragon_fake_provider::FakeProvider::builder(), |b| {
        b.workflow(wf)
    })
    .await;
    let id = env.connect_oauth("lee", slug).await;
    let wf_id = tasklab(&env, "lee").await["configuredWorkflows"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, w)| w["name"] == "Settings echo")
        .map(|(id, _)| id.clone())
        .unwrap();
    let trigger = env.project(&format!("/sdk/triggers/{wf_id}"));
    let (status, body) = env
        .call("lee", Method::POST, &trigger, Some(json!({})), &[])
        .await;
    // `project` has no default: until the user sets it, the run fails and says why.
    assert_eq!(status, 500, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`{settings.project}` has no value"),
        "{body}"
    );

    let (status, _) = env
        .call(
            "lee",
            Method::PATCH,
            &env.project(&format!("/sdk/credentials/{id}")),
            Some(json!({"config": {"sharedSettings": {"project": "OPS-2", "daily_limit": 5}}})),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = env
        .call("lee", Method::POST, &trigger, Some(json!({})), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    // Stored values, and the manifest's default for what was not set.
    assert_eq!(
        body,
        json!({"project": "OPS-2", "limit": 5, "sync": "daily"})
    );
}
