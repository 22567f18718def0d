//! Files members attach to posts and repertoire entries, and their avatars.
//!
//! A file is judged by its content (`content`), kept by its content hash in a `Storage`
//! (`storage`: the local disk under the data directory; an object store can implement the same
//! two calls), and recorded with the domain it was attached in (`queries`). It is served by
//! `routes` to whoever may read that domain, and to everyone for an avatar.
//!
//! Attaching works without JavaScript: the composer's form carries a file input, and its
//! handler calls `attach` on Preview or Post. With JavaScript a file dropped or pasted on the
//! text is sent at once to `forum`'s `/d/{slug}/uploads`, and its Markdown link put where the
//! cursor is.

pub mod content;
pub mod queries;
pub mod routes;
pub mod storage;

use std::path::Path;
use std::sync::Arc;

use tokio::sync::Semaphore;

use self::content::{Prepared, Refused};
use self::queries::Upload;
use self::storage::{LocalDisk, Storage};
use crate::error::{AppError, Result};
use crate::web::{FieldErrors, FormFile};

/// What an upload is for, which decides how it is prepared and who may read it.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// In a post or entry of this domain: readable by whoever may read the domain.
    Attachment { domain: i64 },
    /// A member's picture, cropped square: readable by everyone.
    Avatar,
}

/// The uploads service every handler reaches through the state.
pub struct Uploads {
    storage: Arc<dyn Storage>,
    /// Decoding a large image takes a core and up to `content`'s allocation limit: a few at a
    /// time, so a burst of uploads cannot take the machine's memory.
    decoding: Semaphore,
}

const DECODING_AT_ONCE: usize = 2;

impl Uploads {
    /// Files in `data_dir/uploads`.
    pub fn on_disk(data_dir: &Path) -> Uploads {
        Uploads::new(Arc::new(LocalDisk::new(data_dir.join("uploads"))))
    }

    pub fn new(storage: Arc<dyn Storage>) -> Uploads {
        Uploads {
            storage,
            decoding: Semaphore::new(DECODING_AT_ONCE),
        }
    }

    /// Judges, prepares and keeps one file. A refusal is the member's to read; an error is
    /// the site's.
    pub async fn accept(
        &self,
        db: &sqlx::PgPool,
        uploader: i64,
        purpose: Purpose,
        file: FormFile,
    ) -> Result<std::result::Result<Upload, Refused>> {
        let prepared = {
            let _turn = self
                .decoding
                .acquire()
                .await
                .map_err(|err| AppError::Internal(err.into()))?;
            tokio::task::spawn_blocking(move || match purpose {
                Purpose::Attachment { .. } => content::prepare(&file.name, &file.bytes),
                Purpose::Avatar => content::prepare_avatar(&file.name, &file.bytes),
            })
            .await
            .map_err(|err| AppError::Internal(err.into()))?
        };
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(refused) => return Ok(Err(refused)),
        };
        let (key, thumbnail_key) = self.keep(&prepared).await?;
        let domain = match purpose {
            Purpose::Attachment { domain } => Some(domain),
            Purpose::Avatar => None,
        };
        let upload = queries::insert(
            db,
            uploader,
            domain,
            &prepared,
            &key,
            thumbnail_key.as_deref(),
        )
        .await?;
        Ok(Ok(upload))
    }

    async fn keep(&self, prepared: &Prepared) -> Result<(String, Option<String>)> {
        let extension = prepared
            .file_name
            .rsplit_once('.')
            .map_or("bin", |(_, ext)| ext)
            .to_ascii_lowercase();
        let key = storage::key_for(&prepared.bytes, &extension);
        self.put(&key, &prepared.bytes).await?;
        let thumbnail = prepared.image.as_ref().and_then(|p| p.thumbnail.as_ref());
        let thumbnail_key = match thumbnail {
            Some(bytes) => {
                let key = storage::key_for(bytes, &extension);
                self.put(&key, bytes).await?;
                Some(key)
            }
            None => None,
        };
        Ok((key, thumbnail_key))
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        self.storage
            .put(key, bytes)
            .await
            .map_err(|err| AppError::Internal(anyhow::anyhow!("keeping upload {key}: {err}")))
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.storage
            .get(key)
            .await
            .map_err(|err| AppError::Internal(anyhow::anyhow!("reading upload {key}: {err}")))
    }

    /// Keeps every file a composer form sent and adds its Markdown to `body`, in order, and
    /// says which were attached. A file refused is a problem of the form's file field, named
    /// in `errors`; the files after it are not read. A browser sends an empty file part when
    /// none was chosen: that is skipped.
    pub async fn attach(
        &self,
        db: &sqlx::PgPool,
        uploader: i64,
        domain: i64,
        files: Vec<FormFile>,
        body: &mut String,
        errors: &mut FieldErrors,
    ) -> Result<Vec<String>> {
        let mut attached = Vec::new();
        for file in files {
            if file.name.is_empty() && file.bytes.is_empty() {
                continue;
            }
            let purpose = Purpose::Attachment { domain };
            match self.accept(db, uploader, purpose, file).await? {
                Ok(upload) => {
                    let body_end = body.trim_end().len();
                    body.truncate(body_end);
                    if !body.is_empty() {
                        body.push_str("\n\n");
                    }
                    body.push_str(&markdown(&upload));
                    attached.push(upload.file_name);
                }
                Err(refused) => {
                    errors.add(FILE_FIELD, refused.to_string());
                    break;
                }
            }
        }
        Ok(attached)
    }
}

/// The composer's file input.
pub const FILE_FIELD: &str = "attachment";

/// Where an upload is served.
pub fn href(id: i64, file_name: &str) -> String {
    format!("/uploads/{id}/{file_name}")
}

/// The Markdown that shows an upload in a post: an image inline (its thumbnail, linking to the
/// whole, when it is large), any other file as a link.
pub fn markdown(upload: &Upload) -> String {
    let whole = href(upload.id, &upload.file_name);
    let alt = upload
        .file_name
        .rsplit_once('.')
        .map_or(upload.file_name.as_str(), |(stem, _)| stem);
    if !upload.content_type.starts_with("image/") {
        return format!("[{}]({whole})", upload.file_name);
    }
    if upload.has_thumbnail {
        let small = format!("/uploads/{}/thumbnail/{}", upload.id, upload.file_name);
        return format!("[![{alt}]({small})]({whole})");
    }
    format!("![{alt}]({whole})")
}
