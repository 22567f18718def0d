//! Where uploaded bytes are kept. The site needs only to put a file under a key and get it back,
//! so an object store (S3 and the like) can stand in for the local disk by implementing
//! `Storage`. Keys are content hashes: the same file uploaded twice is kept once, and a key
//! never names two different contents, so nothing is ever overwritten.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use sha2::{Digest, Sha256};

pub type Pending<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

pub trait Storage: Send + Sync {
    /// Keeps `bytes` under `key`; once it answers, `get` finds them.
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> Pending<'a, ()>;
    /// The bytes kept under `key`, or `None` if there are none.
    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<Vec<u8>>>;
}

/// The key for `bytes`: their SHA-256 and the extension they are served with.
pub fn key_for(bytes: &[u8], extension: &str) -> String {
    format!("{:x}.{extension}", Sha256::digest(bytes))
}

/// Files under a directory (by default `data_dir/uploads`), two levels of subdirectories deep
/// so that no directory holds too many.
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> LocalDisk {
        LocalDisk { root: root.into() }
    }

    /// Only keys this site made are ever asked for, but a key is checked anyway: it must be a
    /// plain name, never a path out of the directory.
    fn path(&self, key: &str) -> io::Result<PathBuf> {
        let plain = key.len() > 4
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
            && !key.starts_with('.');
        if !plain {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a storage key",
            ));
        }
        Ok(self.root.join(&key[..2]).join(&key[2..4]).join(key))
    }
}

impl Storage for LocalDisk {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> Pending<'a, ()> {
        Box::pin(async move {
            let path = self.path(key)?;
            if tokio::fs::try_exists(&path).await? {
                return Ok(());
            }
            let dir = path.parent().unwrap_or(Path::new("."));
            tokio::fs::create_dir_all(dir).await?;
            // Written aside and renamed into place, so a reader never finds half a file.
            let partial = dir.join(format!(".{key}.{}", crate::web::random_hex(8)));
            tokio::fs::write(&partial, bytes).await?;
            tokio::fs::rename(&partial, &path).await
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> Pending<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            match tokio::fs::read(self.path(key)?).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(err),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_and_finds_files_by_content() {
        let dir =
            std::env::temp_dir().join(format!("commonplace-unit-{}-storage", std::process::id()));
        let disk = LocalDisk::new(&dir);
        let key = key_for(b"mulch", "txt");
        assert_eq!(disk.get(&key).await.unwrap(), None);
        disk.put(&key, b"mulch").await.unwrap();
        disk.put(&key, b"mulch").await.unwrap();
        assert_eq!(
            disk.get(&key).await.unwrap().as_deref(),
            Some(&b"mulch"[..])
        );
        assert!(disk.get("../../etc/passwd").await.is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
