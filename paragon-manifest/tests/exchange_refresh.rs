//! A token exchange renewed by refresh token: `refresh_token_path` and `[auth.refresh]` are
//! checked with positions and suggestions, and the refresh request renders as the manifest
//! says (`specs/tasklab-renew`, `specs/tasklab-renew-header`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use paragon_manifest::{Diagnostic, Manifest, RenderContext};

fn spec_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/specs/{name}/integration.toml"))
}

fn spec(name: &str) -> String {
    std::fs::read_to_string(spec_path(name)).unwrap()
}

fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "`{from}` is not in the manifest");
    base.replacen(from, to, 1)
}

/// The only problem found in `source`, read as `specs/tasklab-renew`'s manifest.
fn single_error(source: &str) -> Diagnostic {
    let d = Manifest::parse(source, spec_path("tasklab-renew")).expect_err("refused");
    assert_eq!(d.len(), 1, "expected one problem, got:\n{d}");
    d.0.into_iter().next().unwrap()
}

/// Asserts the line and column of `needle`'s first character, the field, message and help.
#[track_caller]
fn assert_problem(source: &str, d: &Diagnostic, needle: &str, field: &str, says: [&str; 2]) {
    let (line, text) = source
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .unwrap();
    let column = text.find(needle).unwrap() + 1;
    assert_eq!(
        (d.line, d.column, d.field.as_str()),
        (line + 1, column, field),
        "\n{d}"
    );
    assert_eq!(
        (d.message.as_str(), d.help.as_deref()),
        (says[0], Some(says[1])),
        "\n{d}"
    );
}

#[test]
fn the_shipped_specs_read() {
    for name in ["tasklab-renew", "tasklab-renew-header"] {
        let m = Manifest::load(spec_path(name).parent().unwrap()).unwrap();
        let te = m.auth().token_exchange().unwrap();
        assert_eq!(te.refresh_token_path(), Some("/session/refresh_token"));
        assert!(te.refresh().is_some());
    }
}

#[test]
fn a_refresh_without_a_refresh_token_is_refused() {
    let base = spec("tasklab-renew");
    let source = edit(
        &base,
        "refresh_token_path = \"/session/refresh_token\"\n",
        "",
    );
    let d = single_error(&source);
    assert_problem(
        &source,
        &d,
        "[auth.refresh]",
        "auth.refresh",
        [
            "`[auth.refresh]` needs a refresh token, but the exchange reads none",
            "point at it in the exchange's answer, e.g. refresh_token_path = \"/refresh_token\"",
        ],
    );
}

#[test]
fn a_refresh_token_that_is_never_sent_is_refused() {
    let base = spec("tasklab-renew");
    let cut = base.find("# Sent instead").unwrap();
    let end = base.find("[[inputs]]").unwrap();
    let source = format!("{}{}", &base[..cut], &base[end..]);
    let d = single_error(&source);
    assert_problem(
        &source,
        &d,
        "\"/session/refresh_token\"",
        "auth.refresh_token_path",
        [
            "the refresh token is read but never sent: there is no `[auth.refresh]`",
            "add [auth.refresh] with params = { refresh_token = \"{credential.refresh_token}\" }, or remove refresh_token_path",
        ],
    );

    let source = edit(
        &base,
        "params = { refresh_token = \"{credential.refresh_token}\" }",
        "params = { refresh_token = \"{input.api_key}\" }",
    );
    let d = single_error(&source);
    assert_eq!(d.field, "auth.refresh", "\n{d}");
    assert_eq!(d.message, "the refresh sends no refresh token", "\n{d}");

    // Nor in the URL, where logs and proxies would keep it.
    let source = edit(
        &base,
        "url = \"{env.TASKLAB_URL}/auth/session/refresh\"",
        "url = \"{env.TASKLAB_URL}/auth/session/refresh?rt={credential.refresh_token}\"",
    );
    let d = single_error(&source);
    assert_problem(
        &source,
        &d,
        "\"{env.TASKLAB_URL}/auth/session/refresh?rt",
        "auth.refresh.url",
        [
            "the refresh token would be in a URL, which logs and proxies keep",
            "send it in `params` or `headers`",
        ],
    );
}

#[test]
fn refresh_fields_are_checked_with_suggestions() {
    let base = spec("tasklab-renew");
    let source = edit(&base, "params = {", "parms = {");
    let d = single_error(&source);
    assert_problem(
        &source,
        &d,
        "parms",
        "auth.refresh.parms",
        ["unknown field `parms`", "did you mean `params`?"],
    );

    let source = edit(
        &base,
        "refresh_token_path = \"/session/refresh_token\"",
        "refresh_token_path = \"session.refresh_token\"",
    );
    let d = single_error(&source);
    assert_problem(
        &source,
        &d,
        "\"session.refresh_token\"",
        "auth.refresh_token_path",
        [
            "`auth.refresh_token_path` must be a JSON pointer starting with `/`",
            "write \"/session/refresh_token\"",
        ],
    );

    // The refresh token is for the refresh only: the exchange has no credential yet.
    let source = edit(
        &base,
        "api_key = \"{input.api_key}\"",
        "api_key = \"{credential.refresh_token}\"",
    );
    let d = single_error(&source);
    assert_problem(
        &source,
        &d,
        "{credential.refresh_token}\"",
        "auth.params.api_key",
        [
            "`{credential.refresh_token}` cannot be used here: there is no credential yet",
            "use inputs, environment secrets or user metadata",
        ],
    );
}

/// A refresh sending an `{env.*}` secret may not go to a host the end user names.
#[test]
fn a_refresh_with_an_owner_secret_cannot_go_to_the_users_host() {
    let base = spec("tasklab-renew");
    let source = edit(
        &base,
        "url = \"{env.TASKLAB_URL}/auth/session/refresh\"",
        "url = \"https://{input.host}/refresh\"\nheaders = { \"X-App\" = \"{env.APP_KEY}\" }",
    );
    let source =
        format!("{source}\n[[inputs]]\nkey = \"host\"\nlabel = \"Host\"\nkind = \"host\"\n");
    let d = Manifest::parse(&source, spec_path("tasklab-renew")).expect_err("refused");
    let d =
        d.0.iter()
            .find(|d| d.field == "auth.refresh.url")
            .expect("the URL is refused");
    assert!(
        d.message
            .contains("the app's client secret would be sent to any host"),
        "\n{d}"
    );
}

#[test]
fn the_refresh_renders_its_own_headers_or_the_exchanges() {
    let secrets = HashMap::from([(
        "TASKLAB_URL".to_string(),
        "http://127.0.0.1:4000".to_string(),
    )]);
    let ctx = RenderContext::new()
        .with_secrets(&secrets)
        .input("api_key", "k1")
        .credential("refresh_token", "rt 1");
    let bearer = Manifest::load(spec_path("tasklab-renew-header").parent().unwrap()).unwrap();
    let te = bearer.auth().token_exchange().unwrap();
    let exchange = te.request(&ctx).unwrap();
    assert_eq!(exchange.headers[0].0, "X-Tasklab-Client");
    let refresh = te.refresh_request(&ctx).unwrap().unwrap();
    assert_eq!(refresh.url.as_str(), "http://127.0.0.1:4000/auth/session");
    assert_eq!(refresh.headers.len(), 1);
    assert_eq!(refresh.headers[0].0, "Authorization");
    assert_eq!(refresh.headers[0].1.expose(), "Bearer rt 1");
    assert!(!format!("{refresh:?}").contains("rt 1"), "{refresh:?}");
    let (content_type, body) = refresh.body.unwrap();
    assert_eq!((content_type, body.expose()), ("application/json", "{}"));

    // Without its own headers the refresh sends the exchange's.
    let source = edit(
        &spec("tasklab-renew-header"),
        "headers = { Authorization = \"Bearer {credential.refresh_token}\" }",
        "params = { token = \"{credential.refresh_token}\" }",
    );
    let m = Manifest::parse(&source, spec_path("tasklab-renew-header")).unwrap();
    let refresh = m
        .auth()
        .token_exchange()
        .unwrap()
        .refresh_request(&ctx)
        .unwrap()
        .unwrap();
    assert_eq!(refresh.headers[0].0, "X-Tasklab-Client");
    assert_eq!(refresh.body.unwrap().1.expose(), r#"{"token":"rt 1"}"#);

    // Without `[auth.refresh]` there is no refresh request.
    let exchange_only = Manifest::load(spec_path("tasklab-exchange").parent().unwrap()).unwrap();
    let te = exchange_only.auth().token_exchange().unwrap();
    assert!(te.refresh_request(&ctx).unwrap().is_none());
}

/// `capture_headers` (`specs/tasklab-cookies`): names templates can use, valid header names,
/// every problem at once; the names are `{credential.*}` values for `[api]`.
#[test]
fn header_captures_are_read_and_checked() {
    let dir = spec_path("tasklab-cookies");
    let m = Manifest::load(dir.parent().unwrap()).unwrap();
    let te = m.auth().token_exchange().unwrap();
    assert_eq!(
        te.header_captures(),
        [("cookies".to_string(), "set-cookie".to_string())]
    );

    let base = spec("tasklab-cookies");
    let source = edit(
        &base,
        "capture_headers = { cookies = \"set-cookie\" }",
        "capture_headers = { cookies = \"set cookie\", refresh_token = \"x-rt\", \"a-b\" = \"x-c\" }",
    );
    let d = Manifest::parse(&source, &dir).expect_err("refused");
    let found: Vec<(&str, &str)> =
        d.0.iter()
            .map(|d| (d.field.as_str(), d.message.as_str()))
            .collect();
    for expected in [
        (
            "auth.capture_headers.cookies",
            "`set cookie` is not a valid HTTP header name",
        ),
        (
            "auth.capture_headers.refresh_token",
            "`refresh_token` is the token itself; it cannot be read from a header",
        ),
        (
            "auth.capture_headers.a-b",
            "`a-b` is not a name templates can use",
        ),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in:\n{d}");
    }
    let header = d.0.iter().find(|d| d.field.ends_with(".cookies")).unwrap();
    let line = source
        .lines()
        .position(|l| l.starts_with("capture_headers"))
        .unwrap()
        + 1;
    assert_eq!((header.line, header.column), (line, 31), "\n{header}");

    // Without the capture, `{credential.cookies}` names nothing.
    let source = edit(
        &base,
        "capture_headers = { cookies = \"set-cookie\" }\n",
        "",
    );
    let d = single_error_in(&source, &dir);
    assert_eq!(d.field, "api.headers.Cookie", "\n{d}");
    assert!(d.message.contains("is not captured"), "\n{d}");
}

fn single_error_in(source: &str, path: &Path) -> Diagnostic {
    let d = Manifest::parse(source, path).expect_err("refused");
    assert_eq!(d.len(), 1, "expected one problem, got:\n{d}");
    d.0.into_iter().next().unwrap()
}
