//! Configuration from environment variables, with defaults that serve a demo on a laptop.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`; without it the server runs a private cluster in `data_dir/postgres`.
    pub database_url: Option<String>,
    /// `COMMONPLACE_READ_DATABASE_URL`: a streaming replica of that database. Pages that only
    /// read are served from it, except to a member whose latest write it has not replayed yet
    /// (see `database::replica`).
    pub read_database_url: Option<String>,
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
    /// Live update streams open at once (256, half the connections, so pages always have room);
    /// past that a page is told "busy" and keeps working without them.
    pub live_streams: usize,
    /// How often an idle live stream sends a comment line (15 s), so proxies keep it open and a
    /// dead connection is noticed.
    pub live_heartbeat: std::time::Duration,
    /// `COMMONPLACE_SMTP_URL`, e.g. `smtp://user:pass@host:587?tls=required` (lettre's URL
    /// form: `smtps://` for TLS from the start, `?tls=required` or `?tls=opportunistic` for
    /// STARTTLS). Without it no mail is sent; admins read what would have been at `/admin/outbox`.
    pub smtp_url: Option<String>,
    /// `COMMONPLACE_MAIL_FROM`, e.g. `Garden Commons <noreply@garden.example>`. Default
    /// `Commonplace <noreply@host>`, the host from the base URL.
    pub mail_from: String,
    /// `COMMONPLACE_METRICS_TOKEN`: the bearer token a Prometheus scraper sends to `/metrics`.
    /// Without it `/metrics` answers only direct requests from this machine.
    pub metrics_token: Option<String>,
    /// `COMMONPLACE_DEMO=off`: an empty database stays empty, for a real community (the first
    /// admin is made with `commonplace admin create-user --admin`). On by default.
    pub seed_demo: bool,
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
        let base_url = var("COMMONPLACE_BASE_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        Ok(Config {
            database_url: var("DATABASE_URL"),
            read_database_url: var("COMMONPLACE_READ_DATABASE_URL")
                .map(|url| {
                    url.parse::<sqlx::postgres::PgConnectOptions>()
                        .map(|_| url)
                        .context("COMMONPLACE_READ_DATABASE_URL is not a valid PostgreSQL URL")
                })
                .transpose()?,
            bind,
            data_dir: var("COMMONPLACE_DATA_DIR")
                .unwrap_or_else(|| "data".into())
                .into(),
            base_url: base_url.clone(),
            trusted_proxy,
            demo_password: var("COMMONPLACE_DEMO_PASSWORD"),
            smtp_url: var("COMMONPLACE_SMTP_URL"),
            mail_from: var("COMMONPLACE_MAIL_FROM").unwrap_or_else(|| default_from(&base_url)),
            metrics_token: var("COMMONPLACE_METRICS_TOKEN"),
            seed_demo: match var("COMMONPLACE_DEMO").as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(_) => anyhow::bail!("COMMONPLACE_DEMO must be on or off"),
            },
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
            read_database_url: None,
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
            live_streams: 256,
            live_heartbeat: std::time::Duration::from_secs(15),
            smtp_url: None,
            mail_from: default_from("http://127.0.0.1:3000"),
            metrics_token: None,
            seed_demo: true,
        }
    }

    /// The domain the site's mail comes from (the base URL's host; a local address has none,
    /// so mail from it uses `localhost.localdomain`), for `Message-ID`s.
    pub fn mail_domain(&self) -> &str {
        mail_domain(&self.base_url)
    }

    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

fn host_of(base_url: &str) -> &str {
    let after_scheme = base_url.split("://").nth(1).unwrap_or(base_url);
    let authority = after_scheme.split('/').next().unwrap_or(after_scheme);
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

fn mail_domain(base_url: &str) -> &str {
    match host_of(base_url) {
        host if host.is_empty() || host == "localhost" || host.parse::<IpAddr>().is_ok() => {
            "localhost.localdomain"
        }
        host => host,
    }
}

fn default_from(base_url: &str) -> String {
    format!("Commonplace <noreply@{}>", mail_domain(base_url))
}
