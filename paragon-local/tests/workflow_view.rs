//! The developer view of workflows, through HTTP and the CLI: the drawing's geometry (no
//! overlapping nodes, no crossing edges, no edge through a node) for every shipped workflow
//! and a branchy fixture, sign-in with the project's key (never a user token), runs filtered
//! by user and status, a run failing at its second step coloured by outcome with its
//! durations and redacted secrets, and its replay from the failed step once the cause is fixed.

use crate::common;

use common::{Env, start_with};
use paragon_fake_provider::FakeProvider;
use paragon_manifest::workflow::{Context, Workflow};
use reqwest::{Method, header};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

// --- The drawing's geometry ------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

type Point = (f64, f64);
/// A drawn edge: from, to (node keys) and its polyline.
type DrawnEdge = (String, String, Vec<Point>);

/// The value of `name="…"` in one tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[at..].split('"').next()?.to_owned())
}

fn num(tag: &str, name: &str) -> f64 {
    attr(tag, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number `{name}` in {tag}"))
}

/// Every opening tag `<name …>` of the document.
fn tags<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    svg.match_indices(&format!("<{name} "))
        .map(|(i, _)| &svg[i..i + svg[i..].find('>').unwrap()])
        .collect()
}

/// Nodes (key, rect) and edges (from, to, polyline) of a drawn workflow.
fn geometry(svg: &str) -> (Vec<(String, Rect)>, Vec<DrawnEdge>) {
    let mut nodes = Vec::new();
    for (i, _) in svg.match_indices("<g class=\"node\"") {
        let group = &svg[i..];
        let key = attr(&group[..group.find('>').unwrap()], "data-key").unwrap();
        let rect = tags(group, "rect")[0];
        let r = Rect {
            x: num(rect, "x"),
            y: num(rect, "y"),
            w: num(rect, "width"),
            h: num(rect, "height"),
        };
        nodes.push((key, r));
    }
    let edges = tags(svg, "path")
        .into_iter()
        .filter(|t| t.contains("class=\"edge\""))
        .map(|t| {
            let d = attr(t, "d").unwrap();
            let points = d
                .split(['M', 'L'])
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    let mut xy = p.split_whitespace().map(|v| v.parse::<f64>().unwrap());
                    (xy.next().unwrap(), xy.next().unwrap())
                })
                .collect();
            (
                attr(t, "data-from").unwrap(),
                attr(t, "data-to").unwrap(),
                points,
            )
        })
        .collect();
    (nodes, edges)
}

fn overlap(a: Rect, b: Rect) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/// Whether two segments cross at a point inside both (touching ends do not count).
fn cross(p: (Point, Point), q: (Point, Point)) -> bool {
    let orient =
        |a: Point, b: Point, c: Point| (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
    let (d1, d2) = (orient(q.0, q.1, p.0), orient(q.0, q.1, p.1));
    let (d3, d4) = (orient(p.0, p.1, q.0), orient(p.0, p.1, q.1));
    let eps = 1e-6;
    ((d1 > eps && d2 < -eps) || (d1 < -eps && d2 > eps))
        && ((d3 > eps && d4 < -eps) || (d3 < -eps && d4 > eps))
}

/// Whether a segment passes through the inside of a rectangle (sampled finely).
fn through(s: (Point, Point), r: Rect) -> bool {
    (1..200).any(|i| {
        let t = i as f64 / 200.0;
        let (x, y) = (s.0.0 + (s.1.0 - s.0.0) * t, s.0.1 + (s.1.1 - s.0.1) * t);
        x > r.x + 0.5 && x < r.x + r.w - 0.5 && y > r.y + 0.5 && y < r.y + r.h - 0.5
    })
}

/// Panics with the reason when the drawing has overlapping nodes, crossing edges or an edge
/// through a node it does not join.
fn assert_clean(name: &str, svg: &str) {
    let (nodes, edges) = geometry(svg);
    assert!(
        nodes.len() >= 3,
        "{name}: trigger, steps and end drawn: {svg}"
    );
    for (i, (ka, a)) in nodes.iter().enumerate() {
        for (kb, b) in &nodes[i + 1..] {
            assert!(!overlap(*a, *b), "{name}: nodes {ka} and {kb} overlap");
        }
    }
    let segments: Vec<(usize, (Point, Point))> = edges
        .iter()
        .enumerate()
        .flat_map(|(i, (_, _, pts))| pts.windows(2).map(move |w| (i, (w[0], w[1]))))
        .collect();
    for (i, (ea, sa)) in segments.iter().enumerate() {
        for (eb, sb) in &segments[i + 1..] {
            assert!(
                ea == eb || !cross(*sa, *sb),
                "{name}: edges {:?} and {:?} cross",
                &edges[*ea].0..&edges[*ea].1,
                &edges[*eb].0..&edges[*eb].1
            );
        }
        let (from, to, _) = &edges[*ea];
        for (key, r) in &nodes {
            assert!(
                key == from || key == to || !through(*sa, *r),
                "{name}: the edge {from} -> {to} runs through {key}"
            );
        }
    }
}

fn draw(specs: &Path, id: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_paragon-local"))
        .args(["workflows", "draw", id, "--specs"])
        .arg(specs)
        .output()
        .expect("run paragon-local")
}

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/drawing")
}

#[test]
fn every_shipped_workflow_draws_without_overlaps() {
    let specs = common::specs();
    for key in ["mirror_app_tasks", "open_tasks"] {
        let out = draw(&specs, key);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = String::from_utf8(out.stdout).unwrap();
        assert!(svg.starts_with("<?xml"), "a standalone SVG document");
        assert_clean(key, &svg);
    }
    // The conditional's branches are labelled, and a branch that skips to the end shows.
    let svg = String::from_utf8(draw(&specs, "custom.tasklab/mirror_app_tasks").stdout).unwrap();
    assert!(
        svg.contains(">true</text>") && svg.contains(">false</text>"),
        "{svg}"
    );
    assert!(
        svg.contains("data-from=\"is_urgent\" data-to=\"end node\""),
        "{svg}"
    );
}

#[test]
fn branches_and_fan_outs_draw_without_crossings_and_escaped() {
    let out = draw(&fixture(), "branches");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8(out.stdout).unwrap();
    assert_clean("branches", &svg);
    for label in [">true</text>", ">false</text>", ">each item</text>"] {
        assert!(svg.contains(label), "{label} in {svg}");
    }
    for kind in [
        "Fan Out",
        "Response · 200",
        "Conditional",
        "Trigger · Request",
    ] {
        assert!(svg.contains(kind), "{kind} in {svg}");
    }
    // The workflow's name has markup in it: escaped, never markup in the drawing.
    assert!(svg.contains("Branches &lt;b&gt;&amp; loops"), "{svg}");
    assert!(!svg.contains("<b>"), "{svg}");
}

#[test]
fn drawing_an_unknown_workflow_says_which_exist() {
    let out = draw(&fixture(), "nope");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no workflow \"nope\"") && err.contains("custom.branchy/branches"),
        "{err}"
    );
}

// --- The view over HTTP ----------------------------------------------------------------------

fn ctx() -> Context {
    Context {
        integration: "custom.tasklab".into(),
        integrations: vec!["custom.tasklab".into(), "custom.tasklabkeys".into()],
        events: vec!["Task Created".into(), "Task Completed".into()],
        settings: Vec::new(),
    }
}

/// Creates a task, then checks it (a secret among its parameters) with a Rust function that fails
/// while `broken` is set: a run that fails at its second step.
const TWO_STEPS: &str = r#"
name = "Check new tasks"
description = "Creates the task, then checks it"
default_enabled = true

[trigger]
type = "app_event"
event = "Task Completed"

[[steps]]
key = "create"
type = "integration_request"
method = "POST"
path = "/tasks"
body = { title = "{trigger.body.title}" }

[[steps]]
key = "check"
type = "function"
rust = "check"
parameters = { id = "{steps.create.output.body.id}", note = "{env.TASKLAB_CLIENT_SECRET}" }
"#;

async fn start(broken: Arc<AtomicBool>) -> Env {
    let wf = Workflow::parse(
        TWO_STEPS,
        "specs/tasklab/workflows/check_tasks.toml",
        &ctx(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    start_with(FakeProvider::builder(), move |b| {
        b.workflow(wf)
            .workflow_poll_interval(Duration::from_millis(50))
            .function("check", move |p: Value| {
                let broken = broken.load(Ordering::SeqCst);
                async move {
                    if broken {
                        Err("the checker is down".to_owned())
                    } else {
                        Ok(json!({ "checked": p["id"] }))
                    }
                }
            })
    })
    .await
}

/// The value of a form's hidden field `name`, if the page has one.
fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_owned())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A browser signed in to the developer view: the project key's token, a code, the cookie.
async fn sign_in(env: &Env) -> String {
    let token = env
        .server
        .project_key()
        .mint_developer(env.server.project_id(), Duration::from_secs(600))
        .unwrap();
    let res = env
        .http
        .post(env.project("/dev/codes"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let url = body["url"].as_str().unwrap().to_owned();
    assert!(!url.contains(&token), "the key's token never goes in a URL");
    let res = no_redirects().get(&url).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/dev/workflows");
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/dev"),
        "{set}"
    );
    // The link works once.
    assert_eq!(no_redirects().get(&url).send().await.unwrap().status(), 401);
    set.split(';').next().unwrap().to_owned()
}

async fn page(env: &Env, cookie: &str, path: &str) -> (u16, String) {
    let res = no_redirects()
        .get(env.url(path))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn ended(env: &Env, user: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = env.project(&format!("/task-history/workflow-executions/{id}"));
        let (_, run) = env.call(user, Method::GET, &url, None, &[]).await;
        if run["status"] == "SUCCEEDED" || run["status"] == "FAILED" {
            return run;
        }
        assert!(Instant::now() < deadline, "run {id} did not end: {run}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn completed(env: &Env, user: &str, title: &str) -> String {
    let (status, body) = env
        .call(
            user,
            Method::POST,
            &env.project("/sdk/events/trigger"),
            Some(json!({"name": "Task Completed", "payload": {"title": title}})),
            &[],
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["workflowExecutionIds"][0].as_str().unwrap().to_owned();
    ended(env, user, &id).await;
    id
}

#[tokio::test]
async fn the_cli_mints_a_developer_token_from_the_signing_key() {
    let env = start(Arc::new(AtomicBool::new(false))).await;
    let pem = env.server.project_key().private_pem().unwrap().to_owned();
    let out = Command::new(env!("CARGO_BIN_EXE_paragon-local"))
        .args(["workflows", "token", "--minutes", "5"])
        .env("PARAGON_PROJECT_ID", env.server.project_id())
        .env("PARAGON_SIGNING_KEY", &pem)
        .env_remove("PARAGON_SIGNING_KEY_FILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    let res = env
        .http
        .post(env.project("/dev/codes"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Without a key: a message naming what to set, never a panic.
    let out = Command::new(env!("CARGO_BIN_EXE_paragon-local"))
        .args(["workflows", "token", "--project-id", "p"])
        .env_remove("PARAGON_SIGNING_KEY")
        .env_remove("PARAGON_SIGNING_KEY_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PARAGON_SIGNING_KEY"));
}

#[tokio::test]
async fn only_the_project_key_opens_the_view() {
    let env = start(Arc::new(AtomicBool::new(false))).await;
    // A user token is not the project's key.
    let res = env
        .http
        .post(env.project("/dev/codes"))
        .bearer_auth(env.token("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not a developer token"),
        "{body}"
    );
    // A developer token is not a user token either.
    let dev = env
        .server
        .project_key()
        .mint_developer(env.server.project_id(), Duration::from_secs(60))
        .unwrap();
    let res = env
        .http
        .get(env.project("/sdk/me"))
        .bearer_auth(dev)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Without the session cookie, or with a forged one: the sign-in page, no data.
    let (status, body) = page(&env, "paragon_dev=e30.AAAA", "/dev/workflows").await;
    assert_eq!(status, 401);
    assert!(body.contains("Sign-in required"), "{body}");
    // A portal code does not open the developer view.
    env.connect_oauth("alice", "custom.tasklab").await;
    let portal = env.portal_code("alice", "custom.tasklab").await;
    let res = no_redirects()
        .get(env.url(&format!(
            "/dev/sign-in?code={}",
            portal["code"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get(header::SET_COOKIE).is_none());

    let cookie = sign_in(&env).await;
    let (status, body) = page(&env, &cookie, "/dev/workflows").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("Check new tasks") && body.contains("Mirror app tasks"),
        "{body}"
    );
}

#[tokio::test]
async fn a_failed_run_is_shown_by_step_and_replayed_from_its_failed_step() {
    let broken = Arc::new(AtomicBool::new(true));
    let env = start(broken.clone()).await;
    env.connect_oauth("alice", "custom.tasklab").await;
    env.connect_oauth("bob", "custom.tasklab").await;
    let failed = completed(&env, "alice", "Water the plants").await;
    broken.store(false, Ordering::SeqCst);
    let bobs = completed(&env, "bob", "Feed the cat").await;
    let cookie = sign_in(&env).await;

    // Runs, filtered by user and by status.
    let wf_id = paragon_local::workflow_id(
        &Workflow::parse(
            TWO_STEPS,
            "specs/tasklab/workflows/check_tasks.toml",
            &ctx(),
        )
        .unwrap(),
    );
    let base = format!("/dev/workflows/{wf_id}");
    let (status, all) = page(&env, &cookie, &base).await;
    assert_eq!(status, 200, "{all}");
    assert!(all.contains(&failed) && all.contains(&bobs), "{all}");
    assert!(all.find(&bobs) < all.find(&failed), "newest first: {all}");
    let (_, only_bob) = page(&env, &cookie, &format!("{base}?user=bob")).await;
    assert!(
        only_bob.contains(&bobs) && !only_bob.contains(&failed),
        "{only_bob}"
    );
    let (_, only_failed) = page(&env, &cookie, &format!("{base}?status=failed")).await;
    assert!(
        only_failed.contains(&failed) && !only_failed.contains(&bobs),
        "{only_failed}"
    );
    let (status, _) = page(&env, &cookie, &format!("{base}?status=LOST")).await;
    assert_eq!(status, 400);

    // The failed run: the first step green, the second red, each with its duration.
    let (status, run) = page(&env, &cookie, &format!("/dev/runs/{failed}")).await;
    assert_eq!(status, 200, "{run}");
    assert!(
        run.contains(r#"data-key="create" data-status="SUCCEEDED""#),
        "{run}"
    );
    assert!(
        run.contains(r#"data-key="check" data-status="FAILED""#),
        "{run}"
    );
    assert!(
        run.contains("SUCCEEDED · ") && run.contains("FAILED · "),
        "durations: {run}"
    );
    assert!(run.contains("the checker is down"), "{run}");
    assert!(
        run.contains(r##"href="#step-check""##) && run.contains(r#"id="step-check""#),
        "{run}"
    );
    // The secret among the second step's parameters is redacted.
    let secret = env.provider.client_secret();
    assert!(!run.contains(secret), "the secret leaked into the page");
    assert!(run.contains("&quot;note&quot;: &quot;***&quot;"), "{run}");

    // Replay: refused without the session's CSRF token; with it, a new run resumes at the
    // failed step (the task is not created twice) and succeeds now that the checker works.
    let replay = env.url(&format!("/dev/runs/{failed}/replay"));
    let post = |csrf: String| {
        no_redirects()
            .post(&replay)
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(common::form_body(&[("csrf", &csrf)]))
            .send()
    };
    assert_eq!(post("AAAA".into()).await.unwrap().status(), 403);
    let csrf = hidden(&run, "csrf").expect("a CSRF field");
    let res = post(csrf).await.unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let new_run = to
        .strip_prefix("/dev/runs/")
        .expect("to the new run")
        .to_owned();
    let ended = ended(&env, "alice", &new_run).await;
    assert_eq!(ended["status"], "SUCCEEDED", "{ended}");
    assert_eq!(ended["replayOf"], failed.as_str());
    let (status, body) = env
        .proxy("alice", Method::GET, "custom.tasklab", "/tasks")
        .await;
    assert_eq!(status, 200);
    let watered = body["output"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"] == "Water the plants")
        .count();
    assert_eq!(watered, 1, "create ran once: {body}");
    let (_, shown) = page(&env, &cookie, &to).await;
    assert!(
        shown.contains(r#"data-key="check" data-status="SUCCEEDED""#),
        "{shown}"
    );
    assert!(shown.contains("from its failed step"), "{shown}");
    // A run that did not fail is not replayed.
    let csrf = hidden(&shown, "csrf");
    assert!(csrf.is_none(), "no replay form on a successful run");
}
