//! Every shipped manifest validates, and together they cover every shape.

use std::path::{Path, PathBuf};

use paragon_manifest::{ApiAuthorization, Auth, ClientAuth, Manifest, Part, Reference};

fn specs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs")
}

fn load(name: &str) -> Manifest {
    Manifest::load(specs_dir().join(name)).unwrap_or_else(|d| panic!("{d}"))
}

#[test]
fn every_shipped_manifest_validates() {
    let found = paragon_manifest::discover(specs_dir());
    assert!(found.len() >= 11, "found only {} manifests", found.len());
    let results = paragon_manifest::validate_paths(&[specs_dir()]);
    assert_eq!(results.len(), found.len());
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(path, r)| {
            r.as_ref()
                .err()
                .map(|d| format!("{}:\n{d}", path.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_demo_integrations() {
    let m = load("tasklab");
    assert_eq!(
        (m.name(), m.slug().as_str()),
        ("Task Lab", "custom.tasklab")
    );
    let oauth = m.auth().oauth().expect("oauth");
    assert!(oauth.pkce());
    assert_eq!(oauth.scope(), "tasks:read tasks:write");
    assert_eq!(m.test_endpoint(), "/me");
    assert_eq!(m.api().base_url_template().as_str(), "{env.TASKLAB_URL}/v1");

    let m = load("tasklab-keys");
    assert_eq!(m.slug(), "custom.tasklabkeys");
    assert!(matches!(m.auth(), Auth::ApiKey));
    assert!(m.input("api_key").unwrap().secret());
    assert!(
        matches!(m.api().authorization(), ApiAuthorization::Headers(h) if h[0].0 == "X-Api-Key")
    );
    let m = load("tasklab-exchange");
    assert_eq!(m.slug(), "custom.tasklabsessions");
    let te = m.auth().token_exchange().expect("token exchange");
    assert_eq!(te.token_path(), "/session/token");
    assert!(m.auth().has_access_token());
    assert_eq!(m.auth().paragon_type(), "api_key");
}

#[test]
fn every_shape_is_covered() {
    let github = load("github");
    assert_eq!(github.auth().oauth().unwrap().scope(), "read:user repo");

    let slack = load("slack");
    let oauth = slack.auth().oauth().unwrap();
    assert_eq!(oauth.scope(), "channels:read,chat:write,users:read");
    assert_eq!(oauth.client_auth(), ClientAuth::Basic);

    let zendesk = load("zendesk");
    let uses_subdomain = |t: &paragon_manifest::Template| {
        t.references()
            .any(|r| *r == Reference::Input("subdomain".into()))
    };
    let oauth = zendesk.auth().oauth().unwrap();
    assert!(uses_subdomain(oauth.authorization_url_template()));
    assert!(uses_subdomain(oauth.token_url_template()));
    assert!(uses_subdomain(zendesk.api().base_url_template()));

    let salesforce = load("salesforce");
    let oauth = salesforce.auth().oauth().unwrap();
    assert!(oauth.pkce());
    assert_eq!(oauth.capture(), ["instance_url"]);
    assert_eq!(
        salesforce.api().base_url_template().parts().first(),
        Some(&Part::Ref(Reference::Credential("instance_url".into())))
    );

    let stripe = load("stripe");
    assert!(matches!(stripe.auth(), Auth::ApiKey));
    assert!(
        matches!(stripe.api().authorization(), ApiAuthorization::Bearer { token } if token.as_str() == "{input.api_key}")
    );

    let freshdesk = load("freshdesk");
    assert!(
        matches!(freshdesk.api().authorization(), ApiAuthorization::Basic { username, .. } if username.as_str() == "{input.api_key}")
    );

    let postmark = load("postmark");
    assert!(
        matches!(postmark.api().authorization(), ApiAuthorization::Headers(h) if h[0].0 == "X-Postmark-Server-Token")
    );

    let trello = load("trello");
    assert!(matches!(trello.api().authorization(), ApiAuthorization::Query(p) if p.len() == 2));

    let graph = load("microsoft-graph");
    let cc = graph
        .auth()
        .client_credentials()
        .expect("client credentials");
    assert_eq!(cc.scope(), "https://graph.microsoft.com/.default");
    assert_eq!(graph.auth().paragon_type(), "oauth_client_credential");
}

#[test]
fn icons_are_svg_documents() {
    for file in paragon_manifest::discover(specs_dir()) {
        let m = Manifest::load(&file).unwrap();
        assert!(m.icon_svg().contains("<svg"), "{}", file.display());
        assert_eq!(
            m.icon_path(),
            Some(file.with_file_name("icon.svg").as_path())
        );
    }
}
