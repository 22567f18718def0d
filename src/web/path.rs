//! Typed ids for what URLs name, and the path extractor that parses them. A malformed id (or
//! slug: `forum::fields::Slug` deserialises the same way) names nothing, so it answers the 404 page — never axum's plain-text 400.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::AppError;

/// Like `axum::extract::Path`, but a path that does not parse is a page that does not exist.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| AppError::NotFound)
    }
}

/// A positive 64-bit integer, the only shape an id takes, in a URL or a form field.
pub fn parse_positive_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

fn positive_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let raw = String::deserialize(deserializer)?;
    parse_positive_id(&raw).ok_or_else(|| serde::de::Error::custom("not an id"))
}

macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub i64);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                positive_id(deserializer).map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

typed_ids! {
    /// `/t/{id}`
    ThreadId,
    /// `/p/{id}`
    PostId,
    /// `/r/{id}`
    EntryId,
    /// `/e/{id}`
    EventId,
    /// `/reports/{id}`
    ReportId,
    /// `/notifications/{id}`
    NotificationId,
    /// `/spotlight/{id}`
    SpotlightId,
    /// `/admin/outbox/{id}`
    MessageId,
    /// `/polls/{id}/vote`
    PollId,
    /// `/messages/{id}`
    ConversationId,
    /// `/admin/message-flags/{id}`: one message of a conversation
    PrivateMessageId,
    /// `/uploads/{id}/{name}`
    UploadId,
    /// `/d/{slug}/mentors/{id}/pair`
    MentorshipId,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: &str) -> Option<ThreadId> {
        serde_json_like(raw)
    }

    /// Deserialises through a one-value URL path, as the extractor does.
    fn serde_json_like(raw: &str) -> Option<ThreadId> {
        let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(raw);
        ThreadId::deserialize(de).ok()
    }

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(id("42"), Some(ThreadId(42)));
        for bad in ["0", "-1", "abc", "99999999999999999999", "4 2", ""] {
            assert_eq!(id(bad), None, "{bad}");
        }
    }
}
