//! "Did you mean": the names closest to one that was asked for and does not exist, so an error
//! says what does exist instead of only what does not.

/// The candidates nearest to `word` (fewest edits first, then by name), at most `n`.
pub(crate) fn nearest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    n: usize,
) -> Vec<&'c str> {
    let word = word.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| {
            let lower = c.to_ascii_lowercase();
            // A candidate containing the word (or contained in it) is nearer than its edit
            // distance says: `--tag repo` should offer `repos`.
            let bonus = usize::from(!(lower.contains(&word) || word.contains(&lower)));
            (
                strsim::levenshtein(&word, &lower) + bonus * word.len().max(1),
                c,
            )
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// `` `a`, `b` `` for a help line.
pub(crate) fn listed(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_names_first() {
        let tags = ["issues", "repos", "pulls", "users"];
        assert_eq!(nearest("repo", tags, 2), ["repos", "users"]);
        assert_eq!(nearest("isues", tags, 1), ["issues"]);
    }
}
