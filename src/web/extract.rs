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

/// A file as a form sent it, not yet judged (`uploads` does that).
#[derive(Debug)]
pub struct FormFile {
    /// The form field that carried it.
    pub field: String,
    /// The name the browser gave, as sent.
    pub name: String,
    pub bytes: axum::body::Bytes,
}

/// A form that may carry files: URL-encoded as any form, or multipart when the composer's file
/// input is used. Its text fields are read into `T` exactly as `Form` reads them; its files are
/// handed over as they came, for `uploads` to judge.
pub struct FormWithFiles<T> {
    pub form: T,
    pub files: Vec<FormFile>,
}

impl<T, S> FromRequest<S> for FormWithFiles<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(form) = Form::<T>::from_request(request, state).await?;
            return Ok(FormWithFiles {
                form,
                files: Vec::new(),
            });
        }
        let unreadable = || {
            AppError::BadRequest(
                "This form came back in a shape the site cannot read. Go back, reload the page \
                 and try again."
                    .into(),
            )
        };
        let mut multipart = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(|_| unreadable())?;
        let mut fields = Vec::new();
        let mut files = Vec::new();
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(AppError::PayloadTooLarge)
                }
                Err(_) => return Err(unreadable()),
            };
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?;
                    files.push(FormFile {
                        field: name,
                        name: file_name,
                        bytes,
                    });
                }
                None => {
                    let text = field.text().await.map_err(|_| unreadable())?;
                    // The same rule `refuse_nul` applies to URL-encoded forms.
                    if text.contains('\0') {
                        return Err(AppError::BadRequest(
                            "The request contained a NUL character, which this site does not \
                             accept."
                                .into(),
                        ));
                    }
                    fields.push((name, text));
                }
            }
        }
        let encoded = serde_urlencoded::to_string(&fields).map_err(|_| unreadable())?;
        let form = serde_urlencoded::from_str(&encoded).map_err(|_| unreadable())?;
        Ok(FormWithFiles { form, files })
    }
}
