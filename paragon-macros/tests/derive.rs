//! What the derive implements, through the public API: names, definitions, defaults and the
//! generated client's type.

use paragon_macros::Integration;
use paragon_manifest::Manifest;
use paragon_sdk::{Integration as _, Paragon};

#[derive(Integration)]
#[integration(
    name = "Task Lab Keys",
    description = "Manage tasks in Task Lab with an API key instead of OAuth.",
    color = "#0F766E",
    auth = api_key,
    input(key = "api_key", label = "API key", kind = "password", secret = true, help = "Create a key on the Task Lab settings page."),
    base_url = "{env.TASKLAB_URL}/v1",
    test_endpoint = "/me",
    authorization = headers("X-Api-Key" = "{input.api_key}"),
)]
struct InlineKeys;

#[derive(Integration)]
#[integration(manifest = "tests/specs/tasklab-keys/integration.toml")]
struct FileKeys;

#[derive(Integration)]
#[integration(name = "Acme CRM (v2)", base_url = "https://api.acme.com", test_endpoint = "/me", auth = none)]
struct Minimal;

#[derive(Integration)]
#[integration(
    name = "Drawn",
    icon = "tests/icon.svg",
    base_url = "https://api.drawn.example",
    test_endpoint = "/me",
    auth = none
)]
struct WithIcon;

#[derive(Integration)]
#[integration(
    manifest = "tests/specs/tasklab",
    spec = "tests/specs/tasklab/openapi.yaml",
    operations = ["getMe", "listTasks"]
)]
/// Task Lab, declared from its manifest and spec.
pub struct TaskLab;

/// Parses a derived definition the way a server would: from a folder holding no icon, since
/// a derived definition carries its icon inline.
fn parse(toml: &str) -> Manifest {
    Manifest::parse(toml, "elsewhere/integration.toml").unwrap_or_else(|d| panic!("{d}\n{toml}"))
}

#[test]
fn inline_and_file_declare_the_same_integration() {
    assert_eq!(InlineKeys::NAME, "custom.tasklabkeys");
    assert_eq!(FileKeys::NAME, InlineKeys::NAME);
    assert_eq!(FileKeys::TEST_ENDPOINT, InlineKeys::TEST_ENDPOINT);

    let file = Manifest::load("tests/specs/tasklab-keys").expect("manifest");
    let inline = parse(InlineKeys::definition_toml().expect("definition"));
    assert_eq!(format!("{:?}", inline.api()), format!("{:?}", file.api()));
    assert_eq!(
        format!("{:?}", inline.inputs()),
        format!("{:?}", file.inputs())
    );
    assert_eq!(inline.description(), file.description());
}

#[test]
fn a_file_definition_is_the_file() {
    assert_eq!(
        FileKeys::definition_toml(),
        Some(include_str!("specs/tasklab-keys/integration.toml"))
    );
}

#[test]
fn inline_defaults_fill_the_basic_info() {
    assert_eq!(Minimal::NAME, "custom.acmecrmv2");
    let m = parse(Minimal::definition_toml().expect("definition"));
    assert_eq!(m.description(), "The Acme CRM (v2) integration.");
    assert_eq!(m.color(), "#4B5563");
    assert!(m.icon_svg().starts_with("<svg"));
}

#[test]
fn an_icon_file_is_written_inline_in_the_definition() {
    let text = WithIcon::definition_toml().expect("definition");
    assert!(!text.contains("tests/icon.svg"), "{text}");
    let m = parse(text);
    assert_eq!(m.icon_svg(), include_str!("icon.svg"));
    assert_eq!(m.icon_path(), None);
}

#[test]
fn the_spec_gives_a_filtered_typed_client() {
    let client: fn(&Paragon) -> task_lab::Client = TaskLab::client;
    let paragon = Paragon::builder()
        .ignore_env()
        .project_id("p")
        .user_token("t")
        .build()
        .expect("sdk");
    let c = client(&paragon);
    assert_eq!(c.integration(), "custom.tasklab");
    assert_eq!(task_lab::INTEGRATION, TaskLab::NAME);
    // The operations asked for are there.
    let _ = (c.get_me(), c.list_tasks());
}
