//! The Connect Portal as the official JavaScript SDK embeds it: `paragon.connect(name)` frames
//! `{CONNECT_PUBLIC_URL}/ui?projectId=…` and talks to it with `postMessage`.
//!
//! One portal, two entrances: this page is only a shell. Its script (`portal_frame.js`, served
//! at `/ui/frame.js`) fetches the standalone portal's own page (`/connect/{integration}`, see
//! [`crate::portal`]) and shows its content; the portal's forms are submitted with `fetch` to
//! the portal's own handlers. So everything the standalone portal shows, the frame shows.
//!
//! Authentication: a third-party frame gets no `SameSite=Lax` cookie, and the SDK gives the
//! frame the user token in every `UI_UPDATE` message (`nextContext.user.token`). The script
//! accepts messages only from its parent window at an allowed origin (the list is embedded in
//! the page), and sends the token only to this server, in `Authorization: Bearer`
//! ([`crate::session::current`]), never in a URL or a cookie. Out, it sends the SDK's
//! `SDK_FUNCTION_INVOCATION` messages (`updateContainerStyle`, `onOpen`, `onClose`,
//! `updateLocalState`, `installIntegration`) to that parent origin only.
//!
//! Headers: `frame-ancestors` lists the allowed origins on `/ui` only (every other page keeps
//! `'none'`); scripts and styles run by nonce; the page may fetch only from this server.

use crate::state::Shared;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, PreEscaped, html};
use serde_json::json;

/// The frame's script: the message protocol, fetching and showing the portal's pages.
const SCRIPT: &str = include_str!("portal_frame.js");

/// The frame's own style: an overlay holding the portal's content.
const STYLE: &str = "html,body{margin:0;height:100%;background:transparent}\
#overlay{position:fixed;inset:0;background:rgba(17,24,39,.55);display:flex;align-items:flex-start;justify-content:center;overflow:auto}\
#overlay[hidden]{display:none}\
#dialog{background:#fff;border-radius:.6rem;margin:3rem 1rem;min-width:min(44rem,100%);position:relative}\
#portal{padding:.5rem 1.5rem 1rem}\
#close{position:absolute;top:.6rem;right:.6rem;background:#e5e7eb;color:#111;border:0;border-radius:.4rem;padding:.3rem .7rem;cursor:pointer}";

pub(crate) fn router() -> axum::Router<Shared> {
    use axum::routing::get;
    axum::Router::new()
        .route("/ui", get(page))
        .route("/ui/frame.js", get(script))
}

/// `GET /ui`: the frame's shell. The `projectId` parameter is not needed (the SDK leaves it out
/// when it makes the frame before `authenticate`): the user token it posts names the project.
async fn page(State(app): State<Shared>) -> Response {
    let nonce = crate::html::nonce();
    let config = json!({
        "origins": app.origins.listed(),
        "loopback": app.origins.loopback(),
        "portal": format!("{}/connect", app.public_path),
    })
    .to_string()
    // Nothing in the JSON can close the element it sits in.
    .replace('<', "\\u003c");
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Connect Portal" }
                style nonce=(nonce) { (PreEscaped(STYLE)) }
                script type="application/json" id="paragon-frame-config" { (PreEscaped(config)) }
                script nonce=(nonce) defer src={ (app.public_path) "/ui/frame.js" } {}
            }
            body {
                div id="overlay" hidden {
                    div id="dialog" role="dialog" aria-modal="true" {
                        button id="close" type="button" aria-label="Close" { "Close" }
                        div id="portal" { p { "Loading…" } }
                    }
                }
            }
        }
    };
    let mut r = (StatusCode::OK, Html(markup.into_string())).into_response();
    frame_headers(r.headers_mut(), &nonce, &frame_ancestors(&app.origins));
    r
}

/// `GET /ui/frame.js`.
async fn script() -> Response {
    let mut r = SCRIPT.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The `frame-ancestors` sources: each listed origin, and in development mode every loopback
/// origin (CSP cannot say "127.0.0.0/8", so only `127.0.0.1` of it); `'none'` when none.
fn frame_ancestors(origins: &crate::cors::BrowserOrigins) -> String {
    let mut sources: Vec<String> = origins.listed().to_vec();
    if origins.loopback() {
        for scheme in ["http", "https"] {
            for host in ["localhost", "127.0.0.1", "[::1]"] {
                sources.push(format!("{scheme}://{host}:*"));
            }
        }
    }
    if sources.is_empty() {
        "'none'".to_string()
    } else {
        sources.join(" ")
    }
}

fn frame_headers(headers: &mut HeaderMap, nonce: &str, ancestors: &str) {
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         img-src data:; connect-src 'self'; form-action 'none'; base-uri 'none'; \
         frame-ancestors {ancestors}"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    // No X-Frame-Options: it cannot name origins, and `frame-ancestors` decides.
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}
