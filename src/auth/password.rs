//! Password hashing with argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane). Hashing
//! takes tens of milliseconds of CPU, so it runs on the blocking pool, never on the async
//! runtime's workers.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes running at once. Each takes 19 MiB and a core for tens of milliseconds, so a burst of
/// logins queues here instead of growing the process by 19 MiB per login (64 at once once
/// measured 603 MB resident, never given back).
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

pub async fn hash(password: String) -> anyhow::Result<String> {
    let _turn = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?
        .to_string())
}

/// Checks `password` against a stored hash. With no stored hash (unknown account) it checks
/// against a dummy, so an unknown username costs the same time as a wrong password.
pub async fn verify(stored: Option<String>, password: String) -> anyhow::Result<bool> {
    let _turn = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok(argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_blocking("not a password anyone has").expect("hashing a constant works")
});

/// A long random secret for accounts that must not be logged into with a password yet.
pub fn random_secret() -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_argon2id_with_owasp_parameters() {
        let hash = super::hash_blocking("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }

    #[tokio::test]
    async fn verifies_only_the_right_password() {
        let hash = super::hash_blocking("correct horse battery").unwrap();
        assert!(
            super::verify(Some(hash.clone()), "correct horse battery".into())
                .await
                .unwrap()
        );
        assert!(!super::verify(Some(hash), "wrong horse battery".into())
            .await
            .unwrap());
        assert!(!super::verify(None, "anything at all".into()).await.unwrap());
    }
}
