// Shared by the fuzz target and the corpus regression test
// (`paragon-manifest/tests/fuzz_corpus.rs`), which `include!` it.

/// Parses `source` as the manifest `file` (callers use `specs/tasklab/integration.toml`, so that
/// `icon = "icon.svg"` finds a real icon) and, when it is valid, renders everything.
fn exercise(source: &str, file: &std::path::Path) {
    use paragon_manifest::{AuthorizeRequest, Manifest, RenderContext};

    match Manifest::parse(source, file) {
        Err(diagnostics) => {
            let _ = diagnostics.to_string();
        }
        Ok(manifest) => {
            let _ = manifest.slug();
            let lookup = |name: &str| Some(format!("http://127.0.0.1:1/{name}"));
            let mut ctx = RenderContext::new()
                .with_secrets(&lookup)
                .access_token("token")
                .user("Email", "a@example.com");
            for (i, input) in manifest.inputs().iter().enumerate() {
                let _ = input.check(Some("value"));
                ctx = ctx.input(input.key(), format!("v{i}"));
            }
            for name in manifest.auth().capture() {
                ctx = ctx.credential(name.as_str(), "https://captured.example");
            }
            let _ = manifest.base_url(&ctx);
            let _ = manifest.test_url(&ctx);
            let _ = manifest.authorization(&ctx);
            let _ = manifest.default_headers(&ctx);
            if let Some(oauth) = manifest.auth().oauth() {
                let request = AuthorizeRequest {
                    redirect_uri: "http://127.0.0.1:2/oauth",
                    state: "s",
                    code_challenge: Some("c"),
                    nonce: None,
                };
                let _ = oauth.authorize_url(&ctx, &request);
                let _ = oauth.refresh_url(&ctx);
                let _ = oauth.token_params(&ctx);
            }
        }
    }
}
