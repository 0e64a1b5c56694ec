//! Connect a demo user to Task Lab, then call it three ways: `Paragon::new(token).request(...)`, the generated typed client, and a `#[derive(Integration)]` type.
//!
//! `cargo run --example quickstart` — everything runs in-process on loopback; see
//! `paragon_examples::quickstart`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::quickstart::run(&mut out).await)
}
