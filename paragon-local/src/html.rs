//! Every HTML page the server renders (the Connect Portal, the OAuth confirmation, messages),
//! written with maud, which escapes every interpolated value unless told otherwise, and
//! served with strict security headers. Handlers gather the data; this module only shows it.
//! The developer view's pages (`devview::pages`) are served through `respond` too.

use crate::store::{Credential, Status};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use paragon_manifest::{InputField, InputKind};

/// Strict headers for every HTML page: a CSP allowing only this page's own nonce'd style,
/// data: images (the SVG icon, which cannot run script as an image) and forms posting to this
/// server (plus the provider's authorization origin the Enable form redirects to).
fn security_headers(headers: &mut HeaderMap, nonce_and_form: Option<(&str, &str)>) {
    let csp = match nonce_and_form {
        Some((nonce, form_extra)) => format!(
            "default-src 'none'; style-src 'nonce-{nonce}'; img-src data:; \
             form-action 'self' {form_extra}; frame-ancestors 'none'; base-uri 'none'"
        ),
        None => "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            .to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}

pub(crate) fn respond(status: StatusCode, markup: Markup, csp: Option<(&str, &str)>) -> Response {
    let mut r = (status, Html(markup.into_string())).into_response();
    security_headers(r.headers_mut(), csp);
    r
}

/// A random nonce for a page's one `<style>` element.
pub(crate) fn nonce() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// A page with a title and one sentence (errors, "Connected", "Cancelled"), naming the
/// signed-in user when there is one.
pub(crate) fn message(
    status: StatusCode,
    title: &str,
    text: &str,
    signed_in: Option<&str>,
) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } }
            body {
                h1 { (title) }
                p { (text) }
                @if let Some(who) = signed_in {
                    p class="who" { "Signed in as " strong { (who) } }
                }
            }
        }
    };
    respond(status, markup, None)
}

/// `/oauth`'s question to a browser that did not start the flow: connect the approved
/// account to this app user?
pub(crate) fn confirm(
    integration_name: &str,
    user: &str,
    confirmation: &str,
    public_path: &str,
) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Confirm the connection" } }
            body {
                h1 { "Confirm the connection" }
                p {
                    "Connect the " (integration_name) " account you just approved to the app user "
                    strong { (user) } "?"
                }
                p { "Only continue if you started this connection yourself and you are " (user) "." }
                form method="post" action={ (public_path) "/oauth/confirm" } {
                    input type="hidden" name="confirmation" value=(confirmation);
                    button name="decision" value="allow" { "Connect to " (user) }
                    " "
                    button name="decision" value="deny" { "Cancel" }
                }
            }
        }
    };
    respond(StatusCode::OK, markup, Some((&nonce(), "")))
}

/// What the portal shows above the accounts list.
pub(crate) enum Notice {
    None,
    Error(String),
    Test {
        credential: String,
        status: u16,
        body: String,
    },
}

/// Everything the portal page of one integration shows.
pub(crate) struct PortalPage<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub color: &'a str,
    pub icon_svg: &'a str,
    pub test_endpoint: &'a str,
    pub user: &'a str,
    pub notice: &'a Notice,
    pub accounts: &'a [Credential],
    /// The page's path under the public URL; its forms post below it.
    pub base: &'a str,
    pub csrf: &'a str,
    pub inputs: &'a [InputField],
    pub oauth: bool,
    /// Origins besides this server the Enable form may lead to (the provider's).
    pub form_extra: &'a str,
    /// Overview, settings and workflows (`configure::section`).
    pub configure: Markup,
}

/// A `#RRGGBB` color, or a neutral one: the only value that reaches the style sheet.
fn safe_color(c: &str) -> &str {
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok { c } else { "#4B5563" }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#111}\
header{display:flex;gap:1rem;align-items:center;border-bottom:4px solid var(--accent);padding-bottom:1rem}\
button{background:var(--accent);color:#fff;border:0;border-radius:.4rem;padding:.5rem 1rem;cursor:pointer}\
button.secondary{background:#e5e7eb;color:#111}label{display:block;margin:.6rem 0 .2rem}\
input,select{width:100%;padding:.4rem;box-sizing:border-box}li{margin:.8rem 0}\
.error{background:#fee2e2;padding:.8rem;border-radius:.4rem}.result{background:#f3f4f6;padding:.8rem;border-radius:.4rem}\
pre{white-space:pre-wrap;word-break:break-all}form.inline{display:inline}\
.field-error{color:#b91c1c;margin:.2rem 0}input[type=checkbox]{width:auto}";

/// The Connect Portal page.
pub(crate) fn portal(status: StatusCode, page: &PortalPage<'_>) -> Response {
    let nonce = nonce();
    let icon = base64::engine::general_purpose::STANDARD.encode(page.icon_svg);
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Connect " (page.name) }
                style nonce=(nonce) {
                    ":root{--accent:" (PreEscaped(safe_color(page.color))) "}" (PreEscaped(STYLE))
                }
            }
            body { main {
                header {
                    img alt="" width="48" height="48" src={ "data:image/svg+xml;base64," (icon) };
                    div { h1 { (page.name) } p { (page.description) } }
                }
                p class="who" { "Signed in as " strong { (page.user) } }
                (notice(page))
                section {
                    h2 { "Your accounts" }
                    @if page.accounts.is_empty() {
                        p { "No account connected yet." }
                    } @else {
                        ul class="accounts" { @for c in page.accounts { (account(page, c)) } }
                    }
                }
                (page.configure)
                section {
                    h2 { "Connect an account" }
                    form method="post" action={ (page.base) "/enable" } {
                        input type="hidden" name="csrf" value=(page.csrf);
                        @for f in page.inputs { (input(f)) }
                        p { button type="submit" {
                            @if page.oauth { "Enable (sign in with the provider)" } @else { "Enable" }
                        } }
                    }
                }
            } }
        }
    };
    respond(status, markup, Some((&nonce, page.form_extra)))
}

fn notice(page: &PortalPage<'_>) -> Markup {
    html! {
        @match page.notice {
            Notice::None => {}
            Notice::Error(e) => p class="error" role="alert" { (e) },
            Notice::Test { credential, status, body } => section class="result" {
                h2 { "Test request" }
                p {
                    "GET " (page.test_endpoint) " for account " (credential) " answered "
                    strong { (status) }
                    @if (200..300).contains(status) { " — the connection works." }
                }
                pre { (body) }
            },
        }
    }
}

fn account(page: &PortalPage<'_>, c: &Credential) -> Markup {
    let status = match c.status {
        Status::Valid => "Connected".to_string(),
        Status::Invalid => format!(
            "Needs reconnecting ({})",
            c.status_reason.as_deref().unwrap_or("invalid")
        ),
    };
    let hidden = html! {
        input type="hidden" name="csrf" value=(page.csrf);
        input type="hidden" name="credential" value=(c.id);
    };
    html! {
        li {
            strong { (status) } " — account " (c.id) " (since " (crate::api::date(c.created_at)) ") "
            form class="inline" method="post" action={ (page.base) "/test" } {
                (hidden) button type="submit" { "Send test request" }
            }
            " "
            form class="inline" method="post" action={ (page.base) "/disconnect" } {
                (hidden) button class="secondary" type="submit" { "Disconnect" }
            }
        }
    }
}

fn input(f: &InputField) -> Markup {
    let id = format!("in-{}", f.key());
    html! {
        label for=(id) { (f.label()) }
        @match f.kind() {
            InputKind::Select { options } => select id=(id) name=(f.key()) required[f.required()] {
                @for o in options {
                    option selected[f.default_value() == Some(o.as_str())] { (o) }
                }
            },
            kind => {
                @let ty = match kind {
                    InputKind::Password => "password",
                    InputKind::Url => "url",
                    _ if f.secret() => "password",
                    _ => "text",
                };
                input id=(id) name=(f.key()) type=(ty) autocomplete="off"
                    value=(f.default_value().unwrap_or("")) required[f.required()];
            }
        }
        @if let Some(help) = f.help() { small { (help) } }
    }
}

/// Headers of the SDK's popup pages: like every page's, with a script allowed by nonce and
/// no `Cross-Origin-Opener-Policy`, since the popup must reach its opener (the app's page).
fn popup_headers(headers: &mut HeaderMap, nonce: &str) {
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

fn popup_page(title: &str, text: &str, script: &str) -> Response {
    let nonce = nonce();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } }
            body {
                h1 { (title) }
                p { (text) }
                script nonce=(nonce) { (PreEscaped(script)) }
            }
        }
    };
    let mut r = (StatusCode::OK, Html(markup.into_string())).into_response();
    popup_headers(r.headers_mut(), &nonce);
    r
}

/// The SDK's OAuth popup, first page: drops the user token from the address bar and tells the
/// app's page (at the allowed `origin` only) that it may send the popup to the provider.
pub(crate) fn sdk_popup(origin: &str) -> Response {
    // JSON string, with `<` escaped so no value can close the script element.
    let origin = serde_json::Value::from(origin)
        .to_string()
        .replace('<', "\\u003c");
    let script = format!(
        "history.replaceState(null, '', location.pathname);\
         if (window.opener) window.opener.postMessage({{ type: 'oauth-nonce-loaded' }}, {origin});"
    );
    popup_page(
        "Connecting…",
        "Taking you to the provider's sign-in page.",
        &script,
    )
}

/// The SDK's OAuth popup, last page: the account is connected and the popup closes itself
/// (the app's page learns the result by polling `session-id`).
pub(crate) fn popup_done() -> Response {
    popup_page(
        "Connected",
        "The account is connected. You can close this window.",
        "window.close();",
    )
}
