//! An axum service calling its users' Task Lab accounts with the project's signing key.
//!
//! `cargo run --example service` — everything runs in-process on loopback; see
//! `paragon_examples::service`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::service::run(&mut out).await)
}
