//! Tools for AI agents (`ToolGenerator`): the shipped Task Lab manifest's allow-list, what is
//! left out and why, names within the LLM APIs' rules, and every emitted schema checked by an
//! independent JSON Schema validator against the 2020-12 meta-schema.

use paragon_codegen::{Location, MAX_NAME_LEN, ToolGenerator, ToolLimits, ToolSet};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/shipped")
        .join(name)
}

/// Every tool's schema is valid 2020-12, compiles in a validator, and every name is
/// `^[a-zA-Z0-9_-]{1,64}$` and unique.
#[track_caller]
fn assert_valid(set: &ToolSet) {
    let mut names = std::collections::BTreeSet::new();
    for tool in &set.tools {
        if let Err(e) = jsonschema::draft202012::meta::validate(&tool.parameters) {
            panic!("{}: the schema is not valid 2020-12: {e}", tool.name);
        }
        if let Err(e) = jsonschema::draft202012::new(&tool.parameters) {
            panic!("{}: the schema does not compile: {e}", tool.name);
        }
        assert!(
            !tool.name.is_empty()
                && tool.name.len() <= MAX_NAME_LEN
                && tool
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "bad name {:?}",
            tool.name
        );
        assert!(
            names.insert(tool.name.clone()),
            "repeated name {}",
            tool.name
        );
    }
}

fn write_spec(dir: &Path, spec: &Value) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("openapi.json");
    std::fs::write(&path, spec.to_string()).unwrap();
    path
}

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("paragon-tools-{name}-{}", std::process::id()))
}

#[test]
fn tasklab_tools_are_the_allowed_operations() {
    let set = ToolGenerator::new(shipped("tasklab")).generate().unwrap();
    assert_eq!(set.integration, "custom.tasklab");
    let names: Vec<&str> = set.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "TASKLAB_GET_ME",
            "TASKLAB_LIST_TASKS",
            "TASKLAB_CREATE_TASK",
            "TASKLAB_GET_TASK",
            "TASKLAB_UPDATE_TASK"
        ]
    );
    assert!(set.warnings.is_empty(), "{}", set.warnings_text());
    assert_valid(&set);

    let create = set.get("TASKLAB_CREATE_TASK").unwrap();
    assert_eq!(create.description, "Create a task");
    assert_eq!(
        (create.request.method.as_str(), create.request.path.as_str()),
        ("POST", "/tasks")
    );
    assert_eq!(
        create.request.body.as_ref().unwrap().content_type,
        "application/json"
    );
    let validator = jsonschema::draft202012::new(&create.parameters).unwrap();
    assert!(validator.is_valid(&json!({"body": {"title": "Write the report", "status": "todo"}})));
    assert!(
        !validator.is_valid(&json!({"body": {"title": ""}})),
        "minLength kept"
    );
    assert!(
        !validator.is_valid(&json!({"body": {"title": "x", "status": "later"}})),
        "enum kept"
    );
    assert!(!validator.is_valid(&json!({})), "the body is required");
    assert!(!validator.is_valid(&json!({"body": {"title": "x"}, "extra": 1})));

    let get = set.get("TASKLAB_GET_TASK").unwrap();
    assert_eq!(get.request.path, "/tasks/{id}");
    assert_eq!(get.request.inputs[0].location, Location::Path);
    assert_eq!(get.parameters["required"], json!(["id"]));

    let function = create.to_function();
    assert_eq!(function["type"], "function");
    assert_eq!(function["function"]["name"], "TASKLAB_CREATE_TASK");
}

#[test]
fn an_allowed_operation_the_spec_lacks_is_an_error_at_its_position() {
    let dir = temp_dir("allow");
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = std::fs::read_to_string(shipped("tasklab/integration.toml"))
        .unwrap()
        .replace("\"createTask\"", "\"createTsk\"");
    std::fs::write(dir.join("integration.toml"), &manifest).unwrap();
    for f in ["openapi.yaml", "icon.svg"] {
        std::fs::copy(shipped("tasklab").join(f), dir.join(f)).unwrap();
    }
    let errors = ToolGenerator::new(&dir).generate().unwrap_err();
    let d = &errors.0[0];
    let line = manifest
        .lines()
        .position(|l| l.contains("createTsk"))
        .unwrap()
        + 1;
    let column = manifest
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("\"createTsk\"")
        .unwrap()
        + 1;
    assert_eq!(
        (d.line, d.column, d.field.as_str()),
        (line, column, "tools.allow[2]")
    );
    assert_eq!(d.message, "the spec has no operation `createTsk`");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `createTask`"),
        "{d}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_an_allow_list_only_reads_are_tools() {
    let dir = temp_dir("methods");
    let spec = write_spec(
        &dir,
        &json!({
            "openapi": "3.0.3", "info": {"title": "T", "version": "1"},
            "paths": {"/repos/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "get": {"operationId": "getRepo", "responses": {}},
                "delete": {"operationId": "deleteRepo", "responses": {}}
            }}
        }),
    );
    let reads = ToolGenerator::from_spec(&spec, "T").generate().unwrap();
    assert_eq!(reads.tools.len(), 1);
    assert_eq!(reads.tools[0].name, "T_GET_REPO");
    let all = ToolGenerator::from_spec(&spec, "T")
        .all_methods(true)
        .generate()
        .unwrap();
    assert_eq!(all.tools.len(), 2);
    assert_eq!(all.tools[1].request.method, "DELETE");
    // Filters narrow as for typed clients, and one that keeps nothing is an error.
    let one = ToolGenerator::from_spec(&spec, "T")
        .all_methods(true)
        .operation("deleteRepo")
        .generate()
        .unwrap();
    assert_eq!(one.tools.len(), 1);
    let errors = ToolGenerator::from_spec(&spec, "T")
        .path_prefix("/repo/")
        .generate()
        .unwrap_err();
    assert!(
        errors.to_string().contains("matches no operation"),
        "{errors}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inputs_a_tool_cannot_carry_leave_the_operation_out_with_a_warning() {
    let dir = temp_dir("left-out");
    let big_enum: Vec<String> = (0..2000).map(|i| format!("value-{i}")).collect();
    let spec = write_spec(
        &dir,
        &json!({
            "openapi": "3.0.3", "info": {"title": "T", "version": "1"},
            "paths": {
                "/upload": {"post": {"operationId": "upload", "requestBody": {"required": true,
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                    "responses": {}}},
                "/big": {"get": {"operationId": "big", "parameters": [
                    {"name": "pick", "in": "query", "schema": {"type": "string", "enum": big_enum}}],
                    "responses": {}}},
                "/session": {"get": {"operationId": "session", "parameters": [
                    {"name": "sid", "in": "cookie", "required": true, "schema": {"type": "string"}}],
                    "responses": {}}},
                "/ok": {"get": {"operationId": "ok", "parameters": [
                    {"name": "q", "in": "query", "schema": {"$ref": "#/components/schemas/Missing"}},
                    {"name": "Authorization", "in": "header", "schema": {"type": "string"}}],
                    "responses": {}}}
            }
        }),
    );
    let set = ToolGenerator::from_spec(&spec, "T")
        .all_methods(true)
        .limits(ToolLimits {
            max_schema_bytes: 16 * 1024,
            ..ToolLimits::default()
        })
        .generate()
        .unwrap();
    assert_eq!(set.operations, 4);
    let names: Vec<&str> = set.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["T_OK"]);
    // The credential header is the proxy's; a dangling ref is any value, with a warning.
    assert_eq!(set.tools[0].parameters["properties"], json!({"q": {}}));
    let text = set.warnings_text();
    for expected in [
        "paths./upload.post",
        "application/octet-stream",
        "over the limit of 16384",
        "`sid` is in `cookie`",
        "`#/components/schemas/Missing` does not resolve",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert_valid(&set);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// GitHub's full REST spec (`scripts/fetch-specs.sh`): every operation but those the limits
/// or media types exclude is a valid tool. Skipped without the spec, unless CI=true.
#[test]
fn github_full_spec_tools_are_valid() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/specs/api.github.com.json");
    if !spec.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "run scripts/fetch-specs.sh: {} is missing",
            spec.display()
        );
        eprintln!("skipped: run scripts/fetch-specs.sh for {}", spec.display());
        return;
    }
    let set = ToolGenerator::from_spec(&spec, "GitHub")
        .all_methods(true)
        .generate()
        .unwrap();
    assert_valid(&set);
    assert!(
        set.tools.len() * 100 >= set.operations * 98,
        "{} of {} operations became tools:\n{}",
        set.tools.len(),
        set.operations,
        set.warnings_text()
    );
    assert!(set.get("GITHUB_REPOS_LIST_FOR_USER").is_some());
}

/// The measurement in `docs/tools.md`: every spec listed in `$PARAGON_TOOLS_SAMPLE` (one path
/// a line, from `scripts/corpus.py sample`), every method offered; prints the table. Run with
/// `--ignored --nocapture`; it asserts the targets (100% of schemas valid, 98% of operations).
#[test]
#[ignore = "needs the corpus: scripts/fetch-specs.sh corpus and PARAGON_TOOLS_SAMPLE"]
fn corpus_sample_tools() {
    let list = std::env::var("PARAGON_TOOLS_SAMPLE").expect("set PARAGON_TOOLS_SAMPLE");
    let paths: Vec<String> = std::fs::read_to_string(list)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let (mut operations, mut tools, mut invalid, mut failed) = (0, 0, 0, Vec::new());
    let (mut largest, mut largest_at) = (0, String::new());
    let mut left_out: Vec<String> = Vec::new();
    for path in &paths {
        let set = match ToolGenerator::from_spec(path, "Corpus")
            .all_methods(true)
            .generate()
        {
            Ok(set) => set,
            Err(e) => {
                failed.push(format!("{path}: {}", e.0[0].message));
                continue;
            }
        };
        operations += set.operations;
        tools += set.tools.len();
        for tool in &set.tools {
            let valid = jsonschema::draft202012::meta::is_valid(&tool.parameters)
                && jsonschema::draft202012::new(&tool.parameters).is_ok();
            if !valid {
                invalid += 1;
                eprintln!("invalid: {path} {}", tool.name);
            }
            let size = tool.parameters.to_string().len();
            if size > largest {
                (largest, largest_at) = (size, format!("{path} {}", tool.name));
            }
        }
        left_out.extend(
            set.warnings
                .iter()
                .filter(|w| w.message.starts_with("left out"))
                .map(|w| format!("{path} {}: {}", w.field, w.message)),
        );
    }
    println!("| specs | generated | operations | tools | share | schemas valid | largest schema |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {operations} | {tools} | {:.2}% | {}/{tools} | {largest} bytes |",
        paths.len(),
        paths.len() - failed.len(),
        100.0 * tools as f64 / operations.max(1) as f64,
        tools - invalid,
    );
    println!("largest: {largest_at}");
    for f in &failed {
        println!("failed: {f}");
    }
    for l in &left_out {
        println!("{l}");
    }
    assert_eq!(invalid, 0);
    assert!(tools * 100 >= operations * 98);
}

#[test]
fn an_operation_on_another_host_keeps_its_full_url() {
    let dir = temp_dir("hosts");
    let spec = write_spec(
        &dir,
        &json!({
            "openapi": "3.0.3", "info": {"title": "T", "version": "1"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": {"/files/{id}": {"get": {"operationId": "getFile",
                "servers": [{"url": "https://files.example.com"}],
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {}}}}
        }),
    );
    let set = ToolGenerator::from_spec(&spec, "T").generate().unwrap();
    assert_eq!(
        set.tools[0].request.path,
        "https://files.example.com/files/{id}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_checks_the_tools_allow_list() {
    let dir = temp_dir("validate");
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = std::fs::read_to_string(shipped("tasklab/integration.toml"))
        .unwrap()
        .replace("\"getTask\"", "\"getTsk\"");
    std::fs::write(dir.join("integration.toml"), &manifest).unwrap();
    for f in ["openapi.yaml", "icon.svg"] {
        std::fs::copy(shipped("tasklab").join(f), dir.join(f)).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paragon-codegen"))
        .arg("validate")
        .arg(dir.join("integration.toml"))
        .env("TASKLAB_URL", "http://127.0.0.1:1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: the spec has no operation `getTsk`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `getTask`"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A document already in memory (a derived integration's declared endpoints): every method is
/// offered, since the document is the developer's list, unless the manifest has an allow-list.
#[test]
fn an_in_memory_document_offers_every_declared_method() {
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "custom.tasklabkeys", "version": "1"},
        "paths": {
            "/tasks": {
                "get": {"operationId": "tasks"},
                "post": {
                    "operationId": "create_task",
                    "requestBody": {"required": true, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/NewTask"}}}}
                }
            },
            "/tasks/{id}": {"delete": {"operationId": "delete_task", "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]}}
        },
        "components": {"schemas": {"NewTask": {"type": "object", "required": ["title"],
            "properties": {"title": {"type": "string", "minLength": 1}}}}}
    });
    let file = shipped("tasklab-keys/integration.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let manifest = paragon_manifest::Manifest::parse(&text, &file).unwrap();
    let set = ToolGenerator::for_document(manifest, doc.clone())
        .generate()
        .unwrap_or_else(|d| panic!("{d}"));
    assert_valid(&set);
    let names: Vec<&str> = set.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "TASKLABKEYS_TASKS",
            "TASKLABKEYS_CREATE_TASK",
            "TASKLABKEYS_DELETE_TASK"
        ]
    );
    let create = set.get("TASKLABKEYS_CREATE_TASK").unwrap();
    assert_eq!(
        create.parameters["$defs"]["NewTask"]["properties"]["title"]["minLength"],
        1
    );

    // A manifest's allow-list is still the exact list, checked against the document's ids.
    let allowed = format!("{text}\n[tools]\nallow = [\"create_task\"]\n");
    let manifest = paragon_manifest::Manifest::parse(&allowed, &file).unwrap();
    let set = ToolGenerator::for_document(manifest, doc.clone())
        .generate()
        .unwrap();
    let names: Vec<&str> = set.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["TASKLABKEYS_CREATE_TASK"]);
    let typo = format!("{text}\n[tools]\nallow = [\"create_tsk\"]\n");
    let manifest = paragon_manifest::Manifest::parse(&typo, &file).unwrap();
    let err = ToolGenerator::for_document(manifest, doc)
        .generate()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the spec has no operation `create_tsk`") && err.contains("create_task"),
        "{err}"
    );
}
