//! Paging through Task Lab's tasks with the generated client's `items()` and `pages()` streams.
//!
//! `cargo run --example paging` — everything runs in-process on loopback; see
//! `paragon_examples::paging`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut out = paragon_examples::Out::stdout();
    paragon_examples::exit_code(paragon_examples::paging::run(&mut out).await)
}
