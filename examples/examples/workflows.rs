//! Run the example workflows of `specs/tasklab/workflows/`: an app event and a Request trigger
//! answered by a Response step, then the run read back from the Task History API.
//!
//! `cargo run --example workflows` — everything runs in-process on loopback; see
//! `paragon_examples::workflows`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::workflows::run(&mut out).await)
}
