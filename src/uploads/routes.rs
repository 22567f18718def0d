//! Serving uploads. (The composer's script sends files to `forum`'s `/d/{slug}/uploads`, where
//! posting rights are known.)

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::auth::Visitor;
use crate::error::{AppError, Result};
use crate::web::path::UploadId;
use crate::web::Path;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/uploads/{id}/{name}", get(whole))
        .route("/uploads/{id}/thumbnail/{name}", get(thumbnail))
}

/// Nothing in an upload runs: not a script in a file that a browser might take for a page.
const UPLOAD_POLICY: &str = "default-src 'none'; sandbox";

async fn whole(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, _name)): Path<(UploadId, String)>,
) -> Result<Response> {
    serve(&state, &visitor, id, false).await
}

async fn thumbnail(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, _name)): Path<(UploadId, String)>,
) -> Result<Response> {
    serve(&state, &visitor, id, true).await
}

/// An upload its viewer may read, with headers that keep it what it is: its own content type
/// and never sniffed, an image shown and anything else downloaded. One the viewer may not read
/// is not found, as a private thread is.
async fn serve(state: &AppState, visitor: &Visitor, id: UploadId, small: bool) -> Result<Response> {
    let viewer = visitor.page.user.as_ref().map(|u| u.id);
    let stored = super::queries::stored(&state.db, id.0, viewer)
        .await?
        .filter(|stored| stored.readable)
        .ok_or(AppError::NotFound)?;
    let key = match (&stored.thumbnail_key, small) {
        (Some(thumbnail), true) => thumbnail,
        _ => &stored.storage_key,
    };
    let bytes = state.uploads.get(key).await?.ok_or(AppError::NotFound)?;
    let disposition = if stored.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    // A readable domain may become private: browsers keep a domain's uploads for an hour
    // and nothing shared keeps them at all; an avatar is anyone's.
    let caching = if stored.public {
        "public, max-age=86400"
    } else {
        "private, max-age=3600"
    };
    let headers = [
        (header::CONTENT_TYPE, header_value(&stored.content_type)),
        (
            header::CONTENT_DISPOSITION,
            header_value(&format!("{disposition}; filename=\"{}\"", stored.file_name)),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(UPLOAD_POLICY),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(caching)),
    ];
    Ok((headers, bytes).into_response())
}

/// File names are cleaned to letters, digits, `.`, `-` and `_` before they are kept, so this
/// never fails; a name that somehow would is served without one.
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}
