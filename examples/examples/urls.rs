//! Cloud, on-prem and per-service URL configuration.
//!
//! `cargo run --example urls` — everything runs in-process on loopback; see
//! `paragon_examples::urls`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::urls::run(&mut out).await)
}
