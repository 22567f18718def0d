//! `/admin/jobs`: the scheduled work, when each job last ran, how it went, and when it runs next.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::views::JobsPage;
use crate::auth::Admin;
use crate::error::Result;
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/jobs", get(jobs))
}

async fn jobs(State(state): State<AppState>, Admin(admin): Admin) -> Result<JobsPage> {
    Ok(JobsPage {
        page: admin.page,
        jobs: crate::jobs::queries::all(&state.db).await?,
    })
}
