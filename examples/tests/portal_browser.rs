//! The Connect Portal in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver` + `fantoccini`) against the in-process demo.
//!
//! API key: open the portal, type the key, Enable, see the test request succeed, send it
//! again, Disconnect. OAuth: Enable, approve on Task Lab's consent page as another account,
//! come back connected with a passing test request, configure it (the overview shown, a setting
//! refused with its message then saved, "Mirror app tasks" turned off, both seen through
//! `/sdk/me`), Disconnect.
//!
//! Every step is saved as a PNG under `<target dir>/portal-screenshots/` (`target/` of the
//! workspace, or `$CARGO_TARGET_DIR`), with `chromedriver.log` beside them.
//!
//! Needs `chromium` and `chromedriver` on `PATH` (Debian: `apt-get install chromium
//! chromium-driver`). Without them the test says it is skipped and passes, unless
//! `PARAGON_REQUIRE_BROWSER=1`, which makes it fail.

mod chromium;
mod steps;

use chromium::{Driver, capabilities, on_path, screenshots_dir, unix_nanos};
use fantoccini::ClientBuilder;
use paragon_examples::Demo;
use paragon_examples::demo::{API_KEY, TASKLAB, TASKLAB_KEYS};
use steps::{Steps, check};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_portal_in_chromium() {
    let required = std::env::var("PARAGON_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(chromium), Some(chromedriver)) = (
        on_path(&["chromium", "chromium-browser", "google-chrome"]),
        on_path(&["chromedriver"]),
    ) else {
        assert!(
            !required,
            "PARAGON_REQUIRE_BROWSER=1 but chromium or chromedriver is not on PATH \
             (Debian: apt-get install -y chromium chromium-driver)"
        );
        println!(
            "skipped: install chromium chromium-driver to run the Connect Portal browser test"
        );
        return;
    };

    let shots = screenshots_dir("portal-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots folder");
    for old in std::fs::read_dir(&shots)
        .expect("read screenshots folder")
        .flatten()
    {
        if old.path().extension().is_some_and(|e| e == "png") {
            let _ = std::fs::remove_file(old.path());
        }
    }
    let profile = std::env::temp_dir().join(format!(
        "paragon-portal-chromium-{}-{}",
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
    let steps = Steps {
        client: &client,
        shots: &shots,
        count: 0,
    };
    let outcome = run(steps, &demo).await;

    // Close the browser before reporting, so a failure leaves no Chromium behind.
    let _ = client.close().await;
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    demo.shutdown().await;
    if let Err(e) = outcome {
        panic!("{e}\n(screenshots so far: {})", shots.display());
    }
    println!("screenshots: {}", shots.display());
}

async fn run(mut steps: Steps<'_>, demo: &Demo) -> Result {
    let alice = demo.paragon().user("alice");

    // --- API key ---------------------------------------------------------------------------
    steps
        .open(&demo.portal_link("alice", TASKLAB_KEYS).await?)
        .await?;
    // The single-use code was exchanged for a session cookie and dropped from the address.
    let url = steps.client.current_url().await?;
    check(
        url.query().is_none(),
        format!("the sign-in code stayed in the URL: {url}"),
    )?;
    steps.expect_text("p.who", "Signed in as alice").await?;
    steps.expect_text("h1", "Task Lab Keys").await?;
    steps
        .expect_text("main", "No account connected yet.")
        .await?;
    steps.shot("keys-portal").await?;

    steps.find("#in-api_key").await?.send_keys(API_KEY).await?;
    steps.shot("keys-entered").await?;
    steps.click("form[action$='/enable'] button").await?;
    steps
        .expect_text("section.result", "answered 200 — the connection works.")
        .await?;
    steps.expect_text("main", "Connected").await?;
    steps.shot("keys-enabled").await?;
    check(
        alice.me().await?.integrations[TASKLAB_KEYS].enabled,
        "the portal says connected but /sdk/me does not",
    )?;

    steps.click("form[action$='/test'] button").await?;
    steps
        .expect_text("section.result", "answered 200 — the connection works.")
        .await?;
    steps.expect_text("section.result pre", "\"key-1\"").await?;
    steps.shot("keys-test-request").await?;

    steps.click("form[action$='/disconnect'] button").await?;
    steps
        .expect_text("main", "No account connected yet.")
        .await?;
    steps.shot("keys-disconnected").await?;
    check(
        !alice.me().await?.integrations[TASKLAB_KEYS].enabled,
        "still connected after Disconnect",
    )?;

    // --- OAuth -----------------------------------------------------------------------------
    steps
        .open(&demo.portal_link("alice", TASKLAB).await?)
        .await?;
    steps.expect_text("h1", "Task Lab").await?;
    steps.shot("oauth-portal").await?;

    steps.click("form[action$='/enable'] button").await?;
    // Now on the provider's own page.
    let url = steps.client.current_url().await?;
    check(
        url.as_str().starts_with(demo.provider().url()),
        format!("Enable did not lead to Task Lab's consent page but to {url}"),
    )?;
    steps
        .expect_text("body", "asks to access your Task Lab account")
        .await?;
    let account = steps.find("input[name='username']").await?;
    account.clear().await?;
    account.send_keys("grace").await?;
    steps.shot("oauth-consent").await?;

    steps
        .click("button[name='decision'][value='allow']")
        .await?;
    // Back on the portal, which ran the test request for the new account.
    let url = steps.client.current_url().await?;
    check(
        url.as_str().starts_with(demo.url()),
        format!("the consent did not return to the portal: {url}"),
    )?;
    steps
        .expect_text("section.result", "answered 200 — the connection works.")
        .await?;
    steps.expect_text("section.result pre", "\"grace\"").await?;
    steps.shot("oauth-connected").await?;
    let me: serde_json::Value = alice
        .request(TASKLAB, paragon_sdk::Method::GET, "/me")
        .await?
        .json()
        .await?;
    check(
        me["id"] == "grace",
        format!("the proxy acts as {me} instead of grace"),
    )?;

    configure(&mut steps, demo).await?;

    steps.click("form[action$='/disconnect'] button").await?;
    steps
        .expect_text("main", "No account connected yet.")
        .await?;
    steps.shot("oauth-disconnected").await?;
    Ok(())
}

/// The configure half: the overview, a refused then saved setting, a workflow turned off;
/// each change seen through `/sdk/me`.
async fn configure(steps: &mut Steps<'_>, demo: &Demo) -> Result {
    let alice = demo.paragon().user("alice");
    steps
        .expect_text(
            "section.overview",
            "Keep your app's tasks and your Task Lab board",
        )
        .await?;
    let project = steps.find("input[name='s.project']").await?;
    project.send_keys("ops").await?;
    steps.click("section.settings button").await?;
    steps
        .expect_text("p.field-error", "`Project` must match `[A-Z]+-[0-9]+`")
        .await?;
    steps.shot("configure-refused").await?;

    let project = steps.find("input[name='s.project']").await?;
    project.clear().await?;
    project.send_keys("OPS-1").await?;
    steps.click("section.settings button").await?;
    steps
        .expect_text("section.workflows", "Mirror app tasks")
        .await?;
    steps.shot("configure-saved").await?;
    let state = &alice.me().await?.integrations[TASKLAB];
    let shared = state.all_credentials[0]
        .config
        .as_ref()
        .and_then(|c| c.get("sharedSettings"))
        .cloned();
    check(
        shared.as_ref().is_some_and(|s| s["project"] == "OPS-1"),
        format!("/sdk/me does not show the saved setting: {shared:?}"),
    )?;

    let mirror = |me: &paragon_sdk::api::User| {
        me.integrations[TASKLAB]
            .configured_workflows
            .values()
            .find(|w| w.name.as_deref() == Some("Mirror app tasks"))
            .map(|w| w.enabled)
    };
    check(
        mirror(&alice.me().await?) == Some(true),
        "Mirror app tasks is enabled by default",
    )?;
    steps
        .click("section.workflows form[action$='/workflow'] button")
        .await?;
    steps
        .expect_text("section.workflows", "Turn on Mirror app tasks")
        .await?;
    steps.shot("configure-workflow-off").await?;
    check(
        mirror(&alice.me().await?) == Some(false),
        "the portal turned Mirror app tasks off but /sdk/me does not say so",
    )?;
    Ok(())
}
