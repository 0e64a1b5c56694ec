//! Workflow files: the shipped examples load; each refusal names the problem, its position and
//! a fix, and every problem of a file comes at once.

use std::path::{Path, PathBuf};

use paragon_manifest::Diagnostics;
use paragon_manifest::workflow::{self, Context, StepKind, Trigger, Workflow};

fn specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs")
}

fn ctx() -> Context {
    Context {
        integration: "custom.tasklab".into(),
        integrations: vec!["custom.tasklab".into(), "custom.tasklabkeys".into()],
        events: vec!["Task Created".into(), "Task Completed".into()],
        settings: Vec::new(),
    }
}

fn parse(source: &str) -> Result<Workflow, Diagnostics> {
    Workflow::parse(source, "specs/tasklab/workflows/demo.toml", &ctx())
}

fn errors(source: &str) -> String {
    parse(source)
        .expect_err("the workflow should be refused")
        .to_string()
}

const HEAD: &str = "name = \"Demo\"\n[trigger]\ntype = \"app_event\"\nevent = \"Task Created\"\n";

#[test]
fn the_shipped_workflows_load() {
    let ctx = workflow::context_for(&specs()).unwrap();
    assert!(ctx.integrations.contains(&"custom.tasklab".to_string()));
    assert_eq!(ctx.events, ["Task Created", "Task Completed"]);
    let ctx = Context {
        integration: "custom.tasklab".into(),
        ..ctx
    };
    let wfs =
        workflow::load_workflows(&specs().join("tasklab"), &ctx).unwrap_or_else(|d| panic!("{d}"));
    let keys: Vec<&str> = wfs.iter().map(|w| w.key()).collect();
    assert_eq!(keys, ["mirror_app_tasks", "open_tasks"]);
    let mirror = &wfs[0];
    assert_eq!(
        mirror.trigger(),
        &Trigger::AppEvent {
            event: "Task Created".into()
        }
    );
    assert!(mirror.default_enabled());
    let top: Vec<&str> = mirror.top_level().map(|s| s.key.as_str()).collect();
    assert_eq!(
        top,
        ["create", "summary", "is_urgent"],
        "`start` runs in the conditional's branch"
    );
    assert_eq!(mirror.step("create").unwrap().retry.attempts, 2);
    assert!(matches!(
        wfs[1].step("answer").unwrap().kind,
        StepKind::Response { status: 200, .. }
    ));
}

#[test]
fn codegen_validate_paths_cover_workflows() {
    let results = workflow::validate_workflow_paths(&[specs()]);
    let tasklab = results
        .iter()
        .find(|(p, _)| p.ends_with("tasklab/workflows"))
        .unwrap();
    assert_eq!(tasklab.1.as_ref().unwrap().len(), 2);
    assert!(results.iter().all(|(_, r)| r.is_ok()));
}

#[test]
fn an_unknown_step_reference_is_refused_with_a_suggestion() {
    let text = errors(&format!(
        "{HEAD}[[steps]]\nkey = \"fetch\"\ntype = \"request\"\nurl = \"https://example.com\"\n\
         [[steps]]\nkey = \"use\"\ntype = \"function\"\nparameters = {{ x = \"{{steps.fetc.output.body}}\" }}\ncode = \"function f(p) {{ return 1; }}\"\n"
    ));
    assert!(text.contains("error: `{steps.fetc.output.body}` refers to a step that does not exist\n   --> specs/tasklab/workflows/demo.toml:12:21"), "{text}");
    assert!(
        text.contains("help: did you mean `{steps.fetch…}`?"),
        "{text}"
    );
}

#[test]
fn a_cycle_is_refused() {
    let text = errors(&format!(
        "{HEAD}[[steps]]\nkey = \"a\"\ntype = \"function\"\nparameters = \"{{steps.b.output}}\"\ncode = \"function f(p) {{ return p; }}\"\n\
         [[steps]]\nkey = \"b\"\ntype = \"function\"\nparameters = \"{{steps.a.output}}\"\ncode = \"function f(p) {{ return p; }}\"\n"
    ));
    assert!(
        text.contains("error: steps depend on each other in a cycle: a → b → a"),
        "{text}"
    );
    assert!(text.contains("demo.toml:6:7"), "{text}");
}

#[test]
fn a_branch_that_holds_its_own_conditional_is_a_cycle() {
    let text = errors(&format!(
        "{HEAD}[[steps]]\nkey = \"check\"\ntype = \"conditional\"\nconditions = [[{{ left = \"{{trigger.body.x}}\", op = \"exists\" }}]]\nthen = [\"check\"]\n"
    ));
    assert!(text.contains("cycle: check → check"), "{text}");
}

#[test]
fn a_reference_to_a_later_step_is_refused() {
    let text = errors(&format!(
        "{HEAD}[[steps]]\nkey = \"a\"\ntype = \"function\"\nparameters = \"{{steps.b.output}}\"\ncode = \"function f(p) {{ return p; }}\"\n\
         [[steps]]\nkey = \"b\"\ntype = \"delay\"\nduration = \"1s\"\n"
    ));
    assert!(
        text.contains("`{steps.b.output}` refers to step `b`, which runs after step `a`"),
        "{text}"
    );
}

#[test]
fn an_unknown_event_is_refused() {
    let text =
        errors("name = \"Demo\"\n[trigger]\ntype = \"app_event\"\nevent = \"Task Creatd\"\n");
    assert!(
        text.contains(
            "error: unknown app event `Task Creatd`\n  --> specs/tasklab/workflows/demo.toml:4:9"
        ),
        "{text}"
    );
    assert!(text.contains("did you mean `Task Created`?"), "{text}");
}

#[test]
fn an_unknown_integration_is_refused() {
    let text = errors(&format!(
        "{HEAD}[[steps]]\nkey = \"a\"\ntype = \"integration_request\"\nintegration = \"custom.tasklabkey\"\npath = \"/me\"\n"
    ));
    assert!(text.contains("error: unknown integration `custom.tasklabkey`\n  --> specs/tasklab/workflows/demo.toml:8:15"), "{text}");
    assert!(
        text.contains("did you mean `custom.tasklabkeys`?"),
        "{text}"
    );
}

#[test]
fn a_bad_cron_and_a_bad_time_zone_are_refused() {
    let text = errors(
        "name = \"Demo\"\n[trigger]\ntype = \"schedule\"\ncron = \"0 25 * * *\"\ntimezone = \"Europe/Pariss\"\n",
    );
    assert!(
        text.contains("error: invalid cron expression `0 25 * * *`"),
        "{text}"
    );
    assert!(text.contains("demo.toml:4:8"), "{text}");
    assert!(
        text.contains(
            "error: unknown time zone `Europe/Pariss`\n  --> specs/tasklab/workflows/demo.toml:5:12"
        ),
        "{text}"
    );
    assert!(text.contains("2 problems found"), "{text}");
}

#[test]
fn a_good_schedule_is_accepted() {
    let wf = parse("name = \"Demo\"\n[trigger]\ntype = \"schedule\"\ncron = \"0 9 * * 1-5\"\ntimezone = \"Europe/Paris\"\n").unwrap();
    assert_eq!(
        wf.trigger(),
        &Trigger::Schedule {
            cron: "0 9 * * 1-5".into(),
            timezone: "Europe/Paris".into()
        }
    );
}

#[test]
fn a_response_under_a_non_request_trigger_is_refused() {
    let text = errors(&format!(
        "{HEAD}[[steps]]\nkey = \"answer\"\ntype = \"response\"\nbody = {{ ok = true }}\n"
    ));
    assert!(text.contains("error: step `answer` is a Response, but the trigger is `app_event`: only a Request trigger has a caller to answer\n  --> specs/tasklab/workflows/demo.toml:7:8"), "{text}");
}

#[test]
fn unknown_names_get_did_you_mean() {
    let text = errors(&format!(
        "{HEAD}descripton = \"x\"\n[[steps]]\nkey = \"a\"\ntype = \"integration_requst\"\n[[steps]]\nkey = \"b\"\ntype = \"delay\"\nduration = \"soon\"\nmethod = \"GET\"\n"
    ));
    assert!(text.contains("unknown field `descripton`"), "{text}");
    assert!(
        text.contains("unknown step type `integration_requst`"),
        "{text}"
    );
    assert!(
        text.contains("did you mean `integration_request`?"),
        "{text}"
    );
    assert!(text.contains("invalid duration `soon`"), "{text}");
    assert!(
        text.contains("field `method` does not apply to a `delay` step"),
        "{text}"
    );
}

#[test]
fn settings_references_are_checked() {
    let text = errors(&format!(
        "{HEAD}[[settings]]\nkey = \"project\"\nlabel = \"Project\"\n[[steps]]\nkey = \"a\"\ntype = \"request\"\nurl = \"https://example.com/{{settings.projet}}\"\n"
    ));
    assert!(
        text.contains("`{settings.projet}` refers to an undeclared setting"),
        "{text}"
    );
    assert!(
        text.contains("did you mean `{settings.project}`?"),
        "{text}"
    );
}

#[test]
fn a_missing_trigger_and_a_malformed_template() {
    let text = errors(
        "name = \"Demo\"\n[[steps]]\nkey = \"a\"\ntype = \"request\"\nurl = \"https://x/{trigger.body\"\n",
    );
    assert!(text.contains("missing field `trigger`"), "{text}");
    assert!(text.contains("unclosed `{` in template"), "{text}");
    assert!(text.contains("demo.toml:5:18"), "{text}");
}

#[test]
fn events_files_are_checked() {
    let err = workflow::parse_events(
        "[[events]]\nname = \"A\"\n[[events]]\nname = \"A\"\nexampel = {}\n",
        Path::new("specs/events.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("event `A` is declared twice"), "{err}");
    assert!(err.contains("did you mean `example`?"), "{err}");
}
