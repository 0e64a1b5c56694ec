//! paragon-local (work in progress).
#![warn(missing_docs)]

mod api;
mod auth;
mod crypto;
mod error;
mod integration;
mod oauth;
mod portal;
mod proxy;
mod refresh;
mod server;
mod state;
mod store;

pub use auth::ProjectKey;
pub use crypto::EncryptionKey;
pub use error::StartError;
pub use server::{LocalServer, LocalServerBuilder, RunningServer};
pub use store::{Backend, StoreError};
