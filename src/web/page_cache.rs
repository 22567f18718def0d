//! A per-process cache of the pages anonymous visitors see, the way Discourse's anonymous cache
//! works: a visitor without a session gets the same bytes as every other such visitor, so the
//! finished response (already compressed) is kept and replayed without touching the database.
//!
//! It stays correct across several processes because PostgreSQL tells each of them about every
//! write: a trigger on each table that shows on public pages notifies `commonplace_pages`
//! (migration `page_changes.sql`), and the process's one listener (`live::listen`) empties the
//! cache when it hears it.
//! While the listener is not connected, nothing is served from or stored in the cache. Entries
//! also expire after a minute, so "3 minutes ago" never reads that way for an hour.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

use crate::error::AppError;

/// The channel the `notify_pages_changed` trigger announces writes on.
pub const CHANNEL: &str = "commonplace_pages";
/// Says whether a response came from the cache (`hit`) or was rendered and kept (`miss`), for
/// operators and the tests; responses the cache may not keep do not carry it.
pub const STATUS_HEADER: HeaderName = HeaderName::from_static("x-page-cache");
const MAX_AGE: Duration = Duration::from_secs(60);
/// Bytes of cached pages per process; the least used pages make room for new ones.
const CAPACITY_BYTES: u64 = 32 * 1024 * 1024;
/// Larger pages are served but not kept.
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
/// Far above any page this server renders; only a broken body stream could reach it.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

pub struct PageCache {
    pages: Cache<Key, Arc<Cached>, ByWeight>,
    /// Bumped by every write notification; an entry is served only under the generation it was
    /// rendered in, so a page rendered from data read before a write is never kept after it.
    generation: AtomicU64,
    /// Whether the listener is connected: without it, writes could go unheard.
    listening: AtomicBool,
}

/// The full request target and the encodings the client accepts (compression varies on it).
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    target: String,
    accept_encoding: String,
    /// A visitor who chose light or dark colours gets the page drawn in them.
    theme: Option<super::page::Theme>,
}

struct Cached {
    generation: u64,
    stored_at: Instant,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct ByWeight;

impl Weighter<Key, Arc<Cached>> for ByWeight {
    fn weight(&self, key: &Key, page: &Arc<Cached>) -> u64 {
        (key.target.len() + page.body.len() + 512) as u64
    }
}

impl PageCache {
    /// A cache that serves nothing until the listener says it hears the database's writes.
    pub fn new() -> PageCache {
        PageCache {
            pages: Cache::with_weighter(4096, CAPACITY_BYTES, ByWeight),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
        }
    }

    /// Whether the process is listening for writes (`live::listen`). Either way the cache
    /// starts empty: writes made while nobody listened were not heard.
    pub fn set_listening(&self, listening: bool) {
        self.invalidate();
        self.listening.store(listening, Ordering::SeqCst);
    }

    /// A write was announced: every kept page may be stale.
    pub fn heard_write(&self) {
        self.invalidate();
    }

    /// Pages kept now, and their weight in bytes.
    pub fn size(&self) -> (usize, u64) {
        (self.pages.len(), self.pages.weight())
    }

    /// Bumped by every write heard; a page read from the replica may be kept only if the
    /// replica had replayed the primary as it was at this generation (`database::replica`).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Whether a response to this request would be kept for other visitors.
    pub fn would_keep(&self, request: &Request) -> bool {
        self.current_generation().is_some() && key_for(request).is_some()
    }

    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.pages.clear();
    }

    fn current_generation(&self) -> Option<u64> {
        self.listening
            .load(Ordering::SeqCst)
            .then(|| self.generation.load(Ordering::SeqCst))
    }

    fn fresh(&self, key: &Key, generation: u64) -> Option<Response> {
        let page = self.pages.get(key)?;
        if page.generation != generation || page.stored_at.elapsed() > MAX_AGE {
            return None;
        }
        let mut response = Response::new(Body::from(page.body.clone()));
        *response.headers_mut() = page.headers.clone();
        response
            .headers_mut()
            .insert(STATUS_HEADER, HeaderValue::from_static("hit"));
        Some(response)
    }

    fn store(&self, key: Key, generation: u64, headers: &HeaderMap, body: Bytes) {
        if self.current_generation() != Some(generation) {
            return;
        }
        let page = Cached {
            generation,
            stored_at: Instant::now(),
            headers: headers.clone(),
            body,
        };
        self.pages.insert(key, Arc::new(page));
    }
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::new()
    }
}

/// The key for a request the cache may answer: a GET of a page by someone with no session.
fn key_for(request: &Request) -> Option<Key> {
    if request.method() != Method::GET {
        return None;
    }
    let path = request.uri().path();
    // Static assets and uploads set their own caching (an upload is too large to keep), and a
    // live stream never ends: there is no whole response to keep.
    if path.starts_with("/static/")
        || path.starts_with("/uploads/")
        || path == "/healthz"
        || path == "/readyz"
        || path == crate::live::routes::PATH
    {
        return None;
    }
    if super::carries_session(request.headers()) {
        return None;
    }
    let accept_encoding = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Some(Key {
        target: request.uri().to_string(),
        accept_encoding: accept_encoding.to_string(),
        theme: super::page::Theme::of(request.headers()),
    })
}

/// Only a plain success that starts no session is the same for every anonymous visitor, and
/// only if it does not forbid keeping it (`/metrics` answers some visitors and not others).
fn is_shareable(response: &Response) -> bool {
    let headers = response.headers();
    let no_store = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    response.status() == StatusCode::OK && !headers.contains_key(header::SET_COOKIE) && !no_store
}

/// The middleware: answer from the cache, or render and keep the result.
pub async fn serve(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    let (Some(key), Some(generation)) = (key_for(&request), cache.current_generation()) else {
        return next.run(request).await;
    };
    if let Some(page) = cache.fresh(&key, generation) {
        return page;
    }
    let response = next.run(request).await;
    if !is_shareable(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            if bytes.len() <= MAX_PAGE_BYTES {
                cache.store(key, generation, &parts.headers, bytes.clone());
                parts
                    .headers
                    .insert(STATUS_HEADER, HeaderValue::from_static("miss"));
            }
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(err) => {
            AppError::Internal(anyhow::anyhow!("reading a page to cache it: {err}")).into_response()
        }
    }
}
