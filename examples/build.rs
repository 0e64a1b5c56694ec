//! Generates the typed Task Lab client from `specs/tasklab` (its manifest and OpenAPI spec)
//! into `$OUT_DIR/tasklab.rs`; `src/typed_client.rs` includes it.

fn main() {
    // Build scripts run in the package folder, so the path is relative to `examples/`.
    let integration = "../specs/tasklab";
    if let Err(errors) = paragon_codegen::Generator::new(integration).generate() {
        eprintln!("{errors}");
        std::process::exit(1);
    }
}
