//! Cross-site request forgery protection by synchronizer token: every session carries a random
//! token, every form sends it back in a `csrf` field (URL-encoded or multipart; scripts may use
//! an `X-CSRF-Token` header; the query string is never read), and this middleware refuses any
//! state-changing request whose token does not match, before a handler runs. SameSite=Lax
//! cookies are a second line, not the only one.

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use super::session::CSRF;
use crate::error::AppError;
use crate::web::{MAX_FORM_BYTES, MAX_MULTIPART_BYTES};

pub fn new_token() -> String {
    crate::web::random_hex(32)
}

pub async fn verify(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return AppError::Internal(anyhow::anyhow!("the session layer is missing")).into_response();
    };
    let expected = match session.get::<String>(CSRF).await {
        Ok(token) => token,
        Err(err) => return AppError::from(err).into_response(),
    };
    let (parts, body) = request.into_parts();
    let header_token = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The token is never read from the query string: URLs end up in logs, history and Referer.
    let (sent, body) = match header_token {
        Some(token) => (Some(token), body),
        None if content_type.starts_with("application/x-www-form-urlencoded") => {
            match to_bytes(body, MAX_FORM_BYTES).await {
                Ok(bytes) => (form_field(&bytes, "csrf"), Body::from(bytes)),
                Err(_) => return AppError::PayloadTooLarge.into_response(),
            }
        }
        None if content_type.starts_with("multipart/form-data") => {
            match to_bytes(body, MAX_MULTIPART_BYTES).await {
                Ok(bytes) => (
                    multipart_field(&parts, bytes.clone()).await,
                    Body::from(bytes),
                ),
                Err(_) => return AppError::PayloadTooLarge.into_response(),
            }
        }
        None => (None, body),
    };
    let valid = match (expected, sent) {
        (Some(expected), Some(sent)) => constant_time_eq(expected.as_bytes(), sent.as_bytes()),
        _ => false,
    };
    if !valid {
        return AppError::Forbidden(
            "This form has expired or did not come from this site. Go back, reload the page \
             and try again.",
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn form_field(encoded: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// The `csrf` field of a multipart body (an upload form carries it like any other form).
async fn multipart_field(parts: &Parts, bytes: Bytes) -> Option<String> {
    let mut request = Request::new(Body::from(bytes));
    *request.headers_mut() = parts.headers.clone();
    // With the request's extensions comes its body limit (`DefaultBodyLimit`, set outside).
    *request.extensions_mut() = parts.extensions.clone();
    let mut multipart = Multipart::from_request(request, &()).await.ok()?;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("csrf") {
            return field.text().await.ok();
        }
    }
    None
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_long() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn finds_the_field_in_a_form_body() {
        assert_eq!(
            form_field(b"a=1&csrf=abc%20d", "csrf").as_deref(),
            Some("abc d")
        );
        assert_eq!(form_field(b"a=1", "csrf"), None);
        assert_eq!(form_field(b"%zz=&&=", "csrf"), None);
    }

    #[test]
    fn compares_whole_tokens() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
