//! The official JavaScript SDK, `@useparagon/connect` (pinned in `scripts/install-js-sdk.sh`),
//! against the local server in headless Chromium, from an app page served on another loopback
//! origin (`http://localhost:<port>`; the server is `http://127.0.0.1:<port>`), so every call
//! is a cross-origin call the browser preflights, as in a real front end.
//!
//! Each call's result is asserted: `authenticate`, `getUser`, `setUserMetadata`,
//! `getIntegrationMetadata` (its icon loads), the headless API-key install flow, `request`
//! (GET and POST), `uninstallIntegration`, `connect` (the local Connect Portal in the SDK's
//! frame: a forged message from another frame is ignored, Enable and Disconnect there show in
//! `getUser()`), `installIntegration` for the OAuth demo (the SDK's
//! popup reaches Task Lab's consent page, approving closes it and the SDK's promise resolves),
//! then `event` and `workflow`, which run that integration's workflows, and last `connect` on
//! the OAuth integration, whose Enable in the frame runs the SDK's popup flow.
//!
//! Needs the SDK under `.cache/npm` (`scripts/install-js-sdk.sh`) and `chromium` +
//! `chromedriver` on `PATH`. Without them the test says it is skipped and passes, unless
//! `PARAGON_REQUIRE_BROWSER=1`, which makes it fail. Screenshots go to
//! `<target dir>/js-sdk-screenshots/`.

mod chromium;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chromium::{Driver, capabilities, on_path, screenshots_dir, unix_nanos};
use fantoccini::{Client, ClientBuilder, Locator};
use paragon_examples::Demo;
use paragon_examples::demo::{API_KEY, TASKLAB, TASKLAB_KEYS};
use serde_json::{Value, json};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const WAIT: Duration = Duration::from_secs(20);

/// Where `scripts/install-js-sdk.sh` puts the SDK's browser bundle.
fn sdk_bundle() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../.cache/npm/node_modules/@useparagon/connect/dist/src/index.js"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_js_sdk_in_chromium() {
    let required = std::env::var("PARAGON_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let bundle = sdk_bundle();
    let (Some(chromium), Some(chromedriver), true) = (
        on_path(&["chromium", "chromium-browser", "google-chrome"]),
        on_path(&["chromedriver"]),
        bundle.is_file(),
    ) else {
        assert!(
            !required,
            "PARAGON_REQUIRE_BROWSER=1 but chromium, chromedriver or the SDK ({}) is missing \
             (apt-get install -y chromium chromium-driver; scripts/install-js-sdk.sh)",
            bundle.display()
        );
        println!(
            "skipped: needs chromium, chromedriver and scripts/install-js-sdk.sh for the \
             JavaScript SDK test"
        );
        return;
    };
    let shots = screenshots_dir("js-sdk-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots folder");
    let profile = std::env::temp_dir().join(format!(
        "paragon-js-sdk-chromium-{}-{}",
        std::process::id(),
        unix_nanos()
    ));
    let driver = Driver::start(&chromedriver, &shots.join("chromedriver.log"))
        .await
        .expect("start chromedriver");
    let client = ClientBuilder::rustls()
        .expect("TLS setup")
        .capabilities(capabilities(&chromium, &profile))
        .connect(&driver.url)
        .await
        .expect("open a Chromium session");
    let demo = Demo::start().await.expect("demo servers");
    let app = App::start(&bundle).await.expect("the app's page server");

    let outcome = run(&client, &demo, &app, &shots).await;

    let _ = client.close().await;
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    demo.shutdown().await;
    if let Err(e) = outcome {
        panic!("{e}\n(screenshots: {})", shots.display());
    }
    println!("screenshots: {}", shots.display());
}

async fn run(client: &Client, demo: &Demo, app: &App, shots: &Path) -> Result {
    client.goto(&app.url).await?;
    let page = Page { client };
    // The SDK, pointed at the local server service by service, before `authenticate`.
    page.js(
        "const s = arguments[0];
         paragon.configureGlobal({ host: 'localhost' }, {
           CONNECT_PUBLIC_URL: s, DASHBOARD_PUBLIC_URL: s, PASSPORT_PUBLIC_URL: s,
           PASSPORT_PRODUCTION_URL: s, ZEUS_PUBLIC_URL: s, WORKER_PROXY_PUBLIC_URL: s,
           HERMES_PUBLIC_URL: s, API_TRIGGER_KIT_PUBLIC_URL: s, ACTIONKIT_PUBLIC_URL: s,
           CDN_PUBLIC_URL: s,
         });
         return true;",
        json!([demo.url()]),
    )
    .await?;
    let token = demo.user_token("alice")?;

    // authenticate + getUser
    let user = page
        .js(
            "await paragon.authenticate(arguments[0], arguments[1]); return paragon.getUser();",
            json!([demo.project_id(), token]),
        )
        .await?;
    check(user["authenticated"] == true, format!("getUser: {user}"))?;
    check(user["userId"] == "alice", format!("getUser: {user}"))?;
    check(
        user["integrations"][TASKLAB_KEYS]["enabled"] == false,
        format!("alice starts with nothing connected: {user}"),
    )?;

    // setUserMetadata: the answer and the server agree.
    let user = page
        .js(
            "return await paragon.setUserMetadata({ Email: 'alice@example.com', plan: 'pro' });",
            json!([]),
        )
        .await?;
    check(
        user["meta"]["Email"] == "alice@example.com",
        format!("setUserMetadata: {user}"),
    )?;
    let me = demo.paragon().user("alice").me().await?;
    check(
        me.meta.get("plan") == Some(&json!("pro")),
        format!("the server has {:?}", me.meta),
    )?;

    // getIntegrationMetadata, with an icon the page can load.
    let meta = page
        .js(
            "const m = paragon.getIntegrationMetadata(arguments[0]);
             const img = new Image();
             const loaded = await new Promise(ok => {
               img.onload = () => ok(img.naturalWidth > 0);
               img.onerror = () => ok(false);
               img.src = m.icon;
               document.body.appendChild(img);
             });
             return { ...m, loaded };",
            json!([TASKLAB_KEYS]),
        )
        .await?;
    check(
        meta["name"] == "Task Lab Keys" && meta["type"] == TASKLAB_KEYS && meta["loaded"] == true,
        format!("getIntegrationMetadata: {meta}"),
    )?;
    check(
        meta["brandColor"]
            .as_str()
            .is_some_and(|c| c.starts_with('#')),
        format!("getIntegrationMetadata: {meta}"),
    )?;

    // The API-key install through the SDK's headless flow.
    let installed = page
        .js(
            "paragon.setHeadless(true);
             const [name, key] = arguments;
             const result = await new Promise((ok, fail) => {
               paragon.installFlow.start(name, {
                 onNext: next => {
                   if (next.stage === 'preOptions') {
                     paragon.installFlow.setPreOptions({ api_key: key });
                   }
                 },
                 onComplete: ok,
                 onError: e => fail(e),
               });
             });
             paragon.setHeadless(false);
             return { result, user: paragon.getUser() };",
            json!([TASKLAB_KEYS, API_KEY]),
        )
        .await?;
    let state = &installed["user"]["integrations"][TASKLAB_KEYS];
    check(
        state["enabled"] == true && state["credentialId"].is_string(),
        format!("after the headless install: {installed}"),
    )?;
    let me = demo.paragon().user("alice").me().await?;
    check(
        me.integrations[TASKLAB_KEYS].enabled,
        "the server has no Task Lab Keys credential after the headless install",
    )?;

    // request: GET and POST through the proxy.
    let who = page
        .js(
            "return await paragon.request(arguments[0], '/me', { method: 'GET' });",
            json!([TASKLAB_KEYS]),
        )
        .await?;
    check(who["id"] == "key-1", format!("request GET /me: {who}"))?;
    let task = page
        .js(
            "return await paragon.request(arguments[0], '/tasks', {
               method: 'POST', body: { title: 'From the browser' } });",
            json!([TASKLAB_KEYS]),
        )
        .await?;
    check(
        task["title"] == "From the browser" && task["id"].is_string(),
        format!("request POST /tasks: {task}"),
    )?;

    // uninstallIntegration: gone in the SDK and on the server.
    let user = page
        .js(
            "await paragon.uninstallIntegration(arguments[0]); return paragon.getUser();",
            json!([TASKLAB_KEYS]),
        )
        .await?;
    check(
        user["integrations"][TASKLAB_KEYS]["enabled"] == false,
        format!("after uninstallIntegration: {user}"),
    )?;
    let me = demo.paragon().user("alice").me().await?;
    check(
        !me.integrations[TASKLAB_KEYS].enabled,
        "the server still has the credential after uninstallIntegration",
    )?;

    // connect: the Connect Portal in the SDK's frame; enable and disconnect work in it.
    connect_portal(client, &page, demo, shots).await?;

    // installIntegration: the SDK's popup, Task Lab's consent page, the SDK's promise.
    install_oauth(client, &page, demo, shots).await?;

    // event and workflow, on the OAuth integration whose workflows they run.
    let sent = page
        .js(
            "return await paragon.event('Task Created', { title: 'Ship it', priority: 'low' }) ?? 'sent';",
            json!([]),
        )
        .await?;
    check(sent == "sent", format!("event: {sent}"))?;
    wait_for_task(demo, "[app] Ship it").await?;

    // The workflow's id, as an app knows it from its dashboard.
    let integrations: Value = demo
        .http_client()
        .get(format!(
            "{}/projects/{}/sdk/integrations",
            demo.url(),
            demo.project_id()
        ))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let workflow_id = integrations
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|i| i["workflows"].as_array().into_iter().flatten())
        .find(|w| w["description"] == "Open tasks")
        .and_then(|w| w["id"].as_str())
        .ok_or("no Open tasks workflow in /sdk/integrations")?
        .to_owned();
    let open_tasks = page
        .js(
            "return await paragon.workflow(arguments[0], { body: { status: 'todo' } });",
            json!([workflow_id]),
        )
        .await?;
    check(
        open_tasks["titles"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("[app] Ship it"))),
        format!("workflow: {open_tasks}"),
    )?;
    shot(client, shots, "03-after-calls").await?;

    // connect, then Enable of the OAuth integration inside the frame.
    connect_oauth(client, &page, demo, shots).await?;
    Ok(())
}

/// `connect` for the API-key integration: the SDK frames the local Connect Portal (`/ui`),
/// which shows the standalone portal's content; enabling with a key and disconnecting in the
/// frame change what the SDK's `getUser()` and the server say; Close hides the frame.
async fn connect_portal(client: &Client, page: &Page<'_>, demo: &Demo, shots: &Path) -> Result {
    // First a forged `UI_UPDATE` carrying bob's token, posted to the portal frame by a sibling
    // frame (not the SDK's page, at an opaque origin): if the frame took it, it would open
    // signed in as bob, and the SDK's own message for the same integration would not reopen it.
    let forged = json!({
        "messageType": "UI_UPDATE",
        "nextContext": { "user": { "authenticated": true, "token": demo.user_token("bob")? } },
        "nextModalState": { "integration": { "customIntegration": {
            "slug": TASKLAB_KEYS, "authenticationType": "api_key" } } },
    });
    page.js(
        "const forged = JSON.stringify(arguments[0]); // no `<` in it: safe inside srcdoc
         const sent = new Promise(ok => addEventListener('message', e => {
           if (e.data === 'forged') ok();
         }));
         const sibling = document.createElement('iframe');
         sibling.sandbox = 'allow-scripts';
         sibling.srcdoc = `<script>
           parent.frames[0].postMessage(${forged}, '*');
           parent.postMessage('forged', '*');
         </script>`;
         document.body.appendChild(sibling);
         await sent;
         window.connecting = paragon.connect(arguments[1], {}).catch(e => String(e));
         return true;",
        json!([forged, TASKLAB_KEYS]),
    )
    .await?;
    let frame = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("iframe#paragon-connect-frame"))
        .await
        .map_err(|e| format!("the SDK made no portal frame: {e}"))?;
    wait_for_js(page, "frame shown", &frame_display("block")).await?;
    frame.enter_frame().await?;
    let key = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#portal input[name='api_key']"))
        .await
        .map_err(|e| format!("the framed portal never showed the Enable form: {e}"))?;
    let heading = client
        .find(Locator::Css("#portal h1"))
        .await?
        .text()
        .await?;
    check(
        heading == "Task Lab Keys",
        format!("the framed portal shows {heading:?}"),
    )?;
    let who = client
        .find(Locator::Css("#portal .who"))
        .await?
        .text()
        .await?;
    check(
        who == "Signed in as alice",
        format!("the framed portal took a forged message: {who:?}"),
    )?;
    key.send_keys(API_KEY).await?;
    client
        .find(Locator::Css("#portal form[action$='/enable'] button"))
        .await?
        .click()
        .await?;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#portal form[action$='/disconnect'] button"))
        .await
        .map_err(|e| format!("the framed portal shows no connected account after Enable: {e}"))?;
    client.enter_parent_frame().await?;
    shot(client, shots, "01-connect-portal-in-frame").await?;
    let user_has = |enabled: bool| {
        format!(
            "const s = paragon.getUser().integrations['{TASKLAB_KEYS}'];
             return Boolean(s && s.enabled) === {enabled};"
        )
    };
    wait_for_js(
        page,
        "getUser() enabled after Enable in the frame",
        &user_has(true),
    )
    .await?;
    check(
        demo.paragon().user("alice").me().await?.integrations[TASKLAB_KEYS].enabled,
        "the server has no Task Lab Keys credential after Enable in the frame",
    )?;
    frame.enter_frame().await?;
    client
        .find(Locator::Css("#portal form[action$='/disconnect'] button"))
        .await?
        .click()
        .await?;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#portal input[name='api_key']"))
        .await
        .map_err(|e| format!("the framed portal shows no Enable form after Disconnect: {e}"))?;
    client.find(Locator::Css("#close")).await?.click().await?;
    client.enter_parent_frame().await?;
    wait_for_js(
        page,
        "getUser() disabled after Disconnect in the frame",
        &user_has(false),
    )
    .await?;
    check(
        !demo.paragon().user("alice").me().await?.integrations[TASKLAB_KEYS].enabled,
        "the server still has the credential after Disconnect in the frame",
    )?;
    wait_for_js(page, "frame hidden after Close", &frame_display("none")).await
}

/// A script checking the display of the SDK's frame (`{CONNECT}/ui`, the id is the SDK's).
fn frame_display(display: &str) -> String {
    format!(
        "const f = document.getElementById('paragon-connect-frame');
         return f.src.endsWith('/ui') || f.src.includes('/ui?') ? f.style.display === '{display}' : 'src ' + f.src;"
    )
}

/// Waits until `body` (run in the app's page) returns true.
async fn wait_for_js(page: &Page<'_>, what: &str, body: &str) -> Result {
    let deadline = Instant::now() + WAIT;
    while page.js(body, json!([])).await? != json!(true) {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for: {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// `installIntegration` for the OAuth integration: the SDK opens its popup, which reaches Task
/// Lab's consent page; approving as grace closes the popup and resolves the SDK's promise.
async fn install_oauth(client: &Client, page: &Page<'_>, demo: &Demo, shots: &Path) -> Result {
    let app_window = client.window().await?;
    page.js(
        "window.installing = paragon.installIntegration(arguments[0])
           .then(ok => ({ ok }), e => ({ err: String(e && e.message || e) }));
         return true;",
        json!([TASKLAB]),
    )
    .await?;
    approve_in_popup(
        client,
        demo,
        shots,
        &app_window,
        "02-oauth-consent-in-popup",
    )
    .await?;
    client.switch_to_window(app_window).await?;
    let installed = page
        .js("return await window.installing;", json!([]))
        .await?;
    check(
        installed["ok"]["credentialId"].is_string(),
        format!("installIntegration: {installed}"),
    )?;
    let user = page.js("return paragon.getUser();", json!([])).await?;
    check(
        user["integrations"][TASKLAB]["enabled"] == true,
        format!("after installIntegration: {user}"),
    )?;
    let me: Value = demo
        .paragon()
        .user("alice")
        .request(TASKLAB, paragon_sdk::Method::GET, "/me")
        .await?
        .json()
        .await?;
    check(me["id"] == "grace", format!("the proxy acts as {me}"))
}

/// The SDK's OAuth popup: waits for it, approves as grace on Task Lab's consent page (saving
/// a screenshot `name`), waits until the popup closes itself, and returns to `app_window`.
async fn approve_in_popup(
    client: &Client,
    demo: &Demo,
    shots: &Path,
    app_window: &fantoccini::wd::WindowHandle,
    name: &str,
) -> Result {
    let popup = wait_for_windows(client, 2)
        .await?
        .into_iter()
        .find(|w| w != app_window)
        .ok_or("no popup window")?;
    client.switch_to_window(popup).await?;
    let account = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("input[name='username']"))
        .await
        .map_err(|e| format!("the popup never showed Task Lab's consent page: {e}"))?;
    check(
        client
            .current_url()
            .await?
            .as_str()
            .starts_with(demo.provider().url()),
        "the popup is not on Task Lab",
    )?;
    account.clear().await?;
    account.send_keys("grace").await?;
    shot(client, shots, name).await?;
    client
        .find(Locator::Css("button[name='decision'][value='allow']"))
        .await?
        .click()
        .await?;
    // The callback page closes the popup by itself.
    wait_for_windows(client, 1).await?;
    client.switch_to_window(app_window.clone()).await?;
    Ok(())
}

/// `connect` for the OAuth integration, then Enable in the frame: the frame hands over to the
/// SDK's own popup flow; after consent the SDK's state and the framed portal show one more
/// account.
async fn connect_oauth(client: &Client, page: &Page<'_>, demo: &Demo, shots: &Path) -> Result {
    let app_window = client.window().await?;
    let before = page
        .js(
            "paragon.connect(arguments[0], {});
             return paragon.getUser().integrations[arguments[0]].allCredentials.length;",
            json!([TASKLAB]),
        )
        .await?
        .as_u64()
        .ok_or("no allCredentials")?;
    wait_for_js(page, "frame shown", &frame_display("block")).await?;
    let frame = client
        .find(Locator::Css("iframe#paragon-connect-frame"))
        .await?;
    frame.enter_frame().await?;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#portal form[action$='/enable'] button"))
        .await
        .map_err(|e| format!("the framed portal shows no Enable button: {e}"))?
        .click()
        .await?;
    client.enter_parent_frame().await?;
    approve_in_popup(
        client,
        demo,
        shots,
        &app_window,
        "04-oauth-consent-from-frame",
    )
    .await?;
    let more = format!(
        "return paragon.getUser().integrations['{TASKLAB}'].allCredentials.length === {};",
        before + 1
    );
    wait_for_js(
        page,
        "one more account in getUser() after Enable in the frame",
        &more,
    )
    .await?;
    frame.enter_frame().await?;
    let deadline = Instant::now() + WAIT;
    while client
        .find_all(Locator::Css("#portal ul.accounts > li"))
        .await?
        .len() as u64
        != before + 1
    {
        if Instant::now() > deadline {
            return Err("the framed portal does not show the new account".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    client.enter_parent_frame().await?;
    shot(client, shots, "05-connect-portal-after-oauth").await?;
    frame.enter_frame().await?;
    client.find(Locator::Css("#close")).await?.click().await?;
    client.enter_parent_frame().await?;
    wait_for_js(page, "frame hidden after Close", &frame_display("none")).await
}

/// Waits until the browser has `n` windows; returns them.
async fn wait_for_windows(client: &Client, n: usize) -> Result<Vec<fantoccini::wd::WindowHandle>> {
    let deadline = Instant::now() + WAIT;
    loop {
        let windows = client.windows().await?;
        if windows.len() == n {
            return Ok(windows);
        }
        if Instant::now() > deadline {
            return Err(format!("expected {n} windows, the browser has {}", windows.len()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until grace's Task Lab holds a task titled `title` (the event's workflow ran).
async fn wait_for_task(demo: &Demo, title: &str) -> Result {
    let deadline = Instant::now() + WAIT;
    loop {
        let tasks: Value = demo
            .paragon()
            .user("alice")
            .request(TASKLAB, paragon_sdk::Method::GET, "/tasks")
            .await?
            .json()
            .await?;
        if tasks
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["title"] == title))
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("no task {title:?} after the event: {tasks}").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The app's page: the SDK's CommonJS bundle loaded with a `module` object, its `paragon`
/// singleton on `window`.
const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>An app using @useparagon/connect</title></head>
<body><h1>An app on another origin</h1>
<script>var module = { exports: {} }; var exports = module.exports;</script>
<script src="/sdk.js"></script>
<script>window.paragon = module.exports.paragon;</script>
</body></html>"#;

/// The app's own server, on `http://localhost:<port>`.
struct App {
    url: String,
    _task: tokio::task::JoinHandle<()>,
}

impl App {
    async fn start(bundle: &Path) -> Result<App> {
        use axum::http::header;
        let js = std::fs::read_to_string(bundle)?;
        let router = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|| async { axum::response::Html(PAGE) }),
            )
            .route(
                "/sdk.js",
                axum::routing::get(move || {
                    let js = js.clone();
                    async move { ([(header::CONTENT_TYPE, "text/javascript")], js) }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(App {
            url: format!("http://localhost:{port}/"),
            _task: task,
        })
    }
}

/// Runs JavaScript in the app's page as an async function body; its `arguments` are `args`.
struct Page<'a> {
    client: &'a Client,
}

impl Page<'_> {
    async fn js(&self, body: &str, args: Value) -> Result<Value> {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const args = Array.prototype.slice.call(arguments, 0, -1);
             (async function () {{ {body} }}).apply(null, args).then(
               v => done({{ ok: v === undefined ? null : JSON.parse(JSON.stringify(v)) }}),
               e => done({{ err: String((e && (e.stack || e.message)) || e) }}));"
        );
        let args = match args {
            Value::Array(a) => a,
            other => vec![other],
        };
        let answer = self.client.execute_async(&script, args).await?;
        match answer.get("err") {
            Some(e) => Err(format!(
                "in the page: {}\n--- script:\n{body}",
                e.as_str().unwrap_or_default()
            )
            .into()),
            None => Ok(answer["ok"].clone()),
        }
    }
}

async fn shot(client: &Client, shots: &Path, name: &str) -> Result {
    let png = client.screenshot().await?;
    let path = shots.join(format!("{name}.png"));
    std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

fn check(ok: bool, message: impl Into<String>) -> Result {
    if ok {
        Ok(())
    } else {
        Err(message.into().into())
    }
}
