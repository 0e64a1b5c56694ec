//! The Paragraph export (`paragon-codegen paragraph`): every shipped integration's export (or
//! its refusals, at file:line:col) against a reviewed snapshot, the exported project
//! type-checked with `tsc --noEmit` against the declarations in `paragraph/types/`, and what
//! Paragraph cannot express refused at its position.
//!
//! `tsc` is TypeScript from npm in `.cache/typescript` (`scripts/fetch-typescript.sh`); without
//! it the type-check says it is skipped, unless `CI=true`.

use paragon_codegen::paragraph::{Export, export};
use std::path::{Path, PathBuf};
use std::process::Command;

const SHIPPED: &str = "tests/shipped";

fn render(e: &Export) -> String {
    let mut out = String::new();
    for (path, text) in &e.files {
        out.push_str(&format!("=== {path}\n{text}\n"));
    }
    for note in &e.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

/// Every integration's slug under `specs/`, with its folder name.
fn shipped() -> Vec<(String, String)> {
    paragon_manifest::discover(SHIPPED)
        .iter()
        .map(|f| {
            let m = paragon_manifest::Manifest::load(f).unwrap();
            let folder = f
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (m.slug(), folder)
        })
        .collect()
}

#[test]
fn every_shipped_integration_exports_as_reviewed() {
    let all = shipped();
    assert!(all.len() >= 10, "{all:?}");
    for (slug, folder) in all {
        let text = match export(Path::new(SHIPPED), std::slice::from_ref(&slug)) {
            Ok(e) => render(&e),
            Err(refused) => format!("refused:\n{refused}"),
        };
        insta::assert_snapshot!(format!("paragraph_{folder}"), text);
    }
}

fn tsc() -> Option<PathBuf> {
    let tsc =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/typescript/node_modules/.bin/tsc");
    if tsc.is_file() {
        return Some(tsc);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but TypeScript is not installed: run scripts/fetch-typescript.sh"
    );
    println!("skipped: run scripts/fetch-typescript.sh to type-check the Paragraph export");
    None
}

/// Runs `tsc --noEmit` on the project in `dir` with `@useparagon/core` resolved to our
/// declarations; returns (success, output).
fn type_check(tsc: &Path, dir: &Path) -> (bool, String) {
    let types = Path::new(env!("CARGO_MANIFEST_DIR")).join("paragraph/types/core");
    let check = serde_json::json!({
        "extends": "./tsconfig.json",
        "compilerOptions": {
            "noEmit": true,
            "paths": {
                "@useparagon/core": [types.join("index.d.ts")],
                "@useparagon/core/*": [types.join("*.d.ts")],
            },
        },
        "include": ["src/**/*.ts"],
    });
    std::fs::write(dir.join("tsconfig.check.json"), check.to_string()).unwrap();
    let out = Command::new(tsc)
        .args(["-p", "tsconfig.check.json"])
        .current_dir(dir)
        .output()
        .expect("run tsc");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_exported_project_type_checks() {
    let Some(tsc) = tsc() else { return };
    let exportable: Vec<String> = shipped()
        .into_iter()
        .map(|(slug, _)| slug)
        .filter(|slug| export(Path::new(SHIPPED), std::slice::from_ref(slug)).is_ok())
        .collect();
    assert!(
        exportable.iter().any(|s| s == "custom.tasklab"),
        "{exportable:?}"
    );
    let exported = export(Path::new(SHIPPED), &exportable).unwrap();
    let dir = std::env::temp_dir().join(format!("paragraph-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    exported.write(&dir).unwrap();
    let (ok, output) = type_check(&tsc, &dir);
    assert!(ok, "tsc --noEmit failed:\n{output}");

    // The check can fail: a field the declarations do not know is an error.
    let config = dir.join("src/integrations/custom.tasklab/config.ts");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("pkce:", "pkceEnabled:")).unwrap();
    let (ok, output) = type_check(&tsc, &dir);
    assert!(!ok && output.contains("pkceEnabled"), "{output}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A specs folder with Task Lab's manifest and one workflow file.
fn specs_with(workflow: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "paragraph-specs-{}-{}",
        std::process::id(),
        workflow.len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let tasklab = dir.join("tasklab");
    std::fs::create_dir_all(tasklab.join("workflows")).unwrap();
    for file in ["integration.toml", "icon.svg"] {
        std::fs::copy(
            Path::new(SHIPPED).join("tasklab").join(file),
            tasklab.join(file),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("events.toml"),
        "[[events]]\nname = \"Task Created\"\n",
    )
    .unwrap();
    std::fs::write(tasklab.join("workflows/flow.toml"), workflow).unwrap();
    dir
}

#[test]
fn what_paragraph_cannot_express_is_refused_at_its_position() {
    let specs = specs_with(
        r#"name = "Flow"

[trigger]
type = "request"

[[steps]]
key = "list"
type = "integration_request"
method = "GET"
path = "/task-pages"
pagination = { next = "next_cursor", param = "cursor", items = "tasks" }

[[steps]]
key = "check"
type = "function"
rust = "check_tasks"
parameters = {}

[[steps]]
key = "any"
type = "conditional"
conditions = [[{ left = "{steps.list.output.body}", op = "exists" }]]
then = []

[[steps]]
key = "answer"
type = "response"
status = 200
body = {}
"#,
    );
    let refused = export(&specs, &[]).unwrap_err().to_string();
    let file = specs.join("tasklab/workflows/flow.toml");
    for (line_col, what) in [
        ("11:1", "pagination on an Integration Request"),
        ("16:1", "the Rust function step `check_tasks`"),
        ("26:1", "the step `answer` after a Conditional"),
    ] {
        let at = format!("{}:{line_col}", file.display());
        assert!(
            refused.contains(&at) && refused.contains(what),
            "{what} at {at}:\n{refused}"
        );
    }
    let _ = std::fs::remove_dir_all(&specs);
}

#[test]
fn a_workflow_naming_an_unknown_integration_fails_with_its_position() {
    let specs = specs_with(
        r#"name = "Flow"

[trigger]
type = "request"

[[steps]]
key = "elsewhere"
type = "integration_request"
integration = "custom.nowhere"
method = "GET"
path = "/x"
"#,
    );
    let refused = export(&specs, &[]).unwrap_err().to_string();
    let at = format!("{}:9:", specs.join("tasklab/workflows/flow.toml").display());
    assert!(
        refused.contains(&at) && refused.contains("custom.nowhere"),
        "{refused}"
    );
    let _ = std::fs::remove_dir_all(&specs);
}

#[test]
fn the_cli_writes_the_project_or_says_what_is_refused() {
    let out = std::env::temp_dir().join(format!("paragraph-cli-{}", std::process::id()));
    let run = |slug: &str| {
        Command::new(env!("CARGO_BIN_EXE_paragon-codegen"))
            .args([
                "paragraph",
                "--specs",
                SHIPPED,
                "--integration",
                slug,
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap()
    };
    let ok = run("custom.tasklab");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        out.join("src/integrations/custom.tasklab/config.ts")
            .is_file()
    );
    assert!(
        out.join("src/integrations/custom.tasklab/workflows/mirrorAppTasks.ts")
            .is_file()
    );
    assert!(out.join("src/events/taskCreated.ts").is_file());
    // The manifest's [[settings]] become inputs.ts; what an input cannot carry is a note.
    let inputs =
        std::fs::read_to_string(out.join("src/integrations/custom.tasklab/inputs.ts")).unwrap();
    assert!(
        inputs.contains("sync: { title: 'Sync frequency', type: 'dropdown', options: ['hourly', 'daily', 'weekly']"),
        "{inputs}"
    );
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert!(
        stderr.contains("the setting `project` keeps its type but not its pattern"),
        "{stderr}"
    );
    let refused = run("custom.tasklabsessions");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("tasklab-exchange/integration.toml:11:1"),
        "{stderr}"
    );
    // Paragon's form has no field for a client registered at connect time.
    let refused = run("custom.tasklabregistered");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("tasklab-dcr/integration.toml:13:1")
            && stderr.contains("registered when a user connects"),
        "{stderr}"
    );
    // Nor for values read from the API after connecting.
    let refused = run("custom.tasklabsites");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("tasklab-sites/integration.toml:19:8")
            && stderr.contains("values read from the API after connecting"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn base_url_alternatives_are_refused_at_their_position() {
    let specs = specs_with(
        "name = \"Flow\"\n\n[trigger]\ntype = \"request\"\n\n[[steps]]\nkey = \"answer\"\ntype = \"response\"\nstatus = 200\nbody = {}\n",
    );
    let manifest = specs.join("tasklab/integration.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let fixed = "base_url = \"{env.TASKLAB_URL}/v1\"";
    assert!(text.contains(fixed));
    std::fs::write(
        &manifest,
        text.replace(
            fixed,
            "base_url = [\"{env.TASKLAB_API_URL}\", \"{env.TASKLAB_URL}/v1\"]",
        ),
    )
    .unwrap();
    let refused = export(&specs, &[]).unwrap_err().to_string();
    let at = format!("{}:57:1", manifest.display());
    assert!(
        refused.contains(&at) && refused.contains("fallback alternatives for the base URL"),
        "{refused}"
    );
    let _ = std::fs::remove_dir_all(&specs);
}
