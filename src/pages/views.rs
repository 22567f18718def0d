//! The domain page and the thread page. Each control they offer asks the policy of the module
//! that owns it, the same function its handler calls.

use askama::Template;
use askama_web::WebTemplate;

use super::queries::PageMarks;
use crate::encourage::queries::Featured;
use crate::forum::access::Access;
use crate::forum::queries::{Domain, Thread, ThreadSummary};
use crate::forum::reading::Tabs;
use crate::forum::views::{ComposeForm, PostView};
use crate::forum::watching::Level;
use crate::integrate::queries::Report;
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "pages/domain.html")]
pub struct DomainPage {
    pub page: PageContext,
    pub domain: Domain,
    pub access: Access,
    pub pinned: Vec<ThreadSummary>,
    pub threads: Vec<ThreadSummary>,
    /// The cursor for the next ("older") page, if there may be one.
    pub older: Option<String>,
    pub is_first_page: bool,
    /// (most applied?, id, title, times applied): the repertoire sidebar.
    pub repertoire: Vec<(bool, i64, String, i32)>,
    pub reports: Vec<Report>,
    pub spotlight: Vec<Featured>,
    /// The introductions thread, and whether the viewer has posted in it.
    pub introductions: Option<(i64, bool)>,
    /// A member's Latest, Unread and New tabs.
    pub tabs: Option<Tabs>,
    /// A signed-in viewer's watching level on the domain.
    pub watch_level: Option<Level>,
}

impl DomainPage {
    pub fn watch_action(&self) -> String {
        format!("/d/{}/watch", self.domain.slug)
    }

    pub fn watch_levels(&self) -> [Level; 4] {
        Level::ALL
    }

    pub fn is_watch_level(&self, level: &Level) -> bool {
        self.watch_level == Some(*level)
    }

    /// Whether the list is a member's Unread or New view (`view` is "unread" or "new").
    pub fn is_tracked_view(&self, view: &str) -> bool {
        self.tabs.as_ref().is_some_and(|tabs| tabs.is_current(view))
    }

    /// The `?view=` that keeps a member's tracked view across pages, or nothing.
    pub fn view_query(&self) -> String {
        match self.tabs.as_ref().and_then(|tabs| tabs.view.tracked()) {
            Some(view) => format!("?view={}", view.as_str()),
            None => String::new(),
        }
    }

    pub fn newest_entries(&self) -> impl Iterator<Item = &(bool, i64, String, i32)> {
        self.repertoire.iter().filter(|e| !e.0)
    }

    pub fn most_applied_entries(&self) -> impl Iterator<Item = &(bool, i64, String, i32)> {
        self.repertoire.iter().filter(|e| e.0)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/thread.html")]
pub struct ThreadPage {
    pub page: PageContext,
    /// For moderators: other domains they facilitate, where the thread could move.
    pub move_targets: Vec<(String, String)>,
    pub marks: PageMarks,
    /// The newest practice reports (`integrate::queries::NEWEST_SHOWN`).
    pub reports: Vec<Report>,
    /// Whether there are older reports, on the thread's reports page.
    pub more_reports: bool,
    /// How its accepted answer fared in practice, from every report on the thread itself.
    pub tally: Option<Tally>,
    pub thread: Thread,
    pub access: Access,
    pub posts: Vec<PostView>,
    /// The number of the last post the viewer had read before this page: the posts after it
    /// are marked as new to them.
    pub read_number: i64,
    pub page_number: i64,
    pub page_count: i64,
    pub previous: Option<i64>,
    pub next: Option<i64>,
    pub reply: ComposeForm,
}

/// How an answer fared in practice: the reports on its thread, by outcome.
pub struct Tally {
    pub applied: i64,
    pub worked: i64,
    pub partly: i64,
    pub did_not: i64,
}

impl Tally {
    /// From [applied, worked, partly, did not] (`integrate::queries::thread_tally_as_array`):
    /// none when nobody reported.
    pub fn from_counts(counts: &[i64]) -> Option<Tally> {
        match *counts {
            [applied, worked, partly, did_not] if applied > 0 => Some(Tally {
                applied,
                worked,
                partly,
                did_not,
            }),
            _ => None,
        }
    }
}

impl ThreadPage {
    /// Whether "Edit tags" is offered (`forum::tags::may_edit`).
    pub fn may_edit_tags(&self) -> bool {
        crate::forum::tags::may_edit(self.page.user.as_ref(), &self.thread).is_ok()
    }

    /// On the thread's last page, the last post shown: the live stream announces replies
    /// after it. Earlier pages are not followed; their new replies are on a later page.
    pub fn live_after(&self) -> Option<i64> {
        match self.next {
            None => self.posts.last().map(|view| view.post.id),
            Some(_) => None,
        }
    }

    /// Whether the viewer chooses this question's accepted answer (Support's rule).
    pub fn can_choose_answer(&self) -> bool {
        crate::support::policy::may_choose_answer(self.page.user.as_ref(), &self.thread).is_ok()
    }

    /// Whether "Accept as answer" is offered on this post: the viewer may choose, the post may
    /// be chosen, and it is not the answer already.
    pub fn can_accept(&self, view: &PostView) -> bool {
        self.can_choose_answer()
            && !self.is_accepted(view)
            && crate::support::policy::may_be_accepted(&self.thread, &view.post).is_ok()
    }

    pub fn is_accepted(&self, view: &PostView) -> bool {
        self.thread.accepted_post_id == Some(view.post.id)
    }

    /// Educate's rule for "Add to repertoire".
    pub fn can_promote(&self, view: &PostView) -> bool {
        crate::educate::policy::may_promote(self.page.user.as_ref(), &self.thread, &view.post)
            .is_ok()
    }

    pub fn reaction_kinds(&self) -> [(&'static str, &'static str); 3] {
        crate::encourage::fields::KINDS
    }

    /// Encourage's rule for reactions.
    pub fn can_react(&self, view: &PostView) -> bool {
        crate::encourage::policy::may_react(self.page.user.as_ref(), &self.thread, &view.post)
            .is_ok()
    }

    /// Moderation's rule for flags.
    pub fn can_flag(&self, view: &PostView) -> bool {
        crate::moderation::flags::policy::may_flag(
            self.page.user.as_ref(),
            &self.thread,
            &view.post,
        )
        .is_ok()
    }

    /// The viewer flagged this post and it waits for review: say so instead of offering a
    /// second flag.
    pub fn has_flagged(&self, view: &PostView) -> bool {
        self.marks.flagged.contains(&view.post.id)
    }

    /// The first post the viewer had not read, when they had read some of the thread before.
    pub fn is_first_unread(&self, view: &PostView) -> bool {
        crate::forum::reading::is_first_unread(self.read_number, i64::from(view.post.number))
    }

    pub fn watch_levels(&self) -> [Level; 4] {
        Level::ALL
    }

    pub fn is_watch_level(&self, level: &Level) -> bool {
        self.marks.watch_level == Some(*level)
    }

    pub fn is_bookmarked(&self, view: &PostView) -> bool {
        self.marks.bookmarked.contains(&view.post.id)
    }
}
