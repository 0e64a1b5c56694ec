//! Encryption of secrets at rest: AES-256-GCM (aws-lc-rs) with a random 96-bit nonce per value.
//!
//! Each stored value is `nonce || ciphertext+tag`, bound by associated data to the row it
//! belongs to (a credential id or an OAuth state), so a ciphertext copied into another row
//! fails to decrypt. The key's id (a fingerprint, never the key) is stored beside each value,
//! so a value is decrypted with the key it was written with — the current key or one of the
//! previous keys kept for rotation — and a value under a key that is not configured is
//! reported clearly (naming the key id it needs) instead of as a generic decryption failure.
//! New values are always written with the current key.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use std::fmt;
use std::sync::Arc;

/// An AES-256-GCM key (aws-lc-rs, the one crypto stack of the server).
fn aead_key(key: &EncryptionKey) -> LessSafeKey {
    // A 32-byte key is always accepted for AES-256-GCM.
    #[allow(clippy::expect_used)]
    let unbound = UnboundKey::new(&AES_256_GCM, &key.0).expect("a 32-byte AES-256 key");
    LessSafeKey::new(unbound)
}

/// A 256-bit key for encrypting credentials at rest. `Debug` never shows the key.
#[derive(Clone)]
pub struct EncryptionKey([u8; 32]);

impl EncryptionKey {
    /// Parses a key given as 64 hex digits or as base64 (standard or URL-safe, padded or
    /// not) of exactly 32 bytes: what `openssl rand -base64 32` prints.
    pub fn parse(text: &str) -> Result<Self, EncryptionKeyError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| EncryptionKeyError::Encoding)?
        } else {
            let cleaned = text.trim_end_matches('=');
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(cleaned)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cleaned))
                .map_err(|_| EncryptionKeyError::Encoding)?
        };
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| EncryptionKeyError::Length(b.len()))?;
        Ok(Self(key))
    }

    /// A fresh random key (development mode).
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        Self(key)
    }

    /// The key as standard base64, for printing a generated development key once.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }

    /// A short public fingerprint of the key, stored beside every encrypted value.
    pub fn id(&self) -> String {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(b"paragon-local encryption key id v1\0");
        ctx.update(&self.0);
        let digest = ctx.finish();
        digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey(id={}, <redacted>)", self.id())
    }
}

/// Why an encryption key could not be read. Never includes the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptionKeyError {
    /// Neither 64 hex digits nor base64.
    #[error("expected 64 hex digits or base64 of 32 bytes (e.g. `openssl rand -base64 32`)")]
    Encoding,
    /// Decoded, but not 32 bytes long.
    #[error("the key must be 32 bytes (256 bits), got {0} bytes")]
    Length(usize),
}

/// Why a stored value could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The value was written with a key that is neither the current key nor a previous one.
    #[error(
        "value was encrypted with key id {stored}, but no configured key has that id (current \
         key id {configured}{}); set that key as PARAGON_LOCAL_ENCRYPTION_KEY or add it to \
         PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS",
        previous_ids(previous)
    )]
    WrongKey {
        /// The key id stored with the value.
        stored: String,
        /// The current key's id.
        configured: String,
        /// The previous keys' ids.
        previous: Vec<String>,
    },
    /// Authentication failed: the value was tampered with or moved to another row.
    #[error("stored value failed authentication (corrupted, or moved to another row)")]
    Corrupt,
}

fn previous_ids(ids: &[String]) -> String {
    if ids.is_empty() {
        ", no previous keys".to_string()
    } else {
        format!(", previous key ids {}", ids.join(", "))
    }
}

/// Encrypts with the current key; decrypts with whichever configured key a value names.
#[derive(Clone)]
pub(crate) struct Cipher {
    aead: Arc<LessSafeKey>,
    key_id: String,
    /// Keys kept only to read values written before a rotation, by id.
    previous: Vec<(String, Arc<LessSafeKey>)>,
}

impl Cipher {
    /// A cipher over one key.
    #[cfg(test)]
    pub(crate) fn new(key: &EncryptionKey) -> Self {
        Self::with_previous(key, &[])
    }

    /// A cipher writing with `current` and also reading values written with `previous`
    /// (a previous key equal to the current one, or repeated, is ignored).
    pub(crate) fn with_previous(current: &EncryptionKey, previous: &[EncryptionKey]) -> Self {
        let key_id = current.id();
        let mut keys: Vec<(String, Arc<LessSafeKey>)> = Vec::new();
        for key in previous {
            let id = key.id();
            if id != key_id && keys.iter().all(|(known, _)| *known != id) {
                keys.push((id, Arc::new(aead_key(key))));
            }
        }
        Self {
            aead: Arc::new(aead_key(current)),
            key_id,
            previous: keys,
        }
    }

    /// The current key's id: stored beside every value this cipher seals.
    pub(crate) fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Whether `key_id` is one of the previous keys (values under it should be re-encrypted).
    pub(crate) fn is_previous(&self, key_id: &str) -> bool {
        self.previous.iter().any(|(id, _)| id == key_id)
    }

    /// The previous keys' ids, in configuration order.
    pub(crate) fn previous_ids(&self) -> Vec<String> {
        self.previous.iter().map(|(id, _)| id.clone()).collect()
    }

    /// `nonce || ciphertext`, authenticated with `aad`, under the current key.
    pub(crate) fn seal(&self, aad: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        // `nonce || ciphertext || tag`: the layout the `aes-gcm` crate wrote before, so
        // values stored by earlier versions open unchanged.
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        // Sealing only fails for inputs larger than GCM's 64 GiB limit.
        if self
            .aead
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut body,
            )
            .is_err()
        {
            return Vec::new();
        }
        out.extend_from_slice(&body);
        out
    }

    /// Decrypts a value sealed under the key with id `key_id` (current or previous).
    pub(crate) fn open(
        &self,
        key_id: &str,
        aad: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let aead = if key_id == self.key_id {
            &self.aead
        } else {
            match self.previous.iter().find(|(id, _)| id == key_id) {
                Some((_, aead)) => aead,
                None => {
                    return Err(CryptoError::WrongKey {
                        stored: key_id.to_string(),
                        configured: self.key_id.clone(),
                        previous: self.previous_ids(),
                    });
                }
            }
        };
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Corrupt);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Corrupt)?;
        let mut body = ct.to_vec();
        let plain = aead
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut body)
            .map_err(|_| CryptoError::Corrupt)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let key = EncryptionKey::generate();
        let c = Cipher::new(&key);
        let sealed = c.seal("cred-1", b"secret");
        assert_ne!(&sealed[NONCE_LEN..], b"secret");
        assert_eq!(c.open(c.key_id(), "cred-1", &sealed).unwrap(), b"secret");
        assert!(matches!(
            c.open(c.key_id(), "cred-2", &sealed),
            Err(CryptoError::Corrupt)
        ));
        // Fresh nonce each time.
        assert_ne!(c.seal("cred-1", b"secret"), sealed);
        let other = Cipher::new(&EncryptionKey::generate());
        assert!(matches!(
            other.open(c.key_id(), "cred-1", &sealed),
            Err(CryptoError::WrongKey { .. })
        ));
    }

    #[test]
    fn previous_keys_decrypt_and_current_key_encrypts() {
        let (a, b, c) = (
            EncryptionKey::generate(),
            EncryptionKey::generate(),
            EncryptionKey::generate(),
        );
        let old = Cipher::new(&a);
        let sealed = old.seal("cred-1", b"secret");
        let rotated = Cipher::with_previous(&b, &[a.clone(), b.clone(), a.clone()]);
        assert_eq!(rotated.previous_ids(), vec![a.id()]);
        assert!(rotated.is_previous(&a.id()) && !rotated.is_previous(&b.id()));
        assert_eq!(rotated.open(&a.id(), "cred-1", &sealed).unwrap(), b"secret");
        assert_eq!(rotated.key_id(), b.id());
        let resealed = rotated.seal("cred-1", b"secret");
        assert!(Cipher::new(&b).open(&b.id(), "cred-1", &resealed).is_ok());
        // A key that is configured nowhere: the error names the id it needs, never a key.
        let err = Cipher::with_previous(&b, std::slice::from_ref(&c))
            .open(&a.id(), "cred-1", &sealed)
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&a.id()) && text.contains(&c.id()), "{text}");
        assert!(
            text.contains("PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS"),
            "{text}"
        );
        for key in [&a, &b, &c] {
            assert!(!text.contains(&key.to_base64()), "{text}");
        }
    }

    #[test]
    fn parse_forms() {
        let k = EncryptionKey::generate();
        let b64 = k.to_base64();
        assert_eq!(EncryptionKey::parse(&b64).unwrap().id(), k.id());
        let hex: String = k.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(EncryptionKey::parse(&hex).unwrap().id(), k.id());
        let err = EncryptionKey::parse("c2hvcnQ=").unwrap_err().to_string();
        assert!(err.contains("32 bytes"), "{err}");
        assert!(!format!("{k:?}").contains(&b64));
    }
}
