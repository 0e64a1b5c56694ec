//! paragon-local (work in progress).
#![warn(missing_docs)]

mod auth;
mod crypto;
mod error;
mod store;

pub use auth::ProjectKey;
pub use crypto::EncryptionKey;
pub use error::StartError;
pub use store::{Backend, StoreError};
