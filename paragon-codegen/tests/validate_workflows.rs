//! `paragon-codegen validate` checks the workflows beside each manifest.

use std::path::{Path, PathBuf};
use std::process::Command;

fn specs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/shipped")
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in ["integration.toml", "icon.svg"] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
}

#[test]
fn shipped_workflows_are_validated() {
    let out = Command::new(env!("CARGO_BIN_EXE_paragon-codegen"))
        .arg("validate")
        .arg(specs())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("tasklab/workflows (2 workflows)"),
        "{stdout}"
    );
}

#[test]
fn a_bad_workflow_fails_validation_with_its_position() {
    let root = std::env::temp_dir().join(format!("paragon-codegen-wf-{}", std::process::id()));
    let dir = root.join("tasklab");
    copy(&specs().join("tasklab"), &dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(
        dir.join("workflows/nightly.toml"),
        "name = \"Nightly\"\n[trigger]\ntype = \"schedule\"\ncron = \"61 * * * *\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_paragon-codegen"))
        .arg("validate")
        .arg(&root)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&root);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: invalid cron expression `61 * * * *`"),
        "{stderr}"
    );
    assert!(stderr.contains("workflows/nightly.toml:4:8"), "{stderr}");
}
