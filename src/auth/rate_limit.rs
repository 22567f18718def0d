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

#[derive(Clone, Copy)]
pub enum Attempt {
    LoginFailure,
    Registration,
}

impl Attempt {
    fn as_str(self) -> &'static str {
        match self {
            Attempt::LoginFailure => "login_failure",
            Attempt::Registration => "registration",
        }
    }
}

/// Refuses with 429 once the address, or the account, has used up its attempts in the window.
pub async fn check(
    db: &PgPool,
    config: &Config,
    attempt: Attempt,
    ip: ClientIp,
    account: Option<&str>,
) -> Result<()> {
    let since = time::OffsetDateTime::now_utc() - config.rate_window;
    let (by_ip, by_account): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE client_ip = $2),
                count(*) FILTER (WHERE account = $3)
           FROM auth_attempts
          WHERE kind = $1 AND at > $4 AND (client_ip = $2 OR account = $3)",
    )
    .bind(attempt.as_str())
    .bind(ip.0.to_string())
    .bind(account.map(str::to_lowercase))
    .bind(since)
    .fetch_one(db)
    .await?;
    let limit = i64::from(config.rate_limit);
    if by_ip >= limit || by_account >= limit {
        return Err(AppError::TooManyRequests);
    }
    Ok(())
}

pub async fn record(
    db: &PgPool,
    attempt: Attempt,
    ip: ClientIp,
    account: Option<&str>,
) -> Result<()> {
    sqlx::query("INSERT INTO auth_attempts (kind, client_ip, account) VALUES ($1, $2, $3)")
        .bind(attempt.as_str())
        .bind(ip.0.to_string())
        .bind(account.map(str::to_lowercase))
        .execute(db)
        .await?;
    Ok(())
}

/// Old attempts say nothing about the current window; the server's housekeeping drops them.
pub async fn forget_old(db: &PgPool) -> Result<()> {
    sqlx::query("DELETE FROM auth_attempts WHERE at < now() - interval '1 day'")
        .execute(db)
        .await?;
    Ok(())
}
