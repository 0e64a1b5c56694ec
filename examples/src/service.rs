//! A service that calls its users' Task Lab accounts with the project's signing key.
//!
//! The axum app holds one [`Paragon`] built with the signing key; each request acts for the
//! signed-in user with `paragon.user(id)`, which mints (and caches) that user's token. It also
//! hands the front end a short-lived user token for the Connect Portal.
//!
//! In production the client comes from the environment:
//!
//! ```no_run
//! # fn f() -> paragon_sdk::Result<()> {
//! // PARAGON_PROJECT_ID and PARAGON_SIGNING_KEY (or PARAGON_SIGNING_KEY_FILE).
//! let paragon = paragon_sdk::Paragon::builder().build()?;
//! let app = paragon_examples::service::router(paragon);
//! # let _ = app; Ok(()) }
//! ```
//!
//! [`run`] starts the app on an ephemeral port, calls it once per user from its own client,
//! and shuts it down.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use paragon_sdk::{Error, Method, Paragon};
use serde_json::{Value, json};

use crate::demo::{Demo, TASKLAB};
use crate::{Out, Result};

/// Who is signed in to the example app. A real app reads its session; this one trusts a
/// header so the example stays short.
const USER_HEADER: &str = "x-app-user";

/// The app's routes: `GET /tasks` (the signed-in user's Task Lab tasks) and
/// `GET /paragon-token` (a user token for the front end's Connect Portal).
pub fn router(paragon: Paragon) -> Router {
    Router::new()
        .route("/tasks", get(tasks))
        .route("/paragon-token", get(token))
        .with_state(paragon)
}

type Answer = std::result::Result<Json<Value>, (StatusCode, Json<Value>)>;

fn signed_in(headers: &HeaderMap) -> std::result::Result<String, (StatusCode, Json<Value>)> {
    headers
        .get(USER_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or((
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "sign in first" })),
        ))
}

/// Maps SDK errors to answers the front end can act on.
fn failure(e: Error) -> (StatusCode, Json<Value>) {
    match e {
        Error::IntegrationNotEnabled(_) => (
            StatusCode::CONFLICT,
            Json(json!({ "error": "connect Task Lab first", "connect": TASKLAB })),
        ),
        Error::Provider { status, .. } => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "error": format!("Task Lab answered {status}") })),
        ),
        other => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": other.to_string() })),
        ),
    }
}

async fn tasks(State(paragon): State<Paragon>, headers: HeaderMap) -> Answer {
    let user = signed_in(&headers)?;
    let tasks: Value = paragon
        .user(&user)
        .request(TASKLAB, Method::GET, "/tasks")
        .query(&[("limit", "10")])
        .await
        .map_err(failure)?
        .json()
        .await
        .map_err(failure)?;
    Ok(Json(json!({ "user": user, "tasks": tasks })))
}

async fn token(State(paragon): State<Paragon>, headers: HeaderMap) -> Answer {
    let user = signed_in(&headers)?;
    let token = paragon.user(&user).user_token().map_err(failure)?;
    Ok(Json(json!({ "user": user, "token": token.expose() })))
}

/// Connects alice and bob to their own Task Lab accounts, starts the app, asks it for each
/// user's tasks and for a front-end token, then stops it.
pub async fn run(out: &mut Out) -> Result<()> {
    let demo = Demo::start().await?;
    for (user, account) in [("alice", "ada"), ("bob", "grace")] {
        demo.connect_oauth(user, TASKLAB, account).await?;
        demo.paragon()
            .user(user)
            .request(TASKLAB, Method::POST, "/tasks")
            .json(&json!({ "title": format!("{account}'s first task") }))
            .await?;
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let app_url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(demo.paragon().clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    out.line(format!("The app listens on {app_url}"));

    let http = demo.http_client();
    for user in ["alice", "bob", "carol"] {
        out.heading(format!("GET {app_url}/tasks as {user}"));
        let res = http
            .get(format!("{app_url}/tasks"))
            .header(USER_HEADER, user)
            .send()
            .await?;
        out.line(format!("{}", res.status()));
        out.json(&res.json::<Value>().await?);
    }

    out.heading("GET /paragon-token as alice (for the front end's Connect Portal)");
    let res: Value = http
        .get(format!("{app_url}/paragon-token"))
        .header(USER_HEADER, "alice")
        .send()
        .await?
        .json()
        .await?;
    let token = res["token"].as_str().unwrap_or_default();
    out.line(format!(
        "a {}-character token; with it, POST {}/projects/{}/sdk/portal/codes \
         {{\"integration\":\"{TASKLAB}\"}} mints a single-use Connect Portal sign-in link",
        token.len(),
        demo.url(),
        demo.project_id()
    ));

    let _ = stop.send(());
    server.await??;
    demo.shutdown().await;
    out.line("");
    out.line("The app served its requests and stopped.");
    Ok(())
}
