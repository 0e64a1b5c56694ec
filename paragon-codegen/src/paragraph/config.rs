//! `src/integrations/custom.<slug>/config.ts`: the custom integration's fields (basic info,
//! authentication, API setup) and the Connect Portal's workflow order. What the manifest says
//! that Paragon's custom integration form has no field for is refused at its position.

use super::{Refusals, ts};
use paragon_manifest::{
    ApiAuthorization, Auth, ClientAuth, Encoding, ExpiresInUnit, Manifest, TokenGrant,
};

/// Manifest templates as the dashboard writes variables: `{input.api_key}` →
/// `{{input.api_key}}`.
fn variables(template: &str) -> String {
    template.replace('{', "{{").replace('}', "}}")
}

/// Refuses what Paragon's form cannot hold, each at its key in `integration.toml`.
fn refuse_unsupported(m: &Manifest, refusals: &mut Refusals) {
    let oauth = m.auth().oauth();
    let mut refuse = |table: &str, key: &str, what: &str| {
        let message = format!("{what}: Paragon's custom integrations have no field for it");
        refusals.at_key(m.file(), table, key, message);
    };
    if let Auth::TokenExchange(_) = m.auth() {
        refuse(
            "auth",
            "type",
            "`type = \"token_exchange\"` (an API key exchanged for session tokens)",
        );
    }
    if let Some(o) = oauth {
        if o.token_encoding() != Encoding::Form {
            refuse(
                "auth",
                "token_encoding",
                "token requests encoded as JSON or in the query",
            );
        }
        if !o.callback_capture().is_empty() {
            refuse(
                "auth",
                "callback_capture",
                "values captured from the OAuth redirect",
            );
        }
        if o.callback_code() != "code" {
            refuse(
                "auth",
                "callback_code",
                "a renamed OAuth redirect code parameter",
            );
        }
        if o.authorization_param_name("client_id") != "client_id"
            || o.authorization_param_name("redirect_uri") != "redirect_uri"
        {
            refuse(
                "auth",
                "authorization_param_names",
                "renamed authorization URL parameters",
            );
        }
        if o.authorization_url_template().as_str().contains('#') {
            // Paragon would put its query before the `#`, where the app's page never looks.
            refuse(
                "auth",
                "authorization_url",
                "an authorization URL routed by its fragment (a single-page app)",
            );
        }
        for table in o.conditional_params() {
            refuse(
                "auth",
                table,
                "parameters with alternatives or left out without a value",
            );
        }
        if o.nonce_param().is_some() {
            refuse(
                "auth",
                "authorization_nonce",
                "a fresh random value on the authorization URL",
            );
        }
        if o.response_type() != "code" {
            refuse(
                "auth",
                "response_type",
                "another authorization response type than `code`",
            );
        }
        if o.has_refresh_params() {
            refuse("auth", "refresh_params", "parameters sent on refresh only");
        }
        if o.registration().is_some() {
            refuse(
                "auth",
                "registration_url",
                "an OAuth client registered when a user connects (RFC 7591)",
            );
        }
    }
    refuse_token_reading(m, &mut refuse);
    if m.auth().provider_id_path().is_some() {
        refuse(
            "auth",
            "provider_id",
            "the account id read from the token response",
        );
    }
    let client_auth = match m.auth() {
        Auth::OAuth(o) => Some(o.client_auth()),
        Auth::ClientCredentials(c) => Some(c.client_auth()),
        _ => None,
    };
    if let Auth::ClientCredentials(c) = m.auth()
        && c.has_conditional_params()
    {
        refuse(
            "auth",
            "token_params",
            "parameters with alternatives or left out without a value",
        );
    }
    if let Auth::ClientCredentials(c) = m.auth()
        && !matches!(c.grant(), TokenGrant::ClientCredentials)
    {
        refuse("auth", "grant", "a password or pasted-refresh-token grant");
    }
    if client_auth == Some(ClientAuth::PrivateKeyJwt) {
        refuse(
            "auth",
            "client_auth",
            "client authentication by signed assertion (`private_key_jwt`)",
        );
    }
    if !m.after_connect().is_empty() {
        refuse(
            "auth",
            "after_connect",
            "values read from the API after connecting",
        );
    }
    if m.api().base_url_alternatives().count() > 1 {
        refuse("api", "base_url", "fallback alternatives for the base URL");
    }
    for key in alternative_auth_urls(m) {
        refuse("auth", key, "fallback alternatives for an OAuth URL");
    }
    if !m.api().headers().is_empty() {
        refuse("api", "headers", "default headers on every request");
    }
}

/// Refuses the credential's placements Paragon's API authorization has no field for: several
/// at once, a JSON body member, a Basic pair under another scheme or header. Each at its key
/// of an `[api.authorization]` table, or at an inline `authorization`.
fn refuse_placements(m: &Manifest, refusals: &mut Refusals) {
    let api = m.api();
    let table = std::fs::read_to_string(m.file())
        .is_ok_and(|s| s.lines().any(|l| l.trim() == "[api.authorization]"));
    let mut refuse = |key: &str, what: &str| {
        let message = format!("{what}: Paragon's custom integrations have no field for it");
        match table {
            true => refusals.at_key(m.file(), "api.authorization", key, message),
            false => refusals.at_key(m.file(), "api", "authorization", message),
        }
    };
    for also in api.authorizations().skip(1) {
        let key = if matches!(also, ApiAuthorization::Body(_)) {
            "body"
        } else {
            "params"
        };
        refuse(
            key,
            &format!("the credential also in `{key}`, beside `type`"),
        );
    }
    match api.authorization() {
        ApiAuthorization::Body(_) => refuse("type", "the credential in every request body"),
        ApiAuthorization::Basic { scheme, header, .. } => {
            if scheme != "Basic" {
                refuse("scheme", "a Basic pair under another scheme");
            }
            if !header.eq_ignore_ascii_case("authorization") {
                refuse("header", "a Basic pair in another header");
            }
        }
        _ => {}
    }
}

/// How the token response is read, beyond Paragon's form: the token at another place, values
/// inside its objects, a lifetime in milliseconds.
fn refuse_token_reading(m: &Manifest, refuse: &mut impl FnMut(&str, &str, &str)) {
    if m.auth().alternate_token_path().is_some() {
        refuse(
            "auth",
            "alternate_token_path",
            "the access token read at another place of the token response",
        );
    }
    if m.auth()
        .capture_at()
        .iter()
        .any(|(n, p)| *p != format!("/{n}"))
    {
        refuse(
            "auth",
            "capture",
            "values captured inside the token response's objects",
        );
    }
    if let Auth::ClientCredentials(c) = m.auth()
        && c.expires_in_unit() != ExpiresInUnit::Seconds
    {
        refuse(
            "auth",
            "expires_in_unit",
            "a token lifetime in milliseconds",
        );
    }
}

/// The `[auth]` URLs written as alternatives (`token_url = [a, b]`).
fn alternative_auth_urls(m: &Manifest) -> Vec<&'static str> {
    let counts = match m.auth() {
        Auth::OAuth(o) => vec![
            (
                "authorization_url",
                o.authorization_url_alternatives().len(),
            ),
            ("token_url", o.token_url_alternatives().len()),
            (
                "refresh_url",
                o.refresh_url_alternatives().map_or(1, <[_]>::len),
            ),
        ],
        Auth::ClientCredentials(c) => vec![("token_url", c.token_url_alternatives().len())],
        _ => Vec::new(),
    };
    counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect()
}

fn authorization(a: &ApiAuthorization) -> String {
    let pairs = |list: &[(String, paragon_manifest::Template)]| {
        list.iter()
            .map(|(k, v)| format!("{}: {}", ts::key(k), ts::string(&variables(&v.to_string()))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match a {
        ApiAuthorization::Bearer { token } => {
            format!(
                "{{ type: 'bearer', token: {} }}",
                ts::string(&variables(&token.to_string()))
            )
        }
        ApiAuthorization::Basic {
            username, password, ..
        } => format!(
            "{{ type: 'basic', username: {}, password: {} }}",
            ts::string(&variables(&username.to_string())),
            ts::string(&variables(&password.to_string()))
        ),
        ApiAuthorization::Headers(h) => {
            format!("{{ type: 'headers', headers: {{ {} }} }}", pairs(h))
        }
        ApiAuthorization::Query(q) => format!("{{ type: 'query', params: {{ {} }} }}", pairs(q)),
        _ => "{ type: 'none' }".to_owned(),
    }
}

/// The text of `config.ts`, with imports of the integration's workflow classes
/// (`(variable, module)`), in display order.
pub(crate) fn config_ts(
    m: &Manifest,
    workflows: &[(String, String)],
    refusals: &mut Refusals,
) -> String {
    refuse_unsupported(m, refusals);
    refuse_placements(m, refusals);
    let mut out =
        String::from("import { ICustomIntegrationConfig } from '@useparagon/core/integration';\n");
    for (var, module) in workflows {
        out.push_str(&format!("import {var} from './workflows/{module}';\n"));
    }
    out.push_str("\n/**\n * The custom integration, exported from its integration.toml by paragon-codegen.\n */\n");
    out.push_str("const config: ICustomIntegrationConfig = {\n");
    let mut field = |name: &str, value: String| out.push_str(&format!("  {name}: {value},\n"));
    field("name", ts::string(m.name()));
    field("description", ts::string(m.description()));
    field("accentColor", ts::string(m.color()));
    field("icon", ts::string(m.icon_svg().trim()));
    field("authenticationType", ts::string(m.auth().paragon_type()));
    let scopes = |s: &[String]| {
        format!(
            "[{}]",
            s.iter()
                .map(|s| ts::string(s))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let placement = |c: ClientAuth| {
        ts::string(if c == ClientAuth::Basic {
            "header"
        } else {
            "body"
        })
    };
    if let Some(o) = m.auth().oauth() {
        field(
            "authorizationUrl",
            ts::string(&variables(&o.authorization_url_template().to_string())),
        );
        field(
            "accessTokenUrl",
            ts::string(&variables(&o.token_url_template().to_string())),
        );
        if let Some(refresh) = o.refresh_url_template() {
            field("refreshUrl", ts::string(&variables(&refresh.to_string())));
        }
        field("scopes", scopes(o.scopes()));
        field("clientCredentialPlacement", placement(o.client_auth()));
        field("pkce", o.pkce().to_string());
    }
    if let Some(c) = m.auth().client_credentials() {
        field(
            "accessTokenUrl",
            ts::string(&variables(&c.token_url_template().to_string())),
        );
        field("scopes", scopes(c.scopes()));
        field("clientCredentialPlacement", placement(c.client_auth()));
    }
    if !m.inputs().is_empty() {
        let inputs: Vec<String> = m
            .inputs()
            .iter()
            .map(|i| {
                format!(
                    "{{ key: {}, label: {}, type: {}, required: {} }}",
                    ts::string(i.key()),
                    ts::string(i.label()),
                    ts::string(i.kind().as_str()),
                    i.required()
                )
            })
            .collect();
        field(
            "userInputs",
            format!("[\n    {},\n  ]", inputs.join(",\n    ")),
        );
    }
    field(
        "apiBaseUrl",
        ts::string(&variables(&m.api().base_url_template().to_string())),
    );
    field("testEndpointPath", ts::string(m.test_endpoint()));
    field("apiAuthorization", authorization(m.api().authorization()));
    let order: Vec<&str> = workflows.iter().map(|(v, _)| v.as_str()).collect();
    field("workflowDisplayOrder", format!("[{}]", order.join(", ")));
    out.push_str("};\n\nexport default config;\n");
    out
}
