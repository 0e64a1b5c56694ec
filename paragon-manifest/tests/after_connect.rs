//! `[[auth.after_connect]]`: what it renders, and each malformed entry refused at its
//! position with every problem at once.

use std::path::{Path, PathBuf};

use paragon_manifest::{Diagnostic, Diagnostics, Manifest, RenderContext};

/// Manifests are parsed as if they were in `specs/tasklab/`, so `icon.svg` resolves.
fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml")
}

fn parse(source: &str) -> Result<Manifest, Diagnostics> {
    Manifest::parse(source, manifest_path())
}

/// Mailchimp's shape: the data centre, read from a metadata endpoint after connecting, forms
/// the API's host.
const DATA_CENTRE: &str = r##"name = "Chimp"
description = "An API on a data centre read after connecting."
icon = "icon.svg"
color = "#112233"

[auth]
type = "oauth"
authorization_url = "https://login.chimp.example/oauth2/authorize"
token_url = "https://login.chimp.example/oauth2/token"
client_id = "{env.CHIMP_CLIENT_ID}"
client_secret = "{env.CHIMP_CLIENT_SECRET}"

[[auth.after_connect]]
url = "https://login.chimp.example/oauth2/metadata"
capture = { dc = "/dc" }
provider_id = "/user_id"

[[auth.after_connect]]
url = "/accounts/{credential.dc}"
capture = { account_name = "/account/name" }

[api]
base_url = "https://{credential.dc}.api.chimp.example/3.0"
test_endpoint = "/ping"
authorization = { type = "bearer", token = "{credential.access_token}" }

[api.headers]
"X-Account" = "{credential.account_name}"
"##;

/// `base` with `from` replaced by `to` (which must occur, so a test cannot silently pass).
fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "`{from}` is not in the base manifest");
    base.replacen(from, to, 1)
}

/// `DATA_CENTRE` without the header that uses the second entry's value.
fn without_header() -> String {
    edit(
        DATA_CENTRE,
        "\n[api.headers]\n\"X-Account\" = \"{credential.account_name}\"\n",
        "",
    )
}

/// Asserts exactly one problem and returns it.
fn single_error(source: &str) -> Diagnostic {
    let diagnostics = parse(source).expect_err("the manifest should be refused");
    assert_eq!(
        diagnostics.len(),
        1,
        "expected one problem, got:\n{diagnostics}"
    );
    diagnostics.0.into_iter().next().unwrap()
}

#[track_caller]
fn assert_at(d: &Diagnostic, line: usize, column: usize, field: &str, message: &str) {
    assert_eq!(
        (d.line, d.column, d.field.as_str()),
        (line, column, field),
        "\n{d}"
    );
    assert!(
        d.message.contains(message),
        "message {:?} lacks {message:?}",
        d.message
    );
}

#[test]
fn entries_render_in_order_with_what_earlier_ones_read() {
    let m = parse(DATA_CENTRE).unwrap();
    let entries = m.after_connect();
    assert_eq!(entries.len(), 2);
    let (first, second) = (&entries[0], &entries[1]);
    assert!(!first.is_relative());
    assert_eq!(first.capture(), [("dc".to_owned(), "/dc".to_owned())]);
    assert_eq!(first.provider_id(), Some("/user_id"));
    assert!(second.is_relative());
    assert_eq!(second.provider_id(), None);

    let ctx = RenderContext::new().access_token("t0k");
    assert_eq!(
        first.url(&m, &ctx).unwrap().as_str(),
        "https://login.chimp.example/oauth2/metadata"
    );
    // The second needs the first one's value, under the base URL that needs it too.
    assert!(second.url(&m, &ctx).is_err());
    let ctx = ctx.credential("dc", "us6");
    assert_eq!(
        second.url(&m, &ctx).unwrap().as_str(),
        "https://us6.api.chimp.example/3.0/accounts/us6"
    );
    // A header that needs a value not read yet is left out of the after-connect requests.
    assert!(m.after_connect_headers(&ctx).unwrap().is_empty());
    let ctx = ctx.credential("account_name", "Acme");
    assert_eq!(
        m.after_connect_headers(&ctx).unwrap(),
        [("X-Account".to_owned(), "Acme".to_owned())]
    );
    assert_eq!(
        m.base_url(&ctx).unwrap().as_str(),
        "https://us6.api.chimp.example/3.0"
    );
}

#[test]
fn an_api_key_may_read_values_after_connecting_and_none_may_not() {
    let keyed = r##"name = "Keyed"
description = "An API keyed by a header."
icon = "icon.svg"
color = "#112233"

[auth]
type = "api_key"

[[auth.after_connect]]
url = "/whoami"
provider_id = "/id"

[[inputs]]
key = "api_key"
label = "API key"
kind = "password"

[api]
base_url = "https://api.keyed.example"
test_endpoint = "/me"
authorization = { type = "headers", headers = { "X-Api-Key" = "{input.api_key}" } }
"##;
    let m = parse(keyed).unwrap();
    assert_eq!(m.after_connect()[0].provider_id(), Some("/id"));

    let none = keyed
        .replace("type = \"api_key\"", "type = \"none\"")
        .replace(
            "authorization = { type = \"headers\", headers = { \"X-Api-Key\" = \"{input.api_key}\" } }",
            "",
        );
    let d = single_error(&none);
    assert_at(
        &d,
        9,
        8,
        "auth.after_connect",
        "field `after_connect` does not apply to `type = \"none\"`",
    );
}

#[test]
fn a_misspelled_key_suggests_the_right_one() {
    // Without `capture` the value is not read, so its uses are reported as well.
    let diagnostics =
        parse(&edit(DATA_CENTRE, "capture = { dc", "captur = { dc")).expect_err("a misspelled key");
    assert_eq!(diagnostics.len(), 3, "{diagnostics}");
    let d = &diagnostics.0[0];
    assert_at(
        d,
        15,
        1,
        "auth.after_connect[0].captur",
        "unknown field `captur`",
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `capture`?"));
}

#[test]
fn the_host_must_be_the_manifests() {
    let source = edit(
        DATA_CENTRE,
        "url = \"https://login.chimp.example/oauth2/metadata\"",
        "url = \"https://{input.host}/oauth2/metadata\"",
    );
    let source = edit(
        &source,
        "[api]",
        "[[inputs]]\nkey = \"host\"\nlabel = \"Host\"\nkind = \"host\"\n\n[api]",
    );
    let d = single_error(&source);
    assert_at(
        &d,
        14,
        7,
        "auth.after_connect[0].url",
        "the host of an after-connect URL comes from a value the end user or the provider chooses",
    );
}

#[test]
fn a_path_cannot_be_under_a_base_url_that_needs_its_value() {
    let d = single_error(&edit(
        DATA_CENTRE,
        "url = \"https://login.chimp.example/oauth2/metadata\"",
        "url = \"/oauth2/metadata\"",
    ));
    assert_at(
        &d,
        14,
        7,
        "auth.after_connect[0].url",
        "this path is under `api.base_url`, which needs `{credential.dc}`",
    );
}

#[test]
fn a_later_entrys_value_is_not_known_yet() {
    let d = single_error(&edit(
        DATA_CENTRE,
        "url = \"https://login.chimp.example/oauth2/metadata\"",
        "url = \"https://login.chimp.example/{credential.account_name}\"",
    ));
    assert_at(
        &d,
        14,
        36,
        "auth.after_connect[0].url",
        "`{credential.account_name}` is not captured",
    );
}

#[test]
fn captured_names_and_pointers_are_checked() {
    let d = single_error(&edit(DATA_CENTRE, "{ dc = \"/dc\" }", "{ dc = \"dc\" }"));
    assert_at(
        &d,
        15,
        18,
        "auth.after_connect[0].capture.dc",
        "must be a JSON pointer starting with `/`",
    );
    assert_eq!(d.help.as_deref(), Some("write \"/dc\""));

    let d = single_error(&edit(
        &without_header(),
        "{ account_name = \"/account/name\" }",
        "{ access_token = \"/token\" }",
    ));
    assert_at(
        &d,
        20,
        13,
        "auth.after_connect[1].capture.access_token",
        "`access_token` is the credential's token",
    );

    let d = single_error(&edit(
        &without_header(),
        "{ account_name = \"/account/name\" }",
        "{ dc = \"/account/dc\" }",
    ));
    assert_at(
        &d,
        20,
        13,
        "auth.after_connect[1].capture.dc",
        "`dc` is already a credential value",
    );

    let d = single_error(&edit(
        DATA_CENTRE,
        "client_secret = \"{env.CHIMP_CLIENT_SECRET}\"",
        "client_secret = \"{env.CHIMP_CLIENT_SECRET}\"\ncapture = [\"dc\"]",
    ));
    assert_at(
        &d,
        16,
        13,
        "auth.after_connect[0].capture.dc",
        "`dc` is already a credential value",
    );
}

#[test]
fn the_authorization_cannot_need_what_it_authorizes_the_reading_of() {
    let d = single_error(&edit(
        DATA_CENTRE,
        "token = \"{credential.access_token}\"",
        "token = \"{credential.dc}\"",
    ));
    assert_at(
        &d,
        15,
        13,
        "auth.after_connect[0].capture.dc",
        "`api.authorization` uses `{credential.dc}`",
    );
}

#[test]
fn one_place_says_where_the_provider_id_is() {
    let d = single_error(&edit(
        DATA_CENTRE,
        "client_secret = \"{env.CHIMP_CLIENT_SECRET}\"",
        "client_secret = \"{env.CHIMP_CLIENT_SECRET}\"\nprovider_id = \"/user/id\"",
    ));
    assert_at(
        &d,
        17,
        15,
        "auth.after_connect[0].provider_id",
        "`auth.provider_id` already says where the provider id is",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let source = edit(
        &without_header(),
        "capture = { account_name = \"/account/name\" }",
        "",
    );
    let source = edit(&source, "{ dc = \"/dc\" }", "{ dc = \"dc\" }");
    let diagnostics = parse(&source).expect_err("two problems");
    assert_eq!(diagnostics.len(), 2, "{diagnostics}");
    assert_at(
        &diagnostics.0[0],
        15,
        18,
        "auth.after_connect[0].capture.dc",
        "JSON pointer",
    );
    assert_at(
        &diagnostics.0[1],
        18,
        1,
        "auth.after_connect[1]",
        "`auth.after_connect[1]` reads nothing from the answer",
    );
}

#[test]
fn after_connect_must_be_an_array_of_tables() {
    let start = DATA_CENTRE.find("[[auth.after_connect]]").unwrap();
    let end = DATA_CENTRE.find("[api]").unwrap();
    let source = format!(
        "{}after_connect = \"/me\"\n\n{}",
        &DATA_CENTRE[..start],
        &DATA_CENTRE[end..]
    )
    .replace("{credential.dc}", "dc")
    .replace("{credential.account_name}", "acme");
    let d = single_error(&source);
    assert_at(
        &d,
        13,
        17,
        "auth.after_connect",
        "expected an array of tables (`[[auth.after_connect]]`), found a string",
    );
}
