//! The derive's output through the public API: names, definitions and typed clients.

use paragon_macros::{Integration, endpoints};
use paragon_sdk::Integration as _;

#[derive(Integration)]
#[integration(
    name = "Task Lab Keys",
    description = "Manage tasks in Task Lab with an API key instead of OAuth.",
    color = "#0F766E",
    auth = api_key,
    input(key = "api_key", label = "API key", kind = "password", secret = true),
    base_url = "{env.TASKLAB_URL}/v1",
    test_endpoint = "/me",
    authorization = headers("X-Api-Key" = "{input.api_key}"),
)]
struct InlineKeys;

#[derive(Integration)]
#[integration(manifest = "../../specs/tasklab-keys/integration.toml")]
struct FileKeys;

#[derive(Integration)]
#[integration(
    manifest = "../../specs/tasklab/integration.toml",
    spec = "../../specs/tasklab/openapi.yaml",
    module = "tasklab"
)]
pub struct TaskLab;

#[test]
fn inline_and_file_agree() {
    assert_eq!(InlineKeys::NAME, "custom.tasklabkeys");
    assert_eq!(FileKeys::NAME, InlineKeys::NAME);
    assert_eq!(InlineKeys::TEST_ENDPOINT, "/me");
    let toml = InlineKeys::definition_toml().unwrap();
    println!("{toml}");
    let m = paragon_manifest::Manifest::parse(toml, "x/integration.toml");
    assert!(m.is_err());
}
