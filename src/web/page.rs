//! What the layout renders on every page, and the small helpers templates call. This file
//! depends on nothing else in the crate, so the error page (`error`) can use it without a
//! cycle: `web::page` ← `error` ← the rest of `web` ← `auth` ← every module.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The signed-in member, as the layout and permission checks need them. Kept in the loaded
/// session for the rest of its request (`auth::store`), never stored.
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub unread_notifications: i64,
}

impl CurrentUser {
    /// The header's badge: the unread count, "99+" beyond 99 (counted up to 100, in SQL's
    /// `unread_badge`), "0" for none.
    pub fn unread_label(&self) -> String {
        unread_label(self.unread_notifications)
    }
}

/// How an unread count reads in the header, in the live stream's updates to it and on the
/// unread and new tabs; the counts stop at 100 (`unread_badge`, `forum::reading::COUNTED_UP_TO`).
pub fn unread_label(count: i64) -> String {
    if count > 99 {
        "99+".into()
    } else {
        count.to_string()
    }
}

/// A list read with more rows than its page shows, to learn whether another page follows:
/// keeps the page's `per_page` rows and returns the first row past them, if there was one.
pub fn take_beyond<T>(rows: &mut Vec<T>, per_page: i64) -> Option<T> {
    let shown = usize::try_from(per_page).unwrap_or(0);
    if rows.len() <= shown {
        return None;
    }
    rows.split_off(shown).into_iter().next()
}

/// What the layout needs on every page.
#[derive(Clone, Debug, Default)]
pub struct PageContext {
    pub user: Option<CurrentUser>,
    /// Empty for visitors without a session; pages with forms for visitors ask for one.
    pub csrf: String,
    pub flash: Vec<Flash>,
    /// The colours chosen at `/appearance`; none follows the device's setting.
    pub theme: Option<Theme>,
}

/// Light or dark colours, chosen rather than taken from the device's setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Theme {
    Light,
    Dark,
}

/// The cookie that keeps a chosen theme: a preference of the browser, signed in or not.
pub const THEME_COOKIE: &str = "commonplace_theme";

impl Theme {
    pub fn parse(value: &str) -> Option<Theme> {
        match value {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    /// The theme the request's cookie names, if any.
    pub fn of(headers: &axum::http::HeaderMap) -> Option<Theme> {
        cookie(headers, THEME_COOKIE).and_then(Theme::parse)
    }
}

/// The value of a browser's own cookie (one the server reads, never one of the session's).
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, wanted: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value)
}

impl std::fmt::Display for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        })
    }
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

/// `value` as one segment of a URL's path (`/tags/no%20dig`): unlike a query string's
/// encoding, a space is `%20`, since a path keeps `+` as itself.
pub fn path_segment(value: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
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

/// The exact moment, shown when the pointer rests on a relative time: "23 Nov 2026, 22:17 UTC".
pub fn exact(at: &OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// An avatar's letters: the first letter of the first two words of a name ("Amara Okafor" is
/// "AO", "tomas" is "T").
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// An avatar's colour, one of twelve, the same for a username wherever it is shown.
pub fn hue(username: &str) -> u32 {
    // FNV-1a: stable across processes and releases, unlike the standard library's hasher.
    let hash = username
        .to_lowercase()
        .bytes()
        .fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
    hash % 12
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

/// A `datetime-local` field's value read as UTC: "2026-12-01T08:30" (or with seconds, as a
/// browser sends when the field's step asks for them).
pub fn parse_datetime_local(raw: &str) -> Option<OffsetDateTime> {
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(raw.trim(), minutes)
        .or_else(|_| time::PrimitiveDateTime::parse(raw.trim(), seconds))
        .map(time::PrimitiveDateTime::assume_utc)
        .ok()
}

/// The value a `datetime-local` field shows for a moment, in UTC: "2026-12-01T08:30".
pub fn datetime_local(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_keeps_its_rows_and_gives_up_the_first_beyond_them() {
        let mut rows = vec![1, 2, 3, 4];
        assert_eq!(take_beyond(&mut rows, 2), Some(3));
        assert_eq!(rows, [1, 2]);
        let mut full = vec![1, 2];
        assert_eq!(take_beyond(&mut full, 2), None);
        assert_eq!(full, [1, 2]);
        let mut short = vec![1];
        assert_eq!(take_beyond(&mut short, 2), None);
        assert_eq!(short, [1]);
    }

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("Amara Okafor"), "AO");
        assert_eq!(initials("tomas"), "T");
        assert_eq!(initials("  Mei  Lin Chen "), "ML");
        assert_eq!(initials("(ana) ñoño"), "AÑ");
        assert_eq!(initials(""), "");
    }

    #[test]
    fn a_username_has_one_of_twelve_colours_whatever_its_case() {
        assert!(hue("amara") < 12);
        assert_eq!(hue("Amara"), hue("amara"));
        let colours: std::collections::BTreeSet<u32> = [
            "amara", "tomas", "mei", "kofi", "ingrid", "raj", "lucia", "bea",
        ]
        .iter()
        .map(|name| hue(name))
        .collect();
        assert!(
            colours.len() > 3,
            "names spread over the colours: {colours:?}"
        );
    }

    #[test]
    fn the_exact_time_names_its_zone() {
        let at = time::macros::datetime!(2026-11-23 22:17:05 UTC);
        assert_eq!(exact(&at), "23 Nov 2026, 22:17 UTC");
    }
}
