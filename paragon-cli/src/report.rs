//! What the CLI says when a call fails: the whole cause chain, the service it called (never the
//! query, which may hold credentials), who the call acted for, and fixes phrased as this
//! command's flags and environment variables rather than SDK calls.

use paragon_sdk::{Error, Paragon};

/// The call that failed, as the user typed it.
pub(crate) struct Failed<'a> {
    pub(crate) paragon: &'a Paragon,
    /// The Connect API path called (`/sdk/proxy/custom.tasklab/tasks`), without its query.
    pub(crate) path: String,
    /// Which service it went to.
    pub(crate) service: Service,
    /// The integration named on the command line, if any.
    pub(crate) integration: Option<&'a str>,
    /// The user acted for (`--user` or `PARAGON_USER_ID`), if known.
    pub(crate) user: Option<String>,
}

/// Paragon's services, as `PARAGON_*_URL` name them.
#[derive(Clone, Copy)]
pub(crate) enum Service {
    Api,
    Proxy,
    Events,
}

/// The message for `err`.
pub(crate) async fn explain(err: Error, call: &Failed<'_>) -> String {
    match &err {
        Error::Config { setting, message } => config(setting, message),
        Error::Transport(_) | Error::Timeout(_) => {
            format!("{}\n  calling {}", causes(&err), service_url(call))
        }
        Error::IntegrationNotEnabled(_) | Error::NotFound(_) => match call.integration {
            Some(name) => not_enabled(&err, call, name).await,
            None => err.to_string(),
        },
        _ => err.to_string(),
    }
}

/// The message for an error with no call behind it (building the client, minting a token).
pub(crate) fn plain(err: Error) -> String {
    match &err {
        Error::Config { setting, message } => config(setting, message),
        _ => causes(&err),
    }
}

/// The error and every cause under it, `: `-separated, repeats dropped.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// The URL called, without a query (query values may be credentials).
fn service_url(call: &Failed<'_>) -> String {
    let Ok(urls) = call.paragon.urls() else {
        return "(no service URL configured)".to_string();
    };
    let base = match call.service {
        Service::Api => &urls.api,
        Service::Proxy => &urls.proxy,
        Service::Events => &urls.events,
    };
    // Service URLs never carry a query (the SDK refuses one), so the base is printed whole.
    let base = base.to_string();
    let project = call.paragon.project_id().unwrap_or("<project>");
    format!(
        "{}/projects/{project}{}",
        base.trim_end_matches('/'),
        call.path
    )
}

/// "Not enabled" or "not found" for an integration: an unknown name gets the closest known
/// one; a known one gets who must connect it, and where.
async fn not_enabled(err: &Error, call: &Failed<'_>, name: &str) -> String {
    let known: Vec<String> = match call.paragon.integrations().await {
        Ok(list) => list.iter().map(|i| i.proxy_name()).collect(),
        Err(_) => Vec::new(),
    };
    if !known.is_empty() && !known.iter().any(|k| k == name) {
        let mut message = format!("no integration {name:?} in this project");
        match closest(name, &known) {
            Some(best) => message.push_str(&format!("; did you mean {best:?}?")),
            None => message.push_str(&format!(" (it has: {})", known.join(", "))),
        }
        return message;
    }
    if !matches!(err, Error::IntegrationNotEnabled(_)) {
        return err.to_string();
    }
    let user = call.user.as_deref().unwrap_or("<this token's user>");
    format!(
        "{name} is not connected for the user {user:?}: connect the account first, in {}",
        portal(call, name)
    )
}

/// Where a user connects `name`: paragon-local's Connect Portal page, or the app's own portal
/// on Paragon's cloud (which has no page of its own to link to).
fn portal(call: &Failed<'_>, name: &str) -> String {
    match call.paragon.urls() {
        Ok(urls) if !urls.api.host().unwrap_or("").ends_with("useparagon.com") => {
            format!(
                "the Connect Portal at {}/connect/{name}, opened with a single-use sign-in \
                 link minted for that user (POST /projects/<project id>/sdk/portal/codes)",
                urls.api.to_string().trim_end_matches('/')
            )
        }
        _ => format!(
            "your app's Connect Portal (paragon.connect(\"{name}\") in Paragon's frontend SDK)"
        ),
    }
}

/// The known name nearest to `name` by edit distance, if it is near enough to be a typo.
fn closest<'k>(name: &str, known: &'k [String]) -> Option<&'k str> {
    let (best, distance) = known
        .iter()
        .map(|k| (k.as_str(), strsim::levenshtein(name, k)))
        .min_by_key(|(_, d)| *d)?;
    (distance <= 3.max(name.len() / 4)).then_some(best)
}

/// A configuration problem in this command's words (flags and environment variables).
fn config(setting: &str, message: &str) -> String {
    match setting {
        "PARAGON_USER_ID" => {
            "no user to act for: pass --user <ID> or set PARAGON_USER_ID".to_string()
        }
        "PARAGON_SIGNING_KEY" => "acting for a user (--user) needs the project's signing key: \
             set PARAGON_SIGNING_KEY or PARAGON_SIGNING_KEY_FILE"
            .to_string(),
        "PARAGON_USER_TOKEN" => "no credentials: set PARAGON_USER_TOKEN, or set \
             PARAGON_SIGNING_KEY (or PARAGON_SIGNING_KEY_FILE) and pass --user <ID>"
            .to_string(),
        "PARAGON_PROJECT_ID" => "no project id: set PARAGON_PROJECT_ID".to_string(),
        _ => format!("{setting}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_integration() {
        let known = vec![
            "custom.tasklab".to_string(),
            "custom.tasklabkeys".to_string(),
            "salesforce".to_string(),
        ];
        assert_eq!(
            closest("custom.tasklab-keys", &known),
            Some("custom.tasklabkeys")
        );
        assert_eq!(closest("salesforse", &known), Some("salesforce"));
        assert_eq!(closest("hubspot", &known), None);
    }
}
