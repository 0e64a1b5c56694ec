//! The typed Task Lab client that `build.rs` generates from `specs/tasklab`.
//!
//! `cargo run --example typed_client` — everything runs in-process on loopback; see
//! `paragon_examples::typed_client`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::typed_client::run(&mut out).await)
}
