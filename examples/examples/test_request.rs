//! Send the test request of an integration.
//!
//! `cargo run --example test_request` — everything runs in-process on loopback; see
//! `paragon_examples::test_request`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::test_request::run(&mut out).await)
}
