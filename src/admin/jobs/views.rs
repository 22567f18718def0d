//! The admins' view of scheduled work.

use askama::Template;
use askama_web::WebTemplate;

use crate::jobs::queries::JobState;
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "admin/jobs.html")]
pub struct JobsPage {
    pub page: PageContext,
    pub jobs: Vec<JobState>,
}

impl JobState {
    /// "every 10 minutes", "every hour", "every week".
    pub fn cadence(&self) -> String {
        const DAY: i32 = 24 * 3600;
        match self.every_seconds {
            s if s == 7 * DAY => "every week".into(),
            DAY => "every day".into(),
            s if s % DAY == 0 => format!("every {} days", s / DAY),
            s if s % 3600 == 0 && s > 3600 => format!("every {} hours", s / 3600),
            3600 => "every hour".into(),
            60 => "every minute".into(),
            s if s % 60 == 0 => format!("every {} minutes", s / 60),
            s => format!("every {s} seconds"),
        }
    }
}
