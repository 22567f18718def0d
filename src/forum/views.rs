//! Pages of the forum core.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::access::Access;
use super::history::{Change, Version};
use super::queries::{DomainSummary, Post, Thread, ThreadSummary};
use super::reading::Tabs;
use crate::auth::rate_limit::{self, Limit};
use crate::error::{AppError, Result};
use crate::web::submission::SubmissionKey;
use crate::web::{CurrentUser, FieldErrors, PageContext};
use crate::AppState;

const TOO_MANY_PREVIEWS: &str = "You have asked for many previews in the last few minutes. \
    Your text is kept: post it, or preview again in a little while.";

#[derive(Template, WebTemplate)]
#[template(path = "forum/home.html")]
pub struct HomePage {
    pub page: PageContext,
    pub my_domains: Vec<DomainSummary>,
    pub other_domains: Vec<DomainSummary>,
    pub recent: Vec<ThreadSummary>,
    /// A member's Latest, Unread and New tabs.
    pub tabs: Option<Tabs>,
    /// The next page of an Unread or New view.
    pub older: Option<String>,
}

/// `/t/{id}/tags`: a thread's tags in one field, sent back with its problem named.
#[derive(Template, WebTemplate)]
#[template(path = "forum/edit_tags.html")]
pub struct EditTagsPage {
    pub page: PageContext,
    pub thread_id: i64,
    pub title: String,
    pub tags: String,
    pub errors: FieldErrors,
}

/// `/tags/{tag}`: the threads with a tag, and the member's watching level on it.
#[derive(Template, WebTemplate)]
#[template(path = "forum/tag.html")]
pub struct TagPage {
    pub page: PageContext,
    pub tag: String,
    pub threads: Vec<ThreadSummary>,
    pub is_first_page: bool,
    pub older: Option<String>,
    /// The member's level on the tag; tracking when they chose none.
    pub level: super::watching::Level,
}

impl TagPage {
    pub fn watch_action(&self) -> String {
        format!("/tags/{}/watch", crate::web::path_segment(&self.tag))
    }

    pub fn watch_levels(&self) -> [super::watching::Level; 4] {
        super::watching::Level::ALL
    }

    pub fn is_watch_level(&self, level: &super::watching::Level) -> bool {
        self.level == *level
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "forum/drafts.html")]
pub struct DraftsPage {
    pub page: PageContext,
    pub drafts: Vec<super::drafts::Listed>,
}

#[derive(Template, WebTemplate)]
#[template(path = "forum/directory.html")]
pub struct DirectoryPage {
    pub page: PageContext,
    pub domains: Vec<DomainSummary>,
}

impl DomainSummary {
    /// The charter's first line, for lists.
    pub fn tagline(&self) -> String {
        crate::markdown::plain_excerpt(self.charter_md.lines().next().unwrap_or(""), 160)
    }
}

/// Someone the composer suggests asking. The core only shows them; a function module (Support's
/// expertise directory) finds them.
#[derive(sqlx::FromRow, Clone, Debug)]
pub struct SuggestedMember {
    pub username: String,
    pub display_name: String,
    /// The expertise tags the text being written mentions.
    pub matched: Vec<String>,
}

/// What the composer posts: a new thread, a reply or an edit. `action` is `preview` when the
/// member pressed Preview rather than Post.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ComposeForm {
    pub title: String,
    pub kind: String,
    /// New threads: tags, separated by commas (`forum::tags`).
    pub tags: String,
    pub body: String,
    pub action: String,
    /// New threads and replies: sent once, however often the form is.
    pub key: SubmissionKey,
    /// Edits: the version of the post the form was opened on.
    pub version: i32,
    /// New threads: a poll's options, one a line (none: no poll), whether several may be
    /// chosen (a ticked box sends "on"), and when it closes (UTC, `datetime-local`).
    pub poll_options: String,
    pub poll_multiple: String,
    pub poll_closes: String,
}

impl ComposeForm {
    pub fn wants_preview(&self) -> bool {
        self.action == "preview"
    }
}

/// One composer serves new threads, replies and edits, so they look and behave alike: the text
/// is always kept, problems sit next to their fields, and Preview works without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "forum/compose.html")]
pub struct ComposerPage {
    pub page: PageContext,
    pub heading: String,
    pub action: String,
    pub back_href: String,
    pub back_label: String,
    pub show_title: bool,
    pub show_kind: bool,
    pub submit_label: &'static str,
    pub form: ComposeForm,
    pub preview: Option<String>,
    pub errors: FieldErrors,
    /// For a new thread: members whose expertise it mentions.
    pub experts: Vec<SuggestedMember>,
    /// For an edit: the version someone else saved while this member was editing.
    pub conflict: Option<EditConflict>,
    /// The form's draft fields for the script that keeps drafts (`thread=…` or `domain=…`);
    /// none for an edit, which keeps no draft.
    pub draft_slot: Option<String>,
    /// The text was put back from a draft.
    pub draft_restored: bool,
    /// A new thread may carry a poll.
    pub show_poll: bool,
    /// Files just attached, whose links were added to the text.
    pub attached: Vec<String>,
    /// Where the script sends a file dropped on the text (`uploads::routes`).
    pub upload_to: String,
}

/// What an edit conflict shows beside the member's own, unsaved text: the version saved in the
/// meantime, rendered and as Markdown to copy from. Shared by posts and repertoire entries.
pub struct EditConflict {
    pub saved_at: time::OffsetDateTime,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body_md: String,
    pub body_html: String,
}

impl ComposerPage {
    /// Puts a saved draft back in the form.
    pub fn restore(mut self, draft: Option<super::drafts::Draft>) -> Self {
        if let Some(draft) = draft {
            self.form.title = draft.title;
            self.form.kind = draft.kind;
            self.form.body = draft.body;
            self.draft_restored = true;
        }
        self
    }

    pub fn new_thread(page: PageContext, slug: &str, domain_name: &str, form: ComposeForm) -> Self {
        ComposerPage {
            page,
            heading: format!("Start a thread in {domain_name}"),
            action: format!("/d/{slug}/new"),
            back_href: format!("/d/{slug}"),
            back_label: domain_name.to_string(),
            show_title: true,
            show_kind: true,
            submit_label: "Post thread",
            form,
            preview: None,
            errors: FieldErrors::default(),
            experts: Vec::new(),
            conflict: None,
            draft_slot: Some(format!("domain={slug}")),
            draft_restored: false,
            show_poll: true,
            attached: Vec::new(),
            upload_to: format!("/d/{slug}/uploads"),
        }
    }

    pub fn reply(page: PageContext, thread: &Thread, form: ComposeForm) -> Self {
        ComposerPage {
            page,
            heading: format!("Reply to “{}”", thread.title),
            action: format!("/t/{}/reply", thread.id),
            back_href: format!("/t/{}", thread.id),
            back_label: thread.title.clone(),
            show_title: false,
            show_kind: false,
            submit_label: "Post reply",
            form,
            preview: None,
            errors: FieldErrors::default(),
            experts: Vec::new(),
            conflict: None,
            draft_slot: Some(format!("thread={}", thread.id)),
            draft_restored: false,
            show_poll: false,
            attached: Vec::new(),
            upload_to: format!("/d/{}/uploads", thread.domain_slug),
        }
    }

    pub fn edit(
        page: PageContext,
        thread: &Thread,
        post_id: i64,
        opening: bool,
        form: ComposeForm,
    ) -> Self {
        ComposerPage {
            page,
            heading: "Edit your post".to_string(),
            action: format!("/p/{post_id}/edit"),
            back_href: format!("/p/{post_id}"),
            back_label: thread.title.clone(),
            show_title: opening,
            show_kind: false,
            submit_label: "Save changes",
            form,
            preview: None,
            errors: FieldErrors::default(),
            experts: Vec::new(),
            conflict: None,
            draft_slot: None,
            draft_restored: false,
            show_poll: false,
            attached: Vec::new(),
            upload_to: format!("/d/{}/uploads", thread.domain_slug),
        }
    }

    /// Says which files were attached to the text.
    pub fn attached(mut self, attached: Vec<String>) -> Self {
        self.attached = attached;
        self
    }

    /// Adds the problems found, and the preview if one was asked for. Previews are counted
    /// per member (each renders up to 100 000 characters, and asking costs no write); past the
    /// allowance the form comes back with the text kept and the reason beside it.
    pub async fn with(mut self, state: &AppState, mut errors: FieldErrors) -> Result<Self> {
        let previewer = self.page.user.as_ref().map(|user| user.id);
        if let (true, false, Some(previewer)) = (
            self.form.wants_preview(),
            self.form.body.trim().is_empty(),
            previewer,
        ) {
            let allowance = [(Limit::Preview, previewer.to_string())];
            match rate_limit::spend(&state.db, &state.config, &allowance).await {
                Ok(_) => {
                    let body = self.form.body.clone();
                    let html = crate::markdown::render_off_runtime(body, HashMap::new()).await?;
                    self.preview = Some(html);
                }
                Err(AppError::TooManyRequests) => errors.add("body", TOO_MANY_PREVIEWS),
                Err(other) => return Err(other),
            }
        }
        self.errors = errors;
        Ok(self)
    }

    /// 200 for a preview, 422 when something must be fixed.
    pub fn answer(self) -> Response {
        let status = if self.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        self.answer_with(status)
    }

    pub fn answer_with(self, status: StatusCode) -> Response {
        (status, self).into_response()
    }
}

/// A post as one viewer sees it.
pub struct PostView {
    /// Shared with the thread page's kept posts (`pages::cached_posts`).
    pub post: Arc<Post>,
    pub show_body: bool,
    pub notice: Option<String>,
    pub is_own: bool,
}

impl PostView {
    pub fn new(post: Arc<Post>, viewer: Option<&CurrentUser>, access: Access) -> Self {
        let is_own = viewer.is_some_and(|u| u.id == post.author_id);
        let (show_body, notice) = if post.deleted_at.is_some() {
            (
                false,
                Some("This post was deleted by its author.".to_string()),
            )
        } else if post.hidden {
            let reason = post.hidden_reason.as_deref().unwrap_or("no reason given");
            if access.can_moderate() || is_own {
                (true, Some(format!("Hidden by a facilitator: {reason}")))
            } else {
                (
                    false,
                    Some("This post was hidden by a facilitator.".to_string()),
                )
            }
        } else {
            (true, None)
        };
        PostView {
            post,
            show_body,
            notice,
            is_own,
        }
    }

    pub fn is_live(&self) -> bool {
        self.post.deleted_at.is_none()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "forum/delete.html")]
pub struct DeletePage {
    pub page: PageContext,
    pub thread: Thread,
    pub post: Post,
}

#[derive(Template, WebTemplate)]
#[template(path = "forum/revisions.html")]
pub struct RevisionsPage {
    pub page: PageContext,
    pub thread: Thread,
    pub post: PostView,
    /// Newest first.
    pub versions: Vec<Version>,
    /// The viewer facilitates the domain: each earlier version offers "Revert to this version".
    pub can_revert: bool,
}
