//! The Connect Portal's "configure" half, shown on the portal page below the accounts: the
//! integration's overview (Markdown rendered with pulldown-cmark, then sanitized by ammonia,
//! so no raw HTML passes), each account's settings form (`[[settings]]`, stored on the
//! credential as `config.sharedSettings` the way Paragon stores them, validated on save with
//! the message next to the field), and the integration's workflows with a toggle each
//! (`default_enabled` until the user chooses; `hidden` ones are not listed), whose own settings
//! join the account's form as `config.workflowSettings.{workflowId}`.
//!
//! An INVALID OAuth account gets a "Reconnect" button (`reconnect`), which renews it in place.
//! Every form carries the session's CSRF token, checked by `portal::posted_form`.

use crate::auth::{Access, User};
use crate::integration::Integration;
use crate::portal::{posted_form, render_page, see_other};
use crate::state::{AppState, Shared};
use crate::store::Credential;
use crate::workflows::Loaded;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use paragon_manifest::{SettingField, SettingKind};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub(crate) fn router() -> axum::Router<Shared> {
    use axum::routing::post;
    axum::Router::new()
        .route("/connect/{integration}/settings", post(save_settings))
        .route("/connect/{integration}/workflow", post(toggle_workflow))
}

/// A refused settings form: the account it was for, the message per setting key, and what
/// the user typed (shown again, so nothing typed is lost).
#[derive(Default)]
pub(crate) struct FormErrors {
    credential: String,
    fields: BTreeMap<String, String>,
    typed: HashMap<String, String>,
}

/// The form field name of a setting, or of one entry of a field mapping.
fn field_name(key: &str, entry: Option<&str>) -> String {
    match entry {
        Some(e) => format!("s.{key}.{e}"),
        None => format!("s.{key}"),
    }
}

/// The configure part of the portal page for the signed-in `user`.
pub(crate) async fn section(
    app: &AppState,
    integration: &Integration,
    user: &User,
    accounts: &[Credential],
    base: &str,
    csrf: &str,
    errors: &FormErrors,
) -> Markup {
    let m = &integration.manifest;
    let states =
        crate::workflows::store::user_states(&app.store, &user.project_id, &user.user_id).await;
    let workflows = listed(app, integration);
    let oauth = matches!(m.auth(), paragon_manifest::Auth::OAuth(_));
    let invalid: Vec<&Credential> = accounts
        .iter()
        .filter(|c| oauth && c.status == crate::store::Status::Invalid)
        .collect();
    html! {
        @for c in invalid {
            form class="reconnect" method="post" action={ (base) "/reconnect" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="credential" value=(c.id);
                "Account " (c.id) " needs reconnecting. "
                button type="submit" { "Reconnect account " (c.id) }
            }
        }
        @if let Some(md) = m.overview() {
            section class="overview" { h2 { "Overview" } (overview(md)) }
        }
        @if !m.settings().is_empty() || workflows.iter().any(|w| !w.wf.settings().is_empty()) {
            @for c in accounts {
                (settings_form(m.settings(), &workflows, c, base, csrf, errors))
            }
        }
        @match states {
            Ok(states) => (workflow_list(app, integration, &states, base, csrf)),
            Err(e) => p class="error" { "Workflows are unavailable: " (e) },
        }
    }
}

/// Markdown to HTML with every raw HTML tag, event handler and script URL removed.
pub(crate) fn overview(markdown: &str) -> Markup {
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(markdown));
    PreEscaped(ammonia::clean(&out))
}

/// The integration's workflows the end user sees (not `hidden`), in load order.
fn listed<'a>(app: &'a AppState, integration: &Integration) -> Vec<&'a Arc<Loaded>> {
    app.workflows
        .workflows
        .iter()
        .filter(|w| w.wf.integration() == integration.slug && !w.wf.hidden())
        .collect()
}

/// The form field name of a workflow's own setting.
fn workflow_field(workflow_id: &str, key: &str) -> String {
    format!("w.{workflow_id}.{key}")
}

fn settings_form(
    fields: &[SettingField],
    workflows: &[&Arc<Loaded>],
    c: &Credential,
    base: &str,
    csrf: &str,
    errors: &FormErrors,
) -> Markup {
    let stored = c
        .config
        .get("sharedSettings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let refused = (errors.credential == c.id).then_some(errors);
    html! {
        section class="settings" {
            h2 { "Settings for account " (c.id) }
            form method="post" action={ (base) "/settings" } {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="credential" value=(c.id);
                @for f in fields { (setting_input(f, &stored, refused)) }
                @for w in workflows.iter().filter(|w| !w.wf.settings().is_empty()) {
                    fieldset class="workflow-settings" {
                        legend { (w.wf.name()) }
                        @for s in w.wf.settings() {
                            (workflow_setting_input(w, s, c, refused))
                        }
                    }
                }
                p { button type="submit" { "Save settings" } }
            }
        }
    }
}

/// The text to show in a field: what the user just typed, else what is stored, else the
/// default.
fn shown(
    f: &SettingField,
    entry: Option<&str>,
    stored: &Map<String, Value>,
    refused: Option<&FormErrors>,
) -> String {
    if let Some(typed) = refused.and_then(|e| e.typed.get(&field_name(f.key(), entry))) {
        return typed.clone();
    }
    let value = stored
        .get(f.key())
        .cloned()
        .or_else(|| f.default_value().map(crate::settings::to_json));
    let value = match (value, entry) {
        (Some(Value::Object(m)), Some(e)) => m.get(e).cloned(),
        (v, None) => v,
        _ => None,
    };
    match value {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn setting_input(
    f: &SettingField,
    stored: &Map<String, Value>,
    refused: Option<&FormErrors>,
) -> Markup {
    let name = field_name(f.key(), None);
    let error = refused.and_then(|e| e.fields.get(f.key()));
    let value = shown(f, None, stored, refused);
    html! {
        div class="setting" {
            @match f.kind() {
                SettingKind::Boolean => label {
                    input type="checkbox" name=(name) value="true" checked[value == "true"];
                    " " (f.label())
                },
                SettingKind::Select { options } => {
                    label for=(name) { (f.label()) }
                    select id=(name) name=(name) {
                        @if !f.required() { option value="" { "—" } }
                        @for o in options { option selected[*o == value] { (o) } }
                    }
                },
                SettingKind::FieldMapping { fields } => fieldset {
                    legend { (f.label()) }
                    @for entry in fields {
                        @let entry_name = field_name(f.key(), Some(entry));
                        label for=(entry_name) { (entry) }
                        input id=(entry_name) name=(entry_name) type="text"
                            value=(shown(f, Some(entry), stored, refused));
                    }
                },
                kind => {
                    @let ty = match kind {
                        SettingKind::Number => "number",
                        SettingKind::Url => "url",
                        _ => "text",
                    };
                    label for=(name) { (f.label()) }
                    input id=(name) name=(name) type=(ty) value=(value) autocomplete="off"
                        step=[(ty == "number").then_some("any")]
                        aria-invalid=[error.map(|_| "true")];
                }
            }
            @if let Some(e) = error { p class="field-error" role="alert" { (e) } }
            @if let Some(help) = f.help() { small { (help) } }
        }
    }
}

fn workflow_setting_input(
    w: &Loaded,
    s: &paragon_manifest::workflow::Setting,
    c: &Credential,
    refused: Option<&FormErrors>,
) -> Markup {
    let name = workflow_field(&w.id, &s.key);
    let value = match refused.and_then(|e| e.typed.get(&name)) {
        Some(typed) => typed.clone(),
        None => c
            .config
            .pointer(&format!("/workflowSettings/{}/{}", w.id, s.key))
            .and_then(Value::as_str)
            .or(s.default.as_deref())
            .unwrap_or_default()
            .to_owned(),
    };
    let error = refused.and_then(|e| e.fields.get(&name));
    html! {
        div class="setting" {
            label for=(name) { (s.label) }
            input id=(name) name=(name) type="text" value=(value) autocomplete="off"
                aria-invalid=[error.map(|_| "true")];
            @if let Some(e) = error { p class="field-error" role="alert" { (e) } }
        }
    }
}

/// Reads the workflows' own settings from the form into `config.workflowSettings`
/// (`{workflowId: {key: text}}`, where the engine reads them), or the message per field.
fn workflow_settings(
    workflows: &[&Arc<Loaded>],
    form: &HashMap<String, String>,
    stored: &mut Map<String, Value>,
    errors: &mut BTreeMap<String, String>,
) {
    for w in workflows {
        let mut mine = stored
            .get(&w.id)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for s in w.wf.settings() {
            let name = workflow_field(&w.id, &s.key);
            let value = form.get(&name).map(|v| v.trim()).filter(|v| !v.is_empty());
            match value {
                Some(v) if v.chars().any(char::is_control) => {
                    let why = format!("`{}` must not contain control characters", s.label);
                    errors.insert(name, why);
                }
                Some(v) => {
                    mine.insert(s.key.clone(), Value::String(v.to_owned()));
                }
                None if s.required && s.default.is_none() => {
                    errors.insert(name, format!("`{}` is required", s.label));
                }
                None => {
                    mine.remove(&s.key);
                }
            }
        }
        stored.insert(w.id.clone(), Value::Object(mine));
    }
}

fn workflow_list(
    app: &AppState,
    integration: &Integration,
    states: &[(String, bool)],
    base: &str,
    csrf: &str,
) -> Markup {
    let listed = listed(app, integration);
    html! {
        @if !listed.is_empty() {
            section class="workflows" {
                h2 { "Workflows" }
                ul {
                    @for w in listed {
                        @let on = crate::workflows::triggers::enabled(w, states);
                        li {
                            strong { (w.wf.name()) } " — " (if on { "On" } else { "Off" })
                            @if !w.wf.description().is_empty() { br; (w.wf.description()) }
                            form class="inline" method="post" action={ (base) "/workflow" } {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="workflow" value=(w.id);
                                input type="hidden" name="enabled" value=(!on);
                                " " button type="submit" class="secondary" {
                                    (if on { "Turn off" } else { "Turn on" }) " " (w.wf.name())
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /connect/{integration}/settings`: validates every setting of the form and stores
/// them on the credential's `config.sharedSettings`; a refused form stores nothing and shows
/// each message next to its field.
async fn save_settings(
    State(app): State<Shared>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (integration, session) = match posted_form(&app, &slug, &headers, &form) {
        Ok(signed) => signed,
        Err(r) => return *r,
    };
    let user = &session.user;
    let id = form.get("credential").cloned().unwrap_or_default();
    let credential = match app
        .store
        .get_credential(&user.project_id, &user.user_id, &id)
        .await
    {
        Ok(Some(c))
            if c.integration == integration.slug
                && user
                    .check(&c.integration, Some(&c.id), Access::Write)
                    .is_ok() =>
        {
            c
        }
        _ => return not_found(&app, &session, &integration, &id).await,
    };
    let mut shared = credential
        .config
        .get("sharedSettings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut errors = FormErrors {
        credential: id.clone(),
        ..FormErrors::default()
    };
    for f in integration.manifest.settings() {
        let raw = |entry: Option<&str>| form.get(&field_name(f.key(), entry)).map(String::as_str);
        match f.parse_value(raw) {
            Ok(Some(v)) => {
                shared.insert(f.key().to_owned(), crate::settings::to_json(&v));
            }
            Ok(None) => {
                shared.remove(f.key());
            }
            Err(e) => {
                errors.fields.insert(f.key().to_owned(), e.to_string());
            }
        }
    }
    let mut per_workflow = credential
        .config
        .get("workflowSettings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let workflows = listed(&app, &integration);
    workflow_settings(&workflows, &form, &mut per_workflow, &mut errors.fields);
    if !errors.fields.is_empty() {
        errors.typed = form
            .into_iter()
            .filter(|(k, _)| k.starts_with("s.") || k.starts_with("w."))
            .collect();
        let notice = crate::html::Notice::Error("The settings were not saved: see below.".into());
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_page(&app, &session, &integration, notice, status, &errors).await;
    }
    let mut config = match credential.config {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    config.insert("sharedSettings".into(), Value::Object(shared));
    config.insert("workflowSettings".into(), Value::Object(per_workflow));
    let saved = app
        .store
        .update_config(&user.project_id, &user.user_id, &id, &Value::Object(config))
        .await;
    match saved {
        Ok(true) => see_other(&crate::session::page_path(&app, &integration)),
        Ok(false) => not_found(&app, &session, &integration, &id).await,
        Err(e) => crate::html::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Store error",
            &e.to_string(),
            Some(&user.user_id),
        ),
    }
}

async fn not_found(
    app: &AppState,
    session: &crate::session::Session,
    integration: &Integration,
    id: &str,
) -> Response {
    let notice = crate::html::Notice::Error(format!("No account {id:?} to configure."));
    let errors = FormErrors::default();
    render_page(
        app,
        session,
        integration,
        notice,
        StatusCode::NOT_FOUND,
        &errors,
    )
    .await
}

/// `POST /connect/{integration}/workflow`: turns one of the integration's listed workflows on
/// or off for the signed-in user, as `POST`/`DELETE /sdk/workflows/{id}` do.
async fn toggle_workflow(
    State(app): State<Shared>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (integration, session) = match posted_form(&app, &slug, &headers, &form) {
        Ok(signed) => signed,
        Err(r) => return *r,
    };
    let user = &session.user;
    let id = form.get("workflow").map(String::as_str).unwrap_or("");
    let listed = app
        .workflows
        .find(id)
        .is_some_and(|w| w.wf.integration() == integration.slug && !w.wf.hidden());
    let refused = if !listed {
        Some((
            StatusCode::NOT_FOUND,
            format!("No workflow {id:?} to turn on or off."),
        ))
    } else if let Err(e) = user.check_user_wide(Access::Write) {
        Some((StatusCode::FORBIDDEN, e.message().to_owned()))
    } else {
        None
    };
    if let Some((status, message)) = refused {
        let notice = crate::html::Notice::Error(message);
        return render_page(
            &app,
            &session,
            &integration,
            notice,
            status,
            &FormErrors::default(),
        )
        .await;
    }
    let on = form.get("enabled").is_some_and(|v| v == "true");
    match app
        .store
        .set_workflow(&user.project_id, &user.user_id, id, on)
        .await
    {
        Ok(()) => see_other(&crate::session::page_path(&app, &integration)),
        Err(e) => crate::html::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Store error",
            &e.to_string(),
            Some(&user.user_id),
        ),
    }
}
