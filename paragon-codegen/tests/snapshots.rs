//! Snapshot tests: the generated code for one small spec per construct, reviewed as a diff.
//!
//! Each spec's output is also kept in `tests/generated/<name>.rs`, which `tests/compile.rs`
//! compiles against `paragon-sdk`. Update both with `INSTA_UPDATE=always UPDATE_GENERATED=1
//! cargo test -p paragon-codegen --test snapshots`, then review the diff.

use paragon_codegen::Generator;
use std::path::{Path, PathBuf};

fn spec(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(name)
}

fn check(file: &str, name: &str) {
    check_with(file, name, false)
}

fn check_with(file: &str, name: &str, all_schemas: bool) {
    let generator = Generator::from_spec(spec(file), name).all_schemas(all_schemas);
    let generated = generator
        .render()
        .unwrap_or_else(|e| panic!("{file} does not generate:\n{e}"));
    let again = generator.render().unwrap();
    assert_eq!(
        generated.source, again.source,
        "output is not deterministic"
    );
    let module = file.split(['.', '/']).next().unwrap();
    let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/generated/{module}.rs"));
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&kept, &generated.source).unwrap();
    } else {
        let old = std::fs::read_to_string(&kept).unwrap_or_default();
        assert!(
            old == generated.source,
            "{} is stale: rerun with UPDATE_GENERATED=1",
            kept.display()
        );
    }
    insta::assert_snapshot!(module, generated.source);
}

#[test]
fn basic_operations() {
    check("basic.yaml", "Basic");
}

#[test]
fn objects_keywords_docs_maps() {
    check("objects.yaml", "Objects");
}

#[test]
fn string_enums() {
    check("enums.yaml", "Enums");
}

#[test]
fn unions_and_all_of() {
    check("unions.yaml", "Unions");
}

#[test]
fn all_of_members_refine_each_other() {
    check_with("allof.yaml", "Bookings", true);
}

#[test]
fn path_and_operation_servers() {
    check("servers.yaml", "Servers");
}

#[test]
fn responses_with_status_and_headers() {
    check("responses.yaml", "Responses");
}

#[test]
fn pagination_streams() {
    check("pagination.yaml", "Pagination");
}

#[test]
fn request_body_ergonomics() {
    check("ergonomics.yaml", "Issues");
}

#[test]
fn recursive_types() {
    check("recursive.yaml", "Recursive");
}

#[test]
fn openapi_3_1() {
    check("openapi31.json", "OpenAPI 3.1");
}

#[test]
fn request_and_response_bodies() {
    check("bodies.yaml", "Bodies");
}

#[test]
fn inline_types_named_by_what_they_are() {
    check("names.yaml", "Names");
}

/// The `pub struct`/`pub enum`/`pub type` items of generated source, as written.
fn type_items(source: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        let t = line.trim_start();
        if ["pub struct ", "pub enum ", "pub type "]
            .iter()
            .any(|k| t.starts_with(k))
        {
            current = Some(String::new());
        }
        if let Some(item) = &mut current {
            item.push_str(t);
            item.push('\n');
            if t.ends_with(';') || t == "}" {
                items.push(current.take().unwrap());
            }
        }
    }
    items
}

#[test]
fn adding_an_operation_moves_no_other_type_name() {
    let text = std::fs::read_to_string(spec("names.yaml")).unwrap();
    // An operation that comes first in the document, uses the shared `direction` shape (its
    // name must not follow whichever operation comes first) and shapes of its own under names
    // other types have (`direction`, `confidence`).
    let added = "paths:\n  /aaa:\n    get:\n      operationId: aaa/list\n      parameters:\n        - { name: direction, in: query, schema: { type: string, enum: [asc, desc] } }\n        - { name: confidence, in: query, schema: { type: string, enum: [sure] } }\n      responses:\n        \"200\": { description: ok, content: { application/json: { schema: { type: object, properties: { direction: { type: string, enum: [left, right] } } } } } }\n";
    let dir = std::env::temp_dir().join(format!("paragon-codegen-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("names.yaml");
    std::fs::write(&path, text.replacen("paths:\n", added, 1)).unwrap();
    let before = Generator::from_spec(spec("names.yaml"), "Names")
        .render()
        .unwrap();
    let after = Generator::from_spec(&path, "Names").render().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let after_items = type_items(&after.source);
    for item in type_items(&before.source) {
        assert!(
            after_items.contains(&item),
            "adding an unrelated operation changed:\n{item}"
        );
    }
    assert!(
        after.types > before.types,
        "the added operation has types of its own"
    );
}

#[test]
fn tolerant_received_types_default_absent_required_fields() {
    let spec = spec("conformance.yaml");
    let strict = Generator::from_spec(&spec, "C").render().unwrap().source;
    let tolerant = Generator::from_spec(&spec, "C")
        .tolerant(true)
        .render()
        .unwrap()
        .source;
    let field = |source: &str, ty: &str, field: &str| {
        let start = source.find(&format!("pub struct {ty} {{")).unwrap();
        let end = start + source[start..].find(&format!("pub {field}:")).unwrap();
        let attrs = source[start..end].rsplit(',').next().unwrap_or_default();
        attrs.contains("#[serde(default)]")
    };
    // `User` is received: its required `login` decodes to "" when absent, only when tolerant.
    assert!(!field(&strict, "User", "login"));
    assert!(field(&tolerant, "User", "login"));
    // `NewUser` is only sent: nothing to tolerate.
    assert!(!field(&tolerant, "NewUser", "login"));
}

#[test]
fn name_collisions() {
    check_with("collisions.yaml", "Collisions", true);
}

#[test]
fn only_schemas_the_operations_use_by_default() {
    let used = Generator::from_spec(spec("collisions.yaml"), "C")
        .render()
        .unwrap();
    let all = Generator::from_spec(spec("collisions.yaml"), "C")
        .all_schemas(true)
        .render()
        .unwrap();
    assert_eq!((used.types, all.types), (4, 10));
    assert!(!used.source.contains("pub struct SelfValue"));
    assert!(all.source.contains("pub struct SelfValue"));
    // Names are reserved for every schema first, so they do not depend on the choice.
    assert!(used.source.contains("pub struct Option {"));
}

#[test]
fn refs_to_sibling_files() {
    check("external/root.yaml", "External");
}

#[test]
fn filters_keep_matching_operations_only() {
    let all = Generator::from_spec(spec("basic.yaml"), "Basic")
        .render()
        .unwrap();
    assert_eq!(all.operations, 4);
    let by_tag = Generator::from_spec(spec("basic.yaml"), "Basic")
        .tag("stars")
        .render()
        .unwrap();
    assert_eq!(by_tag.operations, 2);
    assert!(
        by_tag
            .source
            .contains("pub fn put_repos_owner_repo_stars_id(")
    );
    assert!(!by_tag.source.contains("pub fn repos_list_for_user("));
    let by_id = Generator::from_spec(spec("basic.yaml"), "Basic")
        .operation("repos/list-for-user")
        .render()
        .unwrap();
    assert_eq!(by_id.operations, 1);
    let by_path = Generator::from_spec(spec("basic.yaml"), "Basic")
        .path_prefix("/repos")
        .render()
        .unwrap();
    assert_eq!(by_path.operations, 2);
}

#[test]
fn build_script_writes_a_module_into_out_dir() {
    let out = std::env::temp_dir().join(format!("paragon-codegen-test-{}", std::process::id()));
    let path = Generator::from_spec(spec("basic.yaml"), "Basic")
        .out_dir(&out)
        .generate()
        .unwrap();
    assert_eq!(path, out.join("basic.rs"));
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("pub mod basic {\n"));
    let renamed = Generator::from_spec(spec("basic.yaml"), "Basic")
        .module_name("gh")
        .out_dir(&out)
        .generate()
        .unwrap();
    assert_eq!(renamed, out.join("gh.rs"));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn manifest_supplies_the_integration_name_and_test_endpoint() {
    let tasklab = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/shipped/tasklab");
    let generated = Generator::new(&tasklab).render().unwrap();
    assert!(
        generated
            .source
            .contains("pub const INTEGRATION: &str = \"custom.tasklab\";")
    );
    assert!(
        generated
            .source
            .contains("pub const TEST_ENDPOINT: &str = \"/me\";")
    );
    assert!(generated.source.contains("pub async fn test_connection("));
    assert!(
        generated
            .files
            .iter()
            .any(|f| f.ends_with("integration.toml"))
    );
    assert!(generated.files.iter().any(|f| f.ends_with("openapi.yaml")));
    assert_eq!(Generator::new(&tasklab).module(), "tasklab");
}
