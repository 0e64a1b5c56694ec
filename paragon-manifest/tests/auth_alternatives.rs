//! `[auth]` URLs written as alternatives, and callback values held to `one_of`: which
//! alternative a context renders, and every rule refused at its position.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use paragon_manifest::{Diagnostic, Diagnostics, Manifest, RenderContext};

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab/integration.toml")
}

fn parse(source: &str) -> Result<Manifest, Diagnostics> {
    Manifest::parse(source, manifest_path())
}

/// Intercom's shape: an optional region picks a regional host, else the global one.
const REGIONAL: &str = r##"name = "Regional"
description = "An API with regional hosts."
icon = "icon.svg"
color = "#112233"

[auth]
type = "oauth"
authorization_url = ["https://app.{input.region}.regional.example/oauth", "https://app.regional.example/oauth"]
token_url = ["https://api.{input.region}.regional.example/token", "https://api.regional.example/token"]
client_id = "{env.CLIENT_ID}"
client_secret = "{env.CLIENT_SECRET}"

[[inputs]]
key = "region"
label = "Region"
kind = "select"
options = ["eu", "au"]
required = false

[api]
base_url = ["https://api.{input.region}.regional.example", "https://api.regional.example"]
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "`{from}` is not in the base manifest");
    base.replacen(from, to, 1)
}

fn single_error(source: &str) -> Diagnostic {
    let d = parse(source).expect_err("the manifest should be refused");
    assert_eq!(d.len(), 1, "expected one problem, got:\n{d}");
    d.0.into_iter().next().unwrap()
}

#[track_caller]
fn assert_at(d: &Diagnostic, line: usize, field: &str, message: &str) {
    assert_eq!((d.line, d.field.as_str()), (line, field), "\n{d}");
    assert!(
        d.message.contains(message),
        "{:?} lacks {message:?}",
        d.message
    );
}

fn secrets() -> HashMap<String, String> {
    HashMap::from([
        ("CLIENT_ID".to_string(), "id".to_string()),
        ("CLIENT_SECRET".to_string(), "secret".to_string()),
        (
            "TASKLAB_URL".to_string(),
            "http://127.0.0.1:4000".to_string(),
        ),
        ("TASKLAB_CLIENT_ID".to_string(), "id".to_string()),
        ("TASKLAB_CLIENT_SECRET".to_string(), "secret".to_string()),
    ])
}

#[test]
fn the_first_alternative_with_values_is_used() {
    let m = parse(REGIONAL).unwrap();
    let oauth = m.auth().oauth().unwrap();
    assert_eq!(oauth.authorization_url_alternatives().len(), 2);
    let secrets = secrets();
    let global = RenderContext::new().with_secrets(&secrets);
    assert_eq!(
        oauth.authorization_url(&global).unwrap().as_str(),
        "https://app.regional.example/oauth"
    );
    assert_eq!(
        oauth.token_url(&global).unwrap().as_str(),
        "https://api.regional.example/token"
    );
    let eu = RenderContext::new()
        .with_secrets(&secrets)
        .input("region", "eu");
    assert_eq!(
        oauth.authorization_url(&eu).unwrap().as_str(),
        "https://app.eu.regional.example/oauth"
    );
    assert_eq!(
        oauth.refresh_url(&eu).unwrap().as_str(),
        "https://api.eu.regional.example/token"
    );
    assert!(!oauth.host_chosen_by_user(oauth.token_url_chosen(&global)));
    assert!(oauth.host_chosen_by_user(oauth.token_url_chosen(&eu)));
}

#[test]
fn client_credentials_token_url_alternatives() {
    let source = REGIONAL
        .replace("type = \"oauth\"", "type = \"client_credentials\"")
        .replace(
            "authorization_url = [\"https://app.{input.region}.regional.example/oauth\", \"https://app.regional.example/oauth\"]\n",
            "",
        )
        .replace("{env.CLIENT_ID}", "{input.client_id}")
        .replace("{env.CLIENT_SECRET}", "{input.client_secret}")
        + "\n[[inputs]]\nkey = \"client_id\"\nlabel = \"Client ID\"\n\n[[inputs]]\nkey = \"client_secret\"\nlabel = \"Client secret\"\nkind = \"password\"\n";
    let m = parse(&source).unwrap_or_else(|d| panic!("{d}"));
    let cc = m.auth().client_credentials().unwrap();
    let ctx = RenderContext::new().input("region", "au");
    assert_eq!(
        cc.token_url(&ctx).unwrap().as_str(),
        "https://api.au.regional.example/token"
    );
    assert_eq!(
        cc.token_url(&RenderContext::new()).unwrap().as_str(),
        "https://api.regional.example/token"
    );
}

#[test]
fn every_alternative_keeps_the_host_rules() {
    // The second alternative takes its whole host from a free input: refused at its position.
    let open = edit(
        REGIONAL,
        "\"https://api.regional.example/token\"]",
        "\"https://{input.host}/token\"]\n",
    ) + "\n[[inputs]]\nkey = \"host\"\nlabel = \"Host\"\nkind = \"host\"\n";
    let d = single_error(&open);
    assert_at(
        &d,
        9,
        "auth.token_url[1]",
        "the host of `token_url` comes from the end user's `{input.host}`",
    );
}

#[test]
fn only_the_last_alternative_must_always_have_values() {
    let d = single_error(&edit(
        REGIONAL,
        "\"https://app.regional.example/oauth\"]",
        "\"https://app.{input.region}.regional.example/x\"]",
    ));
    assert_at(&d, 8, "auth.authorization_url[1]", "may have no value");
    let d = single_error(&edit(
        REGIONAL,
        "token_url = [\"https://api.{input.region}.regional.example/token\", \"https://api.regional.example/token\"]",
        "token_url = []",
    ));
    assert_at(
        &d,
        9,
        "auth.token_url",
        "`auth.token_url` has no alternatives",
    );
    let d = single_error(&edit(
        REGIONAL,
        "\"https://api.regional.example/token\"]",
        "42]",
    ));
    assert_at(&d, 9, "auth.token_url[1]", "expected a string");
}

/// Zoho's shape: no region chosen, the token server comes from the redirect back.
#[test]
fn a_callback_value_held_to_one_of_may_make_the_token_host() {
    let m =
        Manifest::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab-accounts"))
            .unwrap_or_else(|d| panic!("{d}"));
    let oauth = m.auth().oauth().unwrap();
    let value = &oauth.callback_capture()[0];
    assert_eq!(
        (value.name(), value.param()),
        ("accounts_server", "accounts-server")
    );
    let secrets = secrets();
    let from_callback = RenderContext::new()
        .with_secrets(&secrets)
        .credential("accounts_server", "https://accounts.tasklab.eu");
    assert_eq!(
        oauth.token_url(&from_callback).unwrap().as_str(),
        "https://accounts.tasklab.eu/oauth/token"
    );
    // A held value is the owner's host: the local server may reach it wherever it is.
    assert!(!oauth.host_chosen_by_user(oauth.token_url_chosen(&from_callback)));
    let chosen = from_callback.clone().input("region", "eu");
    assert_eq!(
        oauth.token_url(&chosen).unwrap().as_str(),
        "https://accounts.tasklab.eu/oauth/token"
    );
    assert_eq!(
        oauth
            .authorization_url(&RenderContext::new().with_secrets(&secrets))
            .unwrap()
            .as_str(),
        "http://127.0.0.1:4000/oauth/authorize"
    );
}

fn accounts_source() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/tasklab-accounts/integration.toml"),
    )
    .unwrap()
}

const HELD: &str = r#"{ name = "accounts_server", param = "accounts-server", one_of = [
    "{env.TASKLAB_URL}",
    "https://accounts.tasklab.eu",
  ] }"#;

#[test]
fn a_callback_value_makes_no_host_unless_held() {
    let source = accounts_source();
    let d = single_error(&edit(
        &source,
        HELD,
        r#"{ name = "accounts_server", param = "accounts-server" }"#,
    ));
    assert_at(
        &d,
        20,
        "auth.token_url[1]",
        "a value of the OAuth callback's query",
    );
    assert_eq!(d.column, 4, "{d}");
    assert!(d.help.as_deref().unwrap().contains("one_of"), "{d}");

    // Each allowed value must make a valid URL.
    let d = single_error(&edit(
        &source,
        "\"https://accounts.tasklab.eu\",",
        "\"accounts.tasklab.eu\",",
    ));
    assert_at(
        &d,
        20,
        "auth.token_url[1]",
        "its allowed value `accounts.tasklab.eu` makes no valid URL",
    );

    // The end user's own OAuth app may send its secret anywhere the user says.
    let own = edit(
        &source,
        HELD,
        r#"{ name = "accounts_server", param = "accounts-server" }"#,
    )
    .replace("{env.TASKLAB_CLIENT_ID}", "{input.client_id}")
    .replace("{env.TASKLAB_CLIENT_SECRET}", "{input.client_secret}")
        + "\n[[inputs]]\nkey = \"client_id\"\nlabel = \"Client ID\"\n\n[[inputs]]\nkey = \"client_secret\"\nlabel = \"Client secret\"\nkind = \"password\"\n";
    let m = parse(&own).unwrap_or_else(|d| panic!("{d}"));
    let oauth = m.auth().oauth().unwrap();
    let ctx = RenderContext::new().credential("accounts_server", "https://anywhere.example");
    assert!(oauth.host_chosen_by_user(oauth.token_url_chosen(&ctx)));
}

#[test]
fn malformed_callback_values_are_refused_at_their_position() {
    let source = accounts_source();
    let d = parse(&edit(
        &source,
        HELD,
        r#"{ nme = "x", param = "", one_of = ["{input.region}", ""] }"#,
    ))
    .expect_err("refused");
    let found: Vec<(usize, &str, &str)> =
        d.0.iter()
            .map(|d| (d.line, d.field.as_str(), d.message.as_str()))
            .collect();
    for (field, says) in [
        ("auth.callback_capture[0].nme", "unknown field `nme`"),
        (
            "auth.callback_capture[0].param",
            "`param` must name a query parameter",
        ),
        (
            "auth.callback_capture[0].one_of[0]",
            "`{input.region}` in `one_of`",
        ),
        (
            "auth.callback_capture[0].one_of[1]",
            "an empty value in `one_of`",
        ),
    ] {
        assert!(
            found
                .iter()
                .any(|(l, f, m)| *l == 27 && *f == field && m.contains(says)),
            "{field}: {says} not in\n{d}"
        );
    }
    let nme = d.0.iter().find(|d| d.field.ends_with(".nme")).unwrap();
    assert_eq!(nme.help.as_deref(), Some("did you mean `name`?"));

    // Refused, so the token URL's use of it is refused too.
    let all = parse(&edit(&source, HELD, r#"{ name = "accounts-server" }"#)).expect_err("refused");
    let d = all
        .0
        .iter()
        .find(|d| d.line == 27)
        .expect("the name's problem");
    assert_at(
        d,
        27,
        "auth.callback_capture",
        "`accounts-server` is not a name templates can use",
    );
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("param = \"accounts-server\""),
        "{d}"
    );
    let all = parse(&edit(
        &source,
        HELD,
        r#"{ name = "accounts_server", one_of = [] }"#,
    ))
    .expect_err("refused");
    let d = all
        .0
        .iter()
        .find(|d| d.line == 27)
        .expect("the list's problem");
    assert_at(d, 27, "auth.callback_capture[0].one_of", "lists no value");
    let twice = edit(
        &source,
        HELD,
        &format!("{HELD}, {{ name = \"server\", param = \"accounts-server\" }}"),
    );
    let d = single_error(&twice);
    assert_at(
        &d,
        30,
        "auth.callback_capture[1]",
        "the callback's `accounts-server` is already kept as `accounts_server`",
    );
    let all = parse(&edit(&source, HELD, "42")).expect_err("refused");
    let d = all
        .0
        .iter()
        .find(|d| d.line == 27)
        .expect("the entry's problem");
    assert_at(
        d,
        27,
        "auth.callback_capture[0]",
        "expected a name or a { name, param, one_of, kind } table",
    );
}

#[test]
fn the_token_url_may_use_callback_values_only() {
    let source = accounts_source();
    let d = single_error(&edit(
        &source,
        "\"{credential.accounts_server}/oauth/token\"",
        "\"{credential.access_token}/oauth/token\"",
    ));
    assert_at(
        &d,
        20,
        "auth.token_url[1]",
        "at the code exchange there is no credential yet",
    );
    // The authorization URL comes before the callback: no callback value there.
    let d = single_error(&edit(
        &source,
        "\"{env.TASKLAB_URL}/oauth/authorize\"",
        "\"{credential.accounts_server}/oauth/authorize\"",
    ));
    assert_at(
        &d,
        16,
        "auth.authorization_url[1]",
        "there is no credential yet",
    );
}

/// Lightspeed's shape: the store's subdomain comes back on the redirect.
const STORE: &str = r##"name = "Store"
description = "A store API on the store's own subdomain."
icon = "icon.svg"
color = "#112233"

[auth]
type = "oauth"
authorization_url = "https://secure.store.example/connect"
token_url = "https://{credential.prefix}.store.example/api/token"
client_id = "{env.CLIENT_ID}"
client_secret = "{env.CLIENT_SECRET}"
callback_capture = [{ name = "prefix", param = "domain_prefix", kind = "subdomain" }]

[api]
base_url = "https://{credential.prefix}.store.example"
test_endpoint = "/me"
authorization = { type = "bearer", token = "{credential.access_token}" }
"##;

#[test]
fn a_callback_subdomain_may_stand_before_a_fixed_domain() {
    let m = parse(STORE).unwrap_or_else(|d| panic!("{d}"));
    let oauth = m.auth().oauth().unwrap();
    let value = &oauth.callback_capture()[0];
    assert!(value.is_subdomain());
    let ctx = RenderContext::new();
    assert!(value.allows("shop-1", &ctx).unwrap());
    for bad in ["evil.example", "a/b", "", "x:1", "a b"] {
        assert!(!value.allows(bad, &ctx).unwrap(), "{bad:?}");
    }
    // Still the user's host: the local server keeps it off private addresses.
    let with = RenderContext::new().credential("prefix", "shop-1");
    assert_eq!(
        oauth.token_url(&with).unwrap().as_str(),
        "https://shop-1.store.example/api/token"
    );
    assert!(oauth.host_chosen_by_user(oauth.token_url_chosen(&with)));

    let d = single_error(&edit(
        STORE,
        "\"https://{credential.prefix}.store.example/api/token\"",
        "\"https://{credential.prefix}/api/token\"",
    ));
    assert_at(&d, 9, "auth.token_url", "no fixed domain follows it");
    let all = parse(&edit(STORE, "kind = \"subdomain\"", "kind = \"label\"")).expect_err("refused");
    let d = all
        .0
        .iter()
        .find(|d| d.line == 12)
        .expect("the kind's problem");
    assert_at(
        d,
        12,
        "auth.callback_capture[0].kind",
        "unknown callback value kind `label`",
    );
}
