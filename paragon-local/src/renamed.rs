//! Credentials whose integration no loaded manifest has: the trace of a renamed integration.
//!
//! Paragon fixes an integration's slug when it is created; a manifest without `slug` derives it
//! from the name, so renaming such a manifest moves it to a new slug and its users' credentials
//! stay behind under the old one, unreachable. The server cannot tell a rename from a removal,
//! so it does not move anything: it says so at start, naming the manifest it suspects and the
//! line that keeps the credentials (`slug = "old"`).

use crate::integration::Integrations;
use crate::store::{Store, StoreError};

/// Credentials stored under a slug no loaded manifest has.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Orphaned {
    /// The stored slug, `custom.old`.
    pub slug: String,
    /// How many credentials of the project it holds.
    pub credentials: i64,
    /// The loaded integration that is most likely the renamed one: its slug is still derived
    /// from its name, it has no credentials yet, and its slug is the closest to the stored one.
    pub renamed_to: Option<(String, String)>,
}

impl Orphaned {
    /// What the developer reads: what is wrong, and the line that fixes it.
    pub(crate) fn message(&self) -> String {
        let bare = self.slug.strip_prefix("custom.").unwrap_or(&self.slug);
        let count = match self.credentials {
            1 => "1 credential".to_owned(),
            n => format!("{n} credentials"),
        };
        let fix = match &self.renamed_to {
            Some((name, slug)) => format!(
                "if \"{name}\" (now `{slug}`) was renamed from it, write `slug = \"{bare}\"` \
                 in its manifest to keep them"
            ),
            None => format!(
                "if an integration was renamed, write `slug = \"{bare}\"` in its manifest to \
                 keep them"
            ),
        };
        format!(
            "the store holds {count} of `{}`, which no loaded manifest has, so its users \
             cannot use them: {fix} (a manifest without `slug` takes it from its name)",
            self.slug
        )
    }
}

/// The project's credentials under slugs that `integrations` lacks.
pub(crate) async fn orphaned(
    store: &Store,
    project: &str,
    integrations: &Integrations,
) -> Result<Vec<Orphaned>, StoreError> {
    let in_use = store.integrations_in_use(project).await?;
    let loaded: Vec<(&str, &str)> = integrations
        .iter()
        .map(|i| (i.slug.as_str(), i.manifest.name()))
        .collect();
    // A renamed integration: its slug is derived from its (new) name and it has no
    // credentials yet, since its users' credentials are under the old slug.
    let candidates: Vec<(&str, &str)> = loaded
        .iter()
        .copied()
        .filter(|(slug, name)| {
            *slug == paragon_manifest::slug(name) && !in_use.iter().any(|(s, _)| s == slug)
        })
        .collect();
    Ok(in_use
        .into_iter()
        .filter(|(slug, _)| !loaded.iter().any(|(s, _)| s == slug))
        .map(|(slug, credentials)| {
            let renamed_to =
                closest(&slug, &candidates).map(|(s, name)| (name.to_owned(), s.to_owned()));
            Orphaned {
                slug,
                credentials,
                renamed_to,
            }
        })
        .collect())
}

/// The candidate whose slug is nearest `slug`, if it is near enough to be a rename (at most
/// half of the longer slug's characters differ).
fn closest<'a>(slug: &str, candidates: &[(&'a str, &'a str)]) -> Option<(&'a str, &'a str)> {
    let bare = |s: &str| s.strip_prefix("custom.").unwrap_or(s).to_owned();
    let wanted = bare(slug);
    candidates
        .iter()
        .map(|&(s, name)| (strsim::levenshtein(&wanted, &bare(s)), s, name))
        .filter(|&(d, s, _)| 2 * d <= wanted.len().max(bare(s).len()))
        .min_by_key(|&(d, s, _)| (d, s))
        .map(|(_, s, name)| (s, name))
}

/// Logs one warning per orphaned slug (a store error is logged too: this check never stops
/// the server).
pub(crate) async fn warn(store: &Store, project: &str, integrations: &Integrations) {
    match orphaned(store, project, integrations).await {
        Ok(found) => {
            for o in found {
                tracing::warn!(integration = %o.slug, credentials = o.credentials, "{}", o.message());
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot list the integrations the store holds"),
    }
}
