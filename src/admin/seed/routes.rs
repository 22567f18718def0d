//! `/admin/seed`: loading a community file through the browser, with the same loader (and the
//! same guarantees: checked first, one transaction, idempotent) as `commonplace seed`.

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::loader::{self, SeedFailure};
use super::views::SeedPage;
use crate::auth::invitation::Inviter;
use crate::auth::Admin;
use crate::error::Result;
use crate::moderation::log::queries::{record_site, Action};
use crate::web::PageContext;
use crate::AppState;

/// Community files are text; a megabyte holds thousands of threads.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/admin/seed",
        get(form)
            .post(upload)
            .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)),
    )
}

async fn form(Admin(admin): Admin) -> SeedPage {
    SeedPage {
        page: admin.page,
        outcome: None,
        problem: None,
    }
}

async fn upload(
    State(state): State<AppState>,
    Admin(admin): Admin,
    multipart: Option<Multipart>,
) -> Result<Response> {
    let refuse = |page: PageContext, status: StatusCode, problem: String| {
        (
            status,
            SeedPage {
                page,
                outcome: None,
                problem: Some(problem),
            },
        )
            .into_response()
    };
    let Some(mut multipart) = multipart else {
        return Ok(refuse(
            admin.page,
            StatusCode::BAD_REQUEST,
            "Choose a community file to upload.".into(),
        ));
    };
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or("community.toml").to_string();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, bytes)),
                    Err(_) => {
                        return Ok(refuse(
                            admin.page,
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "That file is larger than 1 MB, the most this form takes.".into(),
                        ))
                    }
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                return Ok(refuse(
                    admin.page,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "That file is larger than 1 MB, the most this form takes.".into(),
                ))
            }
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(refuse(
            admin.page,
            StatusCode::BAD_REQUEST,
            "Choose a community file to upload.".into(),
        ));
    };
    let Ok(source) = std::str::from_utf8(&bytes) else {
        return Ok(refuse(
            admin.page,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name}: this is not UTF-8 text. Save the file as UTF-8 and try again."),
        ));
    };
    let loading = loader::Loading {
        config: &state.config,
        initial_password: None,
        admin: Some(Inviter::member(&admin.user)),
    };
    match loader::load(&state.db, &name, source, &loading).await {
        Ok(report) => {
            let reason = format!("{name}: {report}");
            record_site(
                &state.db,
                admin.user.id,
                Action::SeedCommunity,
                ("file", None),
                &reason,
            )
            .await?;
            let outcome = if report.is_empty() {
                format!("{name}: everything in it is already here; nothing changed.")
            } else {
                format!("{name}: added {report}. New accounts need a password reset link before they can log in; invited people choose their own from the link they are mailed.")
            };
            Ok(SeedPage {
                page: admin.page,
                outcome: Some(outcome),
                problem: None,
            }
            .into_response())
        }
        Err(SeedFailure::Invalid(err)) => Ok(refuse(
            admin.page,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{err}. Nothing was loaded."),
        )),
        Err(SeedFailure::Database(err)) => Err(err.into()),
    }
}
