//! Educate's routes: `/search`.

use axum::routing::get;
use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(super::search::search))
}
