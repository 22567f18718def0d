//! `/d/{slug}/review`, the review queue, and `/r/{id}/upkeep`, where a steward or a
//! facilitator keeps an entry current and a facilitator names its steward.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use time::{Date, Month, OffsetDateTime};

use super::queries::{self, Change};
use super::review_date;
use super::views::{ReviewQueuePage, UpkeepForm, UpkeepPage};
use crate::auth::Member;
use crate::educate::policy::{may_appoint_steward, may_keep, may_see_review_queue};
use crate::educate::routes::readable_entry;
use crate::error::Result;
use crate::forum::fields::Slug;
use crate::forum::lookup::readable_domain;
use crate::web::path::EntryId;
use crate::web::{flash_and_redirect, FieldErrors, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/d/{slug}/review", get(review_queue))
        .route("/r/{id}/upkeep", get(upkeep_page).post(upkeep))
        .route("/r/{id}/steward", post(appoint_steward))
}

async fn review_queue(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<ReviewQueuePage> {
    let viewer = Some(&member.user);
    let domain = readable_domain(&state.db, &slug, viewer).await?;
    let is_steward = queries::stewards_in(&state.db, domain.id, member.user.id).await?;
    may_see_review_queue(viewer, &domain, is_steward)?;
    let waiting = queries::queue(&state.db, domain.id).await?;
    Ok(ReviewQueuePage {
        page: member.page,
        domain,
        waiting,
    })
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// `date` moved on by `months`, on the same day of the month or the month's last.
pub fn add_months(date: Date, months: i32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    let Ok(month) = Month::try_from(month as u8) else {
        return date;
    };
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

/// A date after today, from a form.
fn future_date(raw: &str) -> std::result::Result<Date, &'static str> {
    let date = review_date(raw)?;
    if date <= today() {
        return Err("Choose a date after today: a review date is in the future.");
    }
    Ok(date)
}

/// An entry number from `12`, `#12`, `/r/12` or a full address ending in `/r/12`.
fn entry_number(raw: &str) -> Option<i64> {
    let raw = raw.trim().trim_end_matches('/');
    let tail = raw
        .rsplit('/')
        .next()
        .unwrap_or(raw)
        .trim_start_matches('#');
    tail.parse().ok().filter(|id| *id > 0)
}

/// The change the form asks for, each problem named by its field.
async fn change_of(
    state: &AppState,
    form: &UpkeepForm,
    entry: (i64, i64),
    errors: &mut FieldErrors,
) -> Result<Option<Change>> {
    let (entry_id, domain_id) = entry;
    if form.note.chars().count() > 1000 {
        errors.add("note", "Keep the note to 1000 characters or fewer.");
    }
    let change = match form.act.as_str() {
        "verify" if form.review_by.trim().is_empty() => {
            let rhythm = crate::cultivate::queries::rhythm(&state.db, domain_id).await?;
            let months = rhythm.review_months;
            Some(Change::Verify {
                review_by: add_months(today(), months),
            })
        }
        "verify" => errors
            .check("review_by", future_date(&form.review_by))
            .map(|review_by| Change::Verify { review_by }),
        "review_by" => errors
            .check("review_by", future_date(&form.review_by))
            .map(Change::ReviewBy),
        "needs_review" => Some(Change::NeedsReview),
        "outdated" => Some(Change::Outdated),
        "obsolete" => match entry_number(&form.replacement) {
            Some(id) if id == entry_id => {
                errors.add("replacement", "An entry cannot replace itself.");
                None
            }
            Some(id) => match queries::replacement(&state.db, domain_id, id, entry_id).await? {
                Some((replacement, title)) => Some(Change::Obsolete { replacement, title }),
                None => {
                    errors.add(
                        "replacement",
                        "No entry of this domain has that number: name one of its own entries.",
                    );
                    None
                }
            },
            None => {
                errors.add(
                    "replacement",
                    "Name the entry that replaces it, by its number or address (/r/12).",
                );
                None
            }
        },
        _ => {
            errors.add("act", "Choose what to do with the entry.");
            None
        }
    };
    Ok(change.filter(|_| errors.is_empty()))
}

async fn page_for(
    state: &AppState,
    member: Member,
    id: EntryId,
    form: UpkeepForm,
    steward: String,
    errors: FieldErrors,
) -> Result<UpkeepPage> {
    let viewer = Some(&member.user);
    let (entry, domain) = readable_entry(state, id, viewer).await?;
    may_keep(viewer, entry.steward_id, &domain)?;
    let history = queries::history(&state.db, entry.id).await?;
    Ok(UpkeepPage {
        can_appoint: may_appoint_steward(viewer, &domain).is_ok(),
        tomorrow: today().next_day().unwrap_or(today()).to_string(),
        page: member.page,
        domain,
        entry,
        form,
        steward,
        errors,
        history,
    })
}

async fn upkeep_page(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
) -> Result<UpkeepPage> {
    let form = UpkeepForm {
        act: "verify".into(),
        ..UpkeepForm::default()
    };
    page_for(
        &state,
        member,
        id,
        form,
        String::new(),
        FieldErrors::default(),
    )
    .await
}

async fn upkeep(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
    Form(form): Form<UpkeepForm>,
) -> Result<Response> {
    let viewer = Some(&member.user);
    let (entry, domain) = readable_entry(&state, id, viewer).await?;
    may_keep(viewer, entry.steward_id, &domain)?;
    let mut errors = FieldErrors::default();
    let Some(change) = change_of(&state, &form, (entry.id, domain.id), &mut errors).await? else {
        let page = page_for(&state, member, id, form, String::new(), errors).await?;
        return Ok(page.answer());
    };
    let mut tx = state.db.begin().await?;
    queries::apply(&mut tx, entry.id, member.user.id, &change, form.note.trim()).await?;
    tx.commit().await?;
    let done = match &change {
        Change::Verify { review_by } => format!("Verified: current, next review by {review_by}."),
        Change::ReviewBy(date) => format!("The entry is due for review by {date}."),
        Change::NeedsReview => "The entry waits in the review queue.".to_string(),
        Change::Outdated => "Marked outdated: it waits in the review queue.".to_string(),
        Change::Obsolete { title, .. } => format!("Retired as obsolete; it points to “{title}”."),
    };
    let back = format!("/r/{}", entry.id);
    flash_and_redirect(&member.session, FlashKind::Success, done, &back).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StewardForm {
    steward: String,
}

async fn appoint_steward(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<EntryId>,
    Form(form): Form<StewardForm>,
) -> Result<Response> {
    let viewer = Some(&member.user);
    let (entry, domain) = readable_entry(&state, id, viewer).await?;
    may_appoint_steward(viewer, &domain)?;
    let name = form.steward.trim().trim_start_matches('@');
    let Some(steward) = queries::member_of(&state.db, domain.id, name).await? else {
        let mut errors = FieldErrors::default();
        errors.add(
            "steward",
            "Name a member of this domain by their username: a steward keeps its entries.",
        );
        let upkeep = UpkeepForm {
            act: "verify".into(),
            ..UpkeepForm::default()
        };
        let page = page_for(&state, member, id, upkeep, form.steward, errors).await?;
        return Ok(page.answer());
    };
    let mut tx = state.db.begin().await?;
    queries::set_steward(&mut tx, entry.id, member.user.id, (steward.0, &steward.1)).await?;
    tx.commit().await?;
    let done = format!("{} stewards the entry now.", steward.1);
    let back = format!("/r/{}", entry.id);
    flash_and_redirect(&member.session, FlashKind::Success, done, &back).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_are_added_to_the_last_day_of_a_shorter_month() {
        assert_eq!(add_months(date!(2026 - 11 - 24), 12), date!(2027 - 11 - 24));
        assert_eq!(add_months(date!(2027 - 01 - 31), 1), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 12 - 15), 1), date!(2028 - 01 - 15));
    }

    #[test]
    fn entries_are_named_by_number_or_address() {
        assert_eq!(entry_number("12"), Some(12));
        assert_eq!(entry_number("#12"), Some(12));
        assert_eq!(entry_number("https://garden.example/r/12/"), Some(12));
        assert_eq!(entry_number("twelve"), None);
        assert_eq!(entry_number("-3"), None);
    }
}
