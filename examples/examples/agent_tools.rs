//! Listing a user's tools for an AI agent and running one through ActionKit.
//!
//! `cargo run --example agent_tools` — everything runs in-process on loopback; see
//! `paragon_examples::agent_tools`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::agent_tools::run(&mut out).await)
}
