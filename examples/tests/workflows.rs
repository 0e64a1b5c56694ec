//! The workflows example runs both shipped workflows end to end.

use paragon_examples::{Out, workflows};

#[tokio::test]
async fn the_workflows_example_runs_both_workflows() {
    let mut out = Out::capture();
    workflows::run(&mut out).await.expect("workflows example");
    let text = out.text();
    assert!(text.contains("Mirror app tasks   enabled"), "{text}");
    assert!(
        text.contains("  start      SUCCEEDED"),
        "the urgent branch ran: {text}"
    );
    assert!(text.contains("Response(Object {\"open\": Number(1), \"titles\": Array [String(\"[app] Call the plumber\")]})"), "{text}");
}
