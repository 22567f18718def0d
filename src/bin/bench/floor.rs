//! The floor B: the least a page can cost on this stack (the TechEmpower "fortunes" shape). An
//! axum handler reads 12 rows by key from the same database through the same kind of sqlx pool
//! and renders them with askama, with no middleware. Every page's figure is read as a ratio to
//! it, measured in the same run, so the figures survive a busy machine.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use rand::Rng;
use sqlx::PgPool;

#[derive(Template, WebTemplate)]
#[template(path = "bench/floor.html")]
struct Floor {
    rows: Vec<(i64, String)>,
}

#[derive(Clone)]
struct FloorState {
    db: PgPool,
    max_thread: i64,
}

async fn floor(State(state): State<FloorState>) -> Result<Floor, axum::http::StatusCode> {
    let start = rand::thread_rng().gen_range(1..=(state.max_thread - 11).max(1));
    let rows =
        sqlx::query_as("SELECT id, title FROM threads WHERE id BETWEEN $1 AND $1 + 11 ORDER BY id")
            .bind(start)
            .fetch_all(&state.db)
            .await
            .map_err(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Floor { rows })
}

pub async fn serve(db: PgPool, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let max_thread: i64 = sqlx::query_scalar("SELECT max(id) FROM threads")
        .fetch_one(&db)
        .await?;
    let app = Router::new()
        .route("/floor", get(floor))
        .with_state(FloorState { db, max_thread });
    axum::serve(listener, app).await?;
    Ok(())
}
