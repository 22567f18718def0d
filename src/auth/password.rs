//! Password hashing with argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane). Hashing
//! takes tens of milliseconds of CPU, so it runs on the blocking pool, never on the async
//! runtime's workers.

use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{AppError, Result};

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes running at once. Each takes 19 MiB and a core for tens of milliseconds, so a burst of
/// logins queues here instead of growing the process by 19 MiB per login (64 at once once
/// measured 603 MB resident, never given back).
static HASHING: Semaphore = Semaphore::const_new(2);

/// How long a request waits for a turn before it is answered "busy" (503 with Retry-After):
/// a queue of logins longer than a second is an attack or an overload, not members signing in.
const WAIT_FOR_A_TURN: Duration = Duration::from_secs(1);

async fn turn() -> Result<SemaphorePermit<'static>> {
    turn_from(&HASHING).await
}

async fn turn_from(hashing: &Semaphore) -> Result<SemaphorePermit<'_>> {
    tokio::time::timeout(WAIT_FOR_A_TURN, hashing.acquire())
        .await
        .map_err(|_| AppError::Busy(crate::error::OVERLOADED))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the hashing semaphore closed: {e}")))
}

pub async fn hash(password: String) -> Result<String> {
    let _turn = turn().await?;
    let hashed = tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(anyhow::Error::from)??;
    Ok(hashed)
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
pub async fn verify(stored: Option<String>, password: String) -> Result<bool> {
    let _turn = turn().await?;
    let verified = tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        anyhow::Ok(
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
        )
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok(verified)
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
    async fn a_try_that_waits_too_long_for_a_turn_is_answered_busy() {
        let all_taken = super::Semaphore::new(0);
        let started = std::time::Instant::now();
        let answer = super::turn_from(&all_taken).await;
        assert!(matches!(answer, Err(crate::error::AppError::Busy(_))));
        assert!(started.elapsed() < std::time::Duration::from_millis(1500));
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
