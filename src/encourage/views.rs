use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::queries::{Contribution, Profile, Tally};
use crate::educate::queries::Entry;
use crate::forum::queries::{Post, Thread};
use crate::integrate::queries::Report;
use crate::web::{FieldErrors, PageContext};

#[derive(Template, WebTemplate)]
#[template(path = "encourage/profile.html")]
pub struct ProfilePage {
    pub page: PageContext,
    pub profile: Profile,
    pub domains: Vec<(String, String, String)>,
    pub contributions: Vec<Contribution>,
    pub tally: Tally,
    pub reports: Vec<Report>,
    /// What they did, by topic, in domains the viewer may read: (tag, accepted answers, posts
    /// found helpful, entries curated, reports that their entries worked).
    pub evidence: Vec<(String, i64, i64, i64, i64)>,
    /// Mentoring pairs, in domains the viewer may read: (domain, the other's username and name,
    /// whether this member mentors).
    pub pairings: Vec<(String, String, String, bool)>,
}

impl ProfilePage {
    pub fn evidence_words(&self, a: &i64, h: &i64, c: &i64, w: &i64) -> String {
        crate::support::queries::evidence_words(*a, *h, *c, *w)
    }

    pub fn lists(&self, tag: &str) -> bool {
        self.profile.expertise.iter().any(|t| t == tag)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub display_name: String,
    pub bio: String,
    pub expertise: String,
    /// A ticked "Remove my picture" sends "on".
    pub remove_avatar: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "encourage/edit_profile.html")]
pub struct EditProfilePage {
    pub page: PageContext,
    pub form: ProfileForm,
    pub errors: FieldErrors,
    /// The picture they have now.
    pub avatar: Option<i64>,
}

/// What a facilitator is about to feature.
pub enum Featured {
    Post { thread: Thread, post: Post },
    Entry(Entry),
}

/// "Feature in the spotlight": why a facilitator features a post or a repertoire entry, asked
/// on a page of its own so a long thread does not carry a spotlight form under every post.
#[derive(Template, WebTemplate)]
#[template(path = "encourage/spotlight.html")]
pub struct SpotlightPage {
    pub page: PageContext,
    pub featured: Featured,
    /// The domain whose spotlight it joins.
    pub domain_slug: String,
    pub reason: String,
    pub errors: FieldErrors,
}

impl SpotlightPage {
    /// Where "back" and "cancel" go: the post or the entry.
    pub fn back_href(&self) -> String {
        match &self.featured {
            Featured::Post { post, .. } => format!("/p/{}", post.id),
            Featured::Entry(entry) => format!("/r/{}", entry.id),
        }
    }

    /// The thread's title, or the entry's.
    pub fn subject_title(&self) -> &str {
        match &self.featured {
            Featured::Post { thread, .. } => &thread.title,
            Featured::Entry(entry) => &entry.title,
        }
    }

    /// (post, entry): the one featured.
    pub fn ids(&self) -> (Option<i64>, Option<i64>) {
        match &self.featured {
            Featured::Post { post, .. } => (Some(post.id), None),
            Featured::Entry(entry) => (None, Some(entry.id)),
        }
    }

    /// 422 with the problem named and the reason kept.
    pub fn answer(self) -> Response {
        (StatusCode::UNPROCESSABLE_ENTITY, self).into_response()
    }
}
