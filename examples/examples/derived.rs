//! `#[derive(Integration)]`, inline and from files.
//!
//! `cargo run --example derived` — everything runs in-process on loopback; see
//! `paragon_examples::derived`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::derived::run(&mut out).await)
}
