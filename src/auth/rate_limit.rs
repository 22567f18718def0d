//! Limits on password guessing and mass registration, counted in PostgreSQL so every server
//! process sees the same numbers.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use sqlx::PgPool;

use crate::error::{AppError, Result};
use crate::{AppState, Config};

/// The client's address: the connection's peer, or, when the peer is the configured reverse
/// proxy, the address that proxy appended to X-Forwarded-For (the rightmost one: anything to
/// its left was written by the client and proves nothing).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or_else(|| anyhow::anyhow!("the server was started without peer addresses"))?;
        if Some(peer) != state.config.trusted_proxy {
            return Ok(ClientIp(peer));
        }
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|ip| ip.trim().parse().ok());
        Ok(ClientIp(forwarded.unwrap_or(peer)))
    }
}

/// What is being limited. Each limit counts hits per bucket (an account, an address, a member)
/// in fixed windows of the configured length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Password tries for one account from one address: the tight limit, which an attacker
    /// elsewhere cannot use up for the account's owner.
    LoginAccountFromAddress,
    /// Password tries for one account from anywhere: ten times slower, against guessing spread
    /// over many addresses.
    LoginAccount,
    /// Password tries from one address for any account: against trying one password on many.
    LoginAddress,
    /// Accounts created from one address.
    Registration,
    /// Previews a member asks for (each renders a body of up to 100 000 characters).
    Preview,
    /// Reset links asked for at `/forgot` from one address.
    ResetAddress,
    /// Reset links asked for one account (by the name or address typed): a few, so nobody can
    /// fill a member's inbox.
    ResetAccount,
}

impl Limit {
    fn name(self) -> &'static str {
        match self {
            Limit::LoginAccountFromAddress => "login-account-address",
            Limit::LoginAccount => "login-account",
            Limit::LoginAddress => "login-address",
            Limit::Registration => "registration",
            Limit::Preview => "preview",
            Limit::ResetAddress => "reset-address",
            Limit::ResetAccount => "reset-account",
        }
    }

    fn allowance(self, config: &Config) -> i32 {
        let base = i32::try_from(config.rate_limit).unwrap_or(i32::MAX);
        let times = match self {
            Limit::LoginAccountFromAddress | Limit::Registration | Limit::ResetAddress => 1,
            Limit::LoginAddress => 3,
            Limit::LoginAccount => 10,
            Limit::Preview => 12,
            // A third of the base: three links a window with the default of ten.
            Limit::ResetAccount => return (base / 3).max(1),
        };
        base.saturating_mul(times)
    }
}

/// The three buckets a password try counts against.
pub fn login_buckets(account: &str, ip: ClientIp) -> [(Limit, String); 3] {
    // No account name is longer (emails stop at 254); a longer key could not be indexed.
    let account: String = account.to_lowercase().chars().take(256).collect();
    [
        (
            Limit::LoginAccountFromAddress,
            format!("{account}|{}", ip.0),
        ),
        (Limit::LoginAccount, account),
        (Limit::LoginAddress, ip.0.to_string()),
    ]
}

/// Hits counted by `spend`, to give back with `refund`.
pub struct Spent {
    buckets: Vec<String>,
    window_start: time::OffsetDateTime,
}

/// Counts one hit in each bucket and refuses with 429 if any is now over its allowance. Count
/// and check are one statement, so however many requests arrive at once, no more than the
/// allowance get through; refused hits count too.
pub async fn spend(db: &PgPool, config: &Config, hits: &[(Limit, String)]) -> Result<Spent> {
    let window = config.rate_window.whole_seconds().max(1);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let window_start = time::OffsetDateTime::from_unix_timestamp(now - now.rem_euclid(window))
        .map_err(|e| anyhow::anyhow!("window start: {e}"))?;
    let buckets: Vec<String> = hits
        .iter()
        .map(|(limit, key)| format!("{}:{key}", limit.name()))
        .collect();
    let counts: Vec<(String, i32)> = sqlx::query_as(
        "INSERT INTO rate_counters (bucket, window_start, hits)
         SELECT bucket, $2, 1 FROM unnest($1::text[]) AS bucket
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counters.hits + 1
         RETURNING bucket, hits",
    )
    .bind(&buckets)
    .bind(window_start)
    .fetch_all(db)
    .await?;
    let over = hits.iter().zip(&buckets).any(|((limit, _), bucket)| {
        counts
            .iter()
            .any(|(b, n)| b == bucket && *n > limit.allowance(config))
    });
    if over {
        return Err(AppError::TooManyRequests);
    }
    Ok(Spent {
        buckets,
        window_start,
    })
}

/// Gives back hits that turned out not to be abuse (a password try that succeeded).
pub async fn refund(db: &PgPool, spent: Spent) -> Result<()> {
    sqlx::query(
        "UPDATE rate_counters SET hits = hits - 1
          WHERE bucket = ANY($1) AND window_start = $2 AND hits > 0",
    )
    .bind(&spent.buckets)
    .bind(spent.window_start)
    .execute(db)
    .await?;
    Ok(())
}

/// Old windows say nothing about the current one; the server's housekeeping drops them.
pub async fn forget_old(db: &PgPool) -> Result<u64> {
    let dropped =
        sqlx::query("DELETE FROM rate_counters WHERE window_start < now() - interval '1 day'")
            .execute(db)
            .await?;
    Ok(dropped.rows_affected())
}
