//! `Form` and `Query` as axum's, except that what they cannot read is answered with the site's
//! own error page (as `web::Path` does for paths), never axum's plain-text 400, 415 or 422.

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A form body. One that cannot be read (a field of the wrong shape, no form content type)
/// is the "did not make sense" page; one that is too large, the too-large page.
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(rejection) => Err(form_problem(&rejection)),
        }
    }
}

fn form_problem(rejection: &FormRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    AppError::BadRequest(
        "This form came back in a shape the site cannot read. Go back, reload the page and try \
         again."
            .into(),
    )
}

/// A query string. One that cannot be read is a damaged link: the "did not make sense" page.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|_| {
                AppError::BadRequest(
                    "That link is damaged: its query string cannot be read.".into(),
                )
            })
    }
}
