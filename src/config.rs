//! Configuration from environment variables, with defaults that serve a demo on a laptop.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`; without it the server runs a private cluster in `data_dir/postgres`.
    pub database_url: Option<String>,
    /// `COMMONPLACE_BIND`, default 127.0.0.1:3000.
    pub bind: SocketAddr,
    /// `COMMONPLACE_DATA_DIR`, default ./data.
    pub data_dir: PathBuf,
    /// `COMMONPLACE_BASE_URL`: the address members use, for links in feeds and mail. Default
    /// http:// plus the bind address. An https base URL makes the session cookie Secure.
    pub base_url: String,
    /// `COMMONPLACE_TRUSTED_PROXY`: the one peer address whose X-Forwarded-For is believed.
    /// Without it the client address is the connection's peer, so nobody can dodge rate limits
    /// by sending the header themselves.
    pub trusted_proxy: Option<IpAddr>,
    /// `COMMONPLACE_DEMO_PASSWORD`: the password of the seeded demo accounts; random if unset.
    pub demo_password: Option<String>,
    /// The base of every rate limit (see `auth::rate_limit::Limit`): password tries per account
    /// and address, and registrations per address, allowed in `rate_window` before a 429.
    pub rate_limit: u32,
    pub rate_window: time::Duration,
    /// `COMMONPLACE_PAGE_CACHE=off` turns off the anonymous page cache (on by default).
    pub page_cache: bool,
    /// How long a connection may take to send a request's head, and a request its body, before
    /// the server closes it (10 s): a slow client cannot hold a connection open.
    pub header_timeout: std::time::Duration,
    pub body_timeout: std::time::Duration,
    /// Open connections at most (512); past that the server accepts no more until one closes.
    pub max_connections: usize,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let bind: SocketAddr = var("COMMONPLACE_BIND")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("COMMONPLACE_BIND must be an address like 127.0.0.1:3000")?;
        let trusted_proxy = var("COMMONPLACE_TRUSTED_PROXY")
            .map(|v| {
                v.parse()
                    .context("COMMONPLACE_TRUSTED_PROXY must be an IP address")
            })
            .transpose()?;
        Ok(Config {
            database_url: var("DATABASE_URL"),
            bind,
            data_dir: var("COMMONPLACE_DATA_DIR")
                .unwrap_or_else(|| "data".into())
                .into(),
            base_url: var("COMMONPLACE_BASE_URL")
                .unwrap_or_else(|| format!("http://{bind}"))
                .trim_end_matches('/')
                .to_string(),
            trusted_proxy,
            demo_password: var("COMMONPLACE_DEMO_PASSWORD"),
            page_cache: match var("COMMONPLACE_PAGE_CACHE").as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(_) => anyhow::bail!("COMMONPLACE_PAGE_CACHE must be on or off"),
            },
            ..Config::defaults()
        })
    }

    /// Settings that do not come from the environment, for tests and `from_env`.
    pub fn defaults() -> Self {
        Config {
            database_url: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: "data".into(),
            base_url: "http://127.0.0.1:3000".into(),
            trusted_proxy: None,
            demo_password: None,
            rate_limit: 10,
            rate_window: time::Duration::minutes(15),
            page_cache: true,
            header_timeout: std::time::Duration::from_secs(10),
            body_timeout: std::time::Duration::from_secs(10),
            max_connections: 512,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
