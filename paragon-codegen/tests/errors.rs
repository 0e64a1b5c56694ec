//! Bad input: every problem is a compiler-style diagnostic naming where it is, never a panic.

use paragon_codegen::Generator;
use std::path::PathBuf;

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("paragon-codegen-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn error_text(path: &PathBuf) -> String {
    Generator::from_spec(path, "Bad")
        .render()
        .unwrap_err()
        .to_string()
}

#[test]
fn malformed_json_reports_line_and_column() {
    let path = write(
        "bad.json",
        "{\n  \"openapi\": \"3.0.0\",\n  \"paths\": {,}\n}\n",
    );
    let text = error_text(&path);
    assert!(
        text.starts_with("error: invalid JSON: key must be a string"),
        "{text}"
    );
    assert!(
        text.contains(&format!("--> {}:3:13", path.display())),
        "{text}"
    );
}

#[test]
fn malformed_yaml_reports_line_and_column() {
    let path = write(
        "bad.yaml",
        "openapi: 3.0.0\npaths:\n  /a:\n    get: [unclosed\n",
    );
    let text = error_text(&path);
    assert!(text.starts_with("error: invalid YAML"), "{text}");
    assert!(
        text.contains(&format!("--> {}:5:1", path.display())),
        "{text}"
    );
}

fn warnings_of(path: &PathBuf) -> (String, String) {
    let generated = Generator::from_spec(path, "Dangling")
        .all_schemas(true)
        .render()
        .unwrap_or_else(|e| panic!("a dangling $ref must not fail generation:\n{e}"));
    (generated.warnings_text(), generated.source)
}

#[test]
fn dangling_ref_warns_at_the_ref_with_the_nearest_name_and_generates_the_rest() {
    let path = write(
        "dangling.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Booking: { type: object, properties: { id: { type: string } } }\n    A: { type: object, properties: { b: { $ref: '#/components/schemas/Bookng' } } }\n",
    );
    let (text, source) = warnings_of(&path);
    assert!(
        text.starts_with("warning: unresolvable $ref `#/components/schemas/Bookng`"),
        "{text}"
    );
    assert!(
        text.contains(&format!("--> {}:7:43", path.display())),
        "{text}"
    );
    assert!(
        text.contains("help: did you mean `#/components/schemas/Booking`?"),
        "{text}"
    );
    // The rest generates; the field is untyped JSON, with the reason at the field.
    assert!(source.contains("pub struct Booking"), "{source}");
    assert!(
        source.contains("Untyped: `$ref` `#/components/schemas/Bookng` does not resolve"),
        "{source}"
    );
    assert!(
        source
            .contains("pub b: ::std::option::Option<::paragon_sdk::__private::serde_json::Value>"),
        "{source}"
    );
}

#[test]
fn missing_sibling_file_warns_naming_the_file_that_refers_to_it() {
    let path = write(
        "sibling.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: { $ref: 'nowhere.yaml#/components/schemas/A' }\n    B: { type: object, properties: { n: { type: integer } } }\n",
    );
    let (text, source) = warnings_of(&path);
    assert!(
        text.contains("warning: $ref `nowhere.yaml#/components/schemas/A` names"),
        "{text}"
    );
    assert!(text.contains("which does not exist"), "{text}");
    assert!(
        text.contains(&format!("--> {}:6:10", path.display())),
        "{text}"
    );
    assert!(source.contains("pub struct B"), "{source}");
    assert!(
        source.contains("does not resolve, so this is any JSON value"),
        "{source}"
    );
}

#[test]
fn unresolvable_pointer_in_a_sibling_file() {
    write(
        "other.yaml",
        "components:\n  schemas:\n    Pet: { type: object, properties: { name: { type: string } } }\n",
    );
    let path = write(
        "uses-other.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: { $ref: 'other.yaml#/components/schemas/Pets' }\n",
    );
    let (text, _) = warnings_of(&path);
    assert!(
        text.contains(&format!("--> {}:6:10", path.display())),
        "{text}"
    );
    assert!(
        text.contains("help: did you mean `other.yaml#/components/schemas/Pet`?"),
        "{text}"
    );
}

#[test]
fn duplicate_operation_ids_warn_and_say_the_new_name() {
    let path = write(
        "dupes.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get: { operationId: list, responses: { '204': { description: x } } }\n  /b:\n    get: { operationId: list, responses: { '204': { description: x } } }\n",
    );
    let generated = Generator::from_spec(&path, "Dupes").render().unwrap();
    let text = generated.warnings_text();
    assert!(
        text.contains(
            "warning: operationId `list` is also used by GET /a; this operation is `list_2`"
        ),
        "{text}"
    );
    assert!(text.contains("paths./b.get.operationId"), "{text}");
    assert!(
        generated
            .source
            .contains("Renamed to `list_2`: `GET /a` already has operationId `list`."),
        "{}",
        generated.source
    );
}

#[test]
fn not_an_openapi_document() {
    let text = error_text(&write("list.json", "[1, 2]"));
    assert!(text.contains("not an OpenAPI document"), "{text}");
    let text = error_text(&write(
        "swagger.json",
        "{\"swagger\": \"2.0\", \"paths\": {}}",
    ));
    assert!(text.contains("Swagger \"2.0\" is not supported"), "{text}");
}

#[test]
fn manifest_errors_are_the_validators() {
    let dir = std::env::temp_dir().join(format!("paragon-codegen-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("integration.toml"),
        "name = \"Demo\"\ncolor = \"blue\"\n",
    )
    .unwrap();
    let text = Generator::new(&dir).render().unwrap_err().to_string();
    assert!(
        text.contains("error: accent color must be `#RRGGBB`"),
        "{text}"
    );
    assert!(text.contains("integration.toml:2:9"), "{text}");
}

#[test]
fn validate_command_prints_every_error_and_fails() {
    let dir = std::env::temp_dir().join(format!("paragon-codegen-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = dir.join("integration.toml");
    std::fs::write(&manifest, "name = \"Demo\"\ncolor = \"blue\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paragon-codegen"))
        .arg("validate")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: accent color must be `#RRGGBB`"),
        "{stderr}"
    );
    assert!(stderr.contains("missing field `description`"), "{stderr}");
}

#[test]
fn validate_command_accepts_the_shipped_manifests() {
    let specs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/shipped");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paragon-codegen"))
        .arg("validate")
        .arg(&specs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("custom.tasklab"));
}

#[test]
fn a_server_the_manifest_does_not_allow_is_an_error() {
    let spec = write(
        "servers.yaml",
        r#"openapi: 3.0.3
info: { title: GitHub, version: "1" }
servers: [{ url: "https://api.github.com" }]
paths:
  /assets:
    post:
      operationId: upload
      servers: [{ url: "https://uploads.github.com" }]
      responses: { "204": { description: none } }
  /elsewhere:
    servers: [{ url: "https://evil.example" }]
    get:
      operationId: leak
      responses: { "204": { description: none } }
"#,
    );
    let github = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/github");
    let text = Generator::new(&github)
        .spec(&spec)
        .render()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains(
            "error: the operation is served from `https://evil.example`, a host the manifest does not allow"
        ),
        "{text}"
    );
    assert!(text.contains("paths./elsewhere.servers"), "{text}");
    assert!(text.contains("allowed_hosts"), "{text}");
    // uploads.github.com is in the manifest's `allowed_hosts`: no error for it.
    assert!(!text.contains("uploads.github.com"), "{text}");
    assert_eq!(text.matches("error:").count(), 1, "{text}");
}

#[test]
fn filters_that_match_nothing_name_what_exists() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/specs/basic.yaml");
    let text = Generator::from_spec(&spec, "Basic")
        .tag("nope")
        .operation("repos/list-for-use")
        .path_prefix("/zzz")
        .render()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("error: tag `nope` (--tag) matches no operation"),
        "{text}"
    );
    assert!(
        text.contains("error: operation `repos/list-for-use` (--operation) matches no operation"),
        "{text}"
    );
    assert!(
        text.contains("error: path `/zzz` (--path-prefix) matches no operation"),
        "{text}"
    );
    assert!(
        text.contains("nearest of the spec's 4 operations: `repos/list-for-user`"),
        "{text}"
    );
    assert!(text.contains("nearest of the spec's 2 tags"), "{text}");
}

#[test]
fn unsupported_versions_null_paths_and_bad_names_are_errors() {
    let v2 = write(
        "v4.yaml",
        "openapi: 4.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
    );
    let text = error_text(&v2);
    assert!(
        text.contains("error: OpenAPI 4.0.0 is not supported"),
        "{text}"
    );
    assert!(text.contains("field: `openapi`"), "{text}");
    let null = write(
        "null.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: null\n",
    );
    let text = error_text(&null);
    assert!(text.contains("error: `paths` is null"), "{text}");
    let ok = write(
        "ok.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
    );
    let text = Generator::from_spec(&ok, "!!")
        .render()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("error: the integration name `!!` has no letter or digit"),
        "{text}"
    );
    let text = Generator::from_spec(&ok, "Fine")
        .module_name("type")
        .out_dir(std::env::temp_dir())
        .generate()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("error: the module name `type` is not a Rust identifier"),
        "{text}"
    );
}

#[test]
fn name_beside_integration_is_refused() {
    let github = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/github");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paragon-codegen"))
        .args([
            "generate",
            "--name",
            "Other",
            "--out",
            "/dev/null",
            "--integration",
        ])
        .arg(&github)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--name \"Other\" beside --integration"),
        "{stderr}"
    );
}

#[test]
fn yaml_integers_beyond_64_bits_read_as_floats() {
    // Published specs carry such bounds; serde's YAML value type failed the whole spec on them.
    let path = write(
        "big.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Big: { type: object, properties: { n: { type: integer, maximum: 18446744073709551616, minimum: -99999999999999999999999 } } }\n",
    );
    let generated = Generator::from_spec(&path, "Big").render().unwrap();
    assert!(
        generated.source.contains("pub struct Big"),
        "{}",
        generated.source
    );
    assert!(
        generated
            .source
            .contains("pub n: ::std::option::Option<i64>"),
        "{}",
        generated.source
    );
}

#[test]
fn a_cycle_of_refs_warns_and_generates_the_rest() {
    let path = write(
        "cycle.yaml",
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: { $ref: '#/components/schemas/B' }\n    B: { $ref: '#/components/schemas/A' }\n    C: { type: object, properties: { a: { $ref: '#/components/schemas/A' } } }\n",
    );
    let (text, source) = warnings_of(&path);
    assert!(
        text.contains("is a cycle of $refs that refer only to each other"),
        "{text}"
    );
    assert!(source.contains("pub struct C"), "{source}");
}

#[test]
fn validate_checks_the_spec_beside_the_manifest_and_its_test_endpoint() {
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/tasklab-keys");
    let dir = std::env::temp_dir().join(format!("paragon-codegen-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let manifest = dir.join("integration.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("test_endpoint = \"/me\""), "{text}");
    std::fs::write(
        &manifest,
        text.replace("test_endpoint = \"/me\"", "test_endpoint = \"/mee\""),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paragon-codegen"))
        .arg("validate")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: the test endpoint `/mee` is not a path of the spec"),
        "{stderr}"
    );
    assert!(stderr.contains("field: `api.test_endpoint`"), "{stderr}");
    assert!(stderr.contains("nearest GET paths: `/me`"), "{stderr}");
    // Generating still works: a client may cover part of an API.
    let generated = Generator::new(&dir).render().unwrap();
    assert!(generated.warnings_text().contains("test endpoint `/mee`"));
}
