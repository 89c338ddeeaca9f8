//! The key every mask draws its randomness from.
//!
//! Each masked value seeds its own RNG from a keyed BLAKE3 hash of (kind, original value): with a
//! secret the output is the same in every table, run and engine; without one a random key is
//! drawn per run, so values still agree across tables within the run but cannot be reproduced or
//! reversed by hashing guesses.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub struct Keyring {
    key: [u8; 32],
}

impl Keyring {
    pub fn from_secret(secret: &str) -> Self {
        Keyring { key: blake3::derive_key("dbtwin 2026 mask key v1", secret.as_bytes()) }
    }

    /// A key from a number given on the command line: reproducible, and not a secret, so a
    /// seeded run is for fixtures, not for data that must resist re-identification.
    pub fn from_seed(seed: u64) -> Self {
        Keyring { key: blake3::derive_key("dbtwin 2026 mask seed v1", &seed.to_le_bytes()) }
    }

    pub fn random() -> Self {
        // The thread RNG is a CSPRNG seeded from the OS.
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        Keyring { key }
    }

    /// Keyed digest of `input` in `domain`; domains keep kinds from sharing outputs.
    pub fn digest(&self, domain: &str, input: &[u8]) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(domain.as_bytes());
        h.update(&[0]);
        h.update(input);
        *h.finalize().as_bytes()
    }

    pub fn rng(&self, domain: &str, input: &[u8]) -> ChaCha8Rng {
        ChaCha8Rng::from_seed(self.digest(domain, input))
    }
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(..)")
    }
}
