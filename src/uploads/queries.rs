//! The `uploads` table: who sent each file, where its bytes are kept, and which domain's
//! readers may fetch it.

use sqlx::PgExecutor;

use super::content::Prepared;

/// A kept upload, as a link to it needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Upload {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub has_thumbnail: bool,
}

/// What serving an upload needs, and whether this viewer may have it.
#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    pub storage_key: String,
    pub thumbnail_key: Option<String>,
    pub file_name: String,
    pub content_type: String,
    /// Avatars (no domain) are public; any other upload is readable by whoever may read its
    /// domain (`domain_readable`, the one rule lists use).
    pub public: bool,
    pub readable: bool,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    uploader: i64,
    domain: Option<i64>,
    prepared: &Prepared,
    storage_key: &str,
    thumbnail_key: Option<&str>,
) -> sqlx::Result<Upload> {
    let picture = prepared.image.as_ref();
    sqlx::query_as(
        "INSERT INTO uploads (uploader_id, domain_id, storage_key, thumbnail_key, file_name,
                              content_type, byte_size, width, height)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING id, file_name, content_type, width, height,
                   thumbnail_key IS NOT NULL AS has_thumbnail",
    )
    .bind(uploader)
    .bind(domain)
    .bind(storage_key)
    .bind(thumbnail_key)
    .bind(&prepared.file_name)
    .bind(prepared.content_type)
    .bind(prepared.bytes.len() as i32)
    .bind(picture.map(|p| p.width as i32))
    .bind(picture.map(|p| p.height as i32))
    .fetch_one(db)
    .await
}

pub async fn stored(
    db: impl PgExecutor<'_>,
    id: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Option<Stored>> {
    sqlx::query_as(
        "SELECT storage_key, thumbnail_key, file_name, content_type,
                domain_id IS NULL AS public,
                domain_id IS NULL OR domain_readable(domain_id, $2) AS readable
           FROM uploads WHERE id = $1",
    )
    .bind(id)
    .bind(viewer)
    .fetch_optional(db)
    .await
}

/// The member's avatar, or none: `avatar` is an upload of their own.
pub async fn set_avatar(
    db: impl PgExecutor<'_>,
    user: i64,
    avatar: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET avatar_upload_id = $2
          WHERE id = $1
            AND ($2::bigint IS NULL
                 OR EXISTS (SELECT 1 FROM uploads WHERE id = $2 AND uploader_id = $1))",
    )
    .bind(user)
    .bind(avatar)
    .execute(db)
    .await?;
    Ok(())
}
