//! What the layout renders on every page, and the small helpers templates call. This file
//! depends on nothing else in the crate, so the error page (`error`) can use it without a
//! cycle: `web::page` ← `error` ← the rest of `web` ← `auth` ← every module.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The signed-in member, as the layout and permission checks need them.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub unread_notifications: i64,
}

/// What the layout needs on every page.
#[derive(Clone, Debug, Default)]
pub struct PageContext {
    pub user: Option<CurrentUser>,
    /// Empty for visitors without a session; pages with forms for visitors ask for one.
    pub csrf: String,
    pub flash: Vec<Flash>,
}

impl PageContext {
    pub fn asset(&self, name: &str) -> String {
        asset_url(name)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Notice,
}

impl std::fmt::Display for FlashKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FlashKind::Success => "success",
            FlashKind::Notice => "notice",
        })
    }
}

/// Static files are compiled into the binary, so the server is one file to deploy and never
/// depends on a CDN. URLs carry a content hash, so browsers may cache them for a year.
pub(super) struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

pub(super) const ASSETS: &[Asset] = &[
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/style.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../static/favicon.svg"),
    },
    Asset {
        name: "commonplace.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/commonplace.js"),
    },
];

static ASSET_VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| format!("{:08x}", fnv1a(asset.body) as u32))
        .collect()
});

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x100000001b3)
    })
}

pub fn asset_url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/static/{name}?v={}", ASSET_VERSIONS[i]),
        None => format!("/static/{name}"),
    }
}

/// Percent-encodes a query-string value.
pub fn url_encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// A `next` parameter is only followed to a path on this site: `//evil.example` and
/// `https://…` are open redirects.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_string(),
        _ => "/".to_string(),
    }
}

/// A path on this site and nothing a browser could read as another: it starts with one `/`,
/// and holds only visible ASCII without `\`. Browsers drop tabs and newlines from a URL and
/// read `\` as `/`, so `/<tab>/evil.example` or `/\evil.example` would leave the site; and a
/// control character cannot go in a Location header at all.
fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// "3 hours ago"-style times for lists; the exact time is in the element's title.
pub fn ago(at: &OffsetDateTime) -> String {
    let seconds = (OffsetDateTime::now_utc() - *at).whole_seconds();
    match seconds {
        s if s < 60 => "just now".into(),
        s if s < 3600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3600, "hour"),
        s if s < 86_400 * 30 => plural(s / 86_400, "day"),
        s if s < 86_400 * 365 => plural(s / (86_400 * 30), "month"),
        s => plural(s / (86_400 * 365), "year"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    format!("{} ago", count(n, unit, &format!("{unit}s")))
}

/// "1 domain", "3 domains": a number and the noun that agrees with it.
pub fn count(n: i64, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// Machine-readable time for `<time datetime>`: UTC, whole seconds (HTML allows at most three
/// fractional digits; PostgreSQL keeps six).
pub fn iso(at: &OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}
