//! The runnable examples of the Paragon toolkit, as library functions.
//!
//! Each example under `examples/examples/` is a thin `main` around one `run` function here, and
//! `tests/examples.rs` calls the same functions and checks their output. Every example starts
//! its own world in-process — Task Lab (the fake provider) and the local Connect server on
//! ephemeral loopback ports ([`Demo`]) — so none needs an environment variable or a network.
//!
//! | example | `cargo run --example …` | module |
//! |---|---|---|
//! | connect a user, then call the provider three ways | `quickstart` | [`quickstart`] |
//! | an axum service acting for its users with the signing key | `service` | [`service`] |
//! | the typed client `build.rs` generates from `specs/tasklab` | `typed_client` | [`typed_client`] |
//! | paging through a list with the typed client's streams | `paging` | [`paging`] |
//! | `#[derive(Integration)]`, inline and from files | `derived` | [`derived`] |
//! | cloud, on-prem and per-service URLs | `urls` | [`urls`] |
//! | "Send test request" for an integration | `test_request` | [`test_request`] |
//! | the example workflows: an app event, a Request trigger, the history | `workflows` | [`workflows`] |
//!
//! ```no_run
//! # async fn run() -> paragon_examples::Result<()> {
//! use paragon_examples::{Out, quickstart};
//!
//! let mut out = Out::capture();
//! quickstart::run(&mut out).await?;
//! assert!(out.text().contains("== 1. Paragon::new(token).request(...) =="));
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod agent_tools;
pub mod demo;
pub mod derived;
mod out;
pub mod paging;
pub mod quickstart;
pub mod service;
pub mod test_request;
pub mod typed_client;
pub mod urls;
pub mod workflows;

pub use demo::Demo;
pub use out::Out;

/// Any failure of an example, shown to the reader as is.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The result of an example.
pub type Result<T> = std::result::Result<T, Error>;

/// Turns an example's result into the process exit code, printing the error.
pub fn exit_code(result: Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
