//! `/admin`: creating, editing and archiving domains, and appointing their facilitators. Every
//! act is in the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::fields::{DomainFields, DomainInput};
use super::queries::{self, DomainRow, NewDomain};
use super::views::{AdminDomainPage, ArchivePage, DashboardPage, DomainForm, NewDomainPage};
use crate::auth::fields::Email;
use crate::auth::invitation::{self, InvitedTo};
use crate::auth::Admin;
use crate::error::{AppError, Result};
use crate::forum::fields::Slug;
use crate::forum::fields::{domain_name, Visibility};
use crate::moderation::log::queries::{record_in_domain, Action};
use crate::web::{flash_and_redirect, FieldErrors, FlashKind, Form, PageContext, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/domains/new", get(new_domain_form).post(new_domain))
        .route("/admin/domains/{slug}", get(domain))
        .route("/admin/domains/{slug}/facilitators", post(appoint))
        .route("/admin/domains/{slug}/invite", post(invite))
        .route(
            "/admin/domains/{slug}/facilitators/{username}/remove",
            post(dismiss),
        )
        .route("/admin/domains/{slug}/edit", post(edit_domain))
        .route(
            "/admin/domains/{slug}/archive",
            get(archive_form).post(archive_domain),
        )
        .route("/admin/domains/{slug}/restore", post(restore_domain))
}

async fn dashboard(State(state): State<AppState>, Admin(admin): Admin) -> Result<DashboardPage> {
    let (domains, archived, flagged_messages) = tokio::try_join!(
        queries::domains(&state.db),
        queries::archived_domains(&state.db),
        crate::moderation::message_flags::queries::open_count(&state.db),
    )?;
    Ok(DashboardPage {
        page: admin.page,
        domains,
        archived,
        flagged_messages,
    })
}

async fn new_domain_form(Admin(admin): Admin) -> NewDomainPage {
    NewDomainPage {
        page: admin.page,
        form: DomainForm::default(),
        errors: FieldErrors::default(),
    }
}

async fn new_domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Form(form): Form<DomainForm>,
) -> Result<Response> {
    let slug = form.slug.trim().to_lowercase();
    let input = DomainInput {
        name: &form.name,
        slug: &slug,
        charter: &form.charter,
        practice_focus: &form.practice_focus,
        audience: &form.audience,
        visibility: &form.visibility,
    };
    let fields = match DomainFields::parse(&input) {
        Ok(fields) => fields,
        Err(problems) => {
            let errors = FieldErrors::from_problems(&problems);
            return Ok(new_domain_again(admin.page, form, errors));
        }
    };
    let mut tx = state.db.begin().await?;
    let created = queries::create(
        &mut tx,
        NewDomain {
            slug: &fields.slug,
            name: &fields.name,
            charter: &fields.charter,
            visibility: fields.visibility,
            created_by: Some(admin.user.id),
        },
    )
    .await?;
    let Some(domain_id) = created else {
        let mut errors = FieldErrors::default();
        errors.add("slug", "Another domain already has that address.");
        return Ok(new_domain_again(admin.page, form, errors));
    };
    crate::cultivate::queries::ensure_introductions(
        &mut tx,
        domain_id,
        admin.user.id,
        &fields.name,
    )
    .await?;
    let target = ("domain", domain_id);
    record_in_domain(
        &mut *tx,
        admin.user.id,
        domain_id,
        Action::CreateDomain,
        target,
        "",
    )
    .await?;
    tx.commit().await?;
    let message = format!("{} is created. Now appoint its facilitators.", fields.name);
    flash_and_redirect(
        &admin.session,
        FlashKind::Success,
        message,
        &format!("/admin/domains/{}", fields.slug),
    )
    .await
}

fn new_domain_again(page: PageContext, form: DomainForm, errors: FieldErrors) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        NewDomainPage { page, form, errors },
    )
        .into_response()
}

async fn load_domain(state: &AppState, slug: &str) -> Result<DomainRow> {
    queries::domain(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)
}

async fn domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<Slug>,
) -> Result<AdminDomainPage> {
    let domain = load_domain(&state, &slug).await?;
    Ok(AdminDomainPage::new(admin.page, domain))
}

fn domain_again(page: PageContext, domain: DomainRow, error: String) -> Response {
    let page = AdminDomainPage {
        error: Some(error),
        ..AdminDomainPage::new(page, domain)
    };
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AppointForm {
    username: String,
}

/// Makes a user a facilitator of the domain (joining them if need be).
async fn appoint(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<Slug>,
    Form(form): Form<AppointForm>,
) -> Result<Response> {
    let domain = load_domain(&state, &slug).await?;
    let username = form.username.trim();
    let Some(user_id) = queries::user_id(&state.db, username).await? else {
        let error = format!("There is no member called “{username}”.");
        return Ok(domain_again(admin.page, domain, error));
    };
    let mut tx = state.db.begin().await?;
    queries::appoint(&mut tx, domain.id, user_id).await?;
    let target = ("user", user_id);
    record_in_domain(
        &mut *tx,
        admin.user.id,
        domain.id,
        Action::AppointFacilitator,
        target,
        "",
    )
    .await?;
    tx.commit().await?;
    let message = format!("{username} now facilitates {}.", domain.name);
    flash_and_redirect(
        &admin.session,
        FlashKind::Success,
        message,
        &format!("/admin/domains/{}", domain.slug),
    )
    .await
}

async fn dismiss(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path((slug, username)): Path<(String, String)>,
) -> Result<Response> {
    let domain = load_domain(&state, &slug).await?;
    let mut tx = state.db.begin().await?;
    let user_id = queries::dismiss(&mut tx, domain.id, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = ("user", user_id);
    record_in_domain(
        &mut *tx,
        admin.user.id,
        domain.id,
        Action::RemoveFacilitator,
        target,
        "",
    )
    .await?;
    tx.commit().await?;
    let message = format!("{username} is no longer a facilitator of {}.", domain.name);
    flash_and_redirect(
        &admin.session,
        FlashKind::Notice,
        message,
        &format!("/admin/domains/{}", domain.slug),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DomainEditForm {
    name: String,
    visibility: String,
}

async fn edit_domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<Slug>,
    Form(form): Form<DomainEditForm>,
) -> Result<Response> {
    let domain = load_domain(&state, &slug).await?;
    let (Ok(name), Ok(visibility)) = (domain_name(&form.name), Visibility::parse(&form.visibility))
    else {
        let error = "Give a name of at most 100 characters and choose public or private.";
        return Ok(domain_again(admin.page, domain, error.into()));
    };
    let mut tx = state.db.begin().await?;
    queries::update(&mut tx, domain.id, &name, visibility).await?;
    let reason = format!("{name}, {}", visibility.as_str());
    let target = ("domain", domain.id);
    record_in_domain(
        &mut *tx,
        admin.user.id,
        domain.id,
        Action::EditDomain,
        target,
        &reason,
    )
    .await?;
    tx.commit().await?;
    flash_and_redirect(
        &admin.session,
        FlashKind::Success,
        "The domain is updated.",
        &format!("/admin/domains/{}", domain.slug),
    )
    .await
}

/// Archiving asks first, on a page of its own, so it never happens in one click (with or
/// without JavaScript).
async fn archive_form(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<Slug>,
) -> Result<ArchivePage> {
    let domain = load_domain(&state, &slug).await?;
    let (threads, entries) = queries::content_counts(&state.db, domain.id).await?;
    Ok(ArchivePage {
        page: admin.page,
        domain,
        threads,
        entries,
    })
}

/// Archiving hides a domain everywhere; its content is kept.
async fn archive_domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<Slug>,
) -> Result<Response> {
    let domain = load_domain(&state, &slug).await?;
    let mut tx = state.db.begin().await?;
    queries::archive(&mut tx, domain.id).await?;
    let target = ("domain", domain.id);
    record_in_domain(
        &mut *tx,
        admin.user.id,
        domain.id,
        Action::ArchiveDomain,
        target,
        "",
    )
    .await?;
    tx.commit().await?;
    let message = format!(
        "{} is archived. It is listed under “Archived domains” below, where it can be restored.",
        domain.name
    );
    flash_and_redirect(&admin.session, FlashKind::Notice, message, "/admin").await
}

/// Brings an archived domain back, with everything it had.
async fn restore_domain(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<Slug>,
) -> Result<Response> {
    let domain = queries::archived_domain(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.db.begin().await?;
    queries::restore(&mut tx, domain.id).await?;
    let target = ("domain", domain.id);
    record_in_domain(
        &mut *tx,
        admin.user.id,
        domain.id,
        Action::RestoreDomain,
        target,
        "",
    )
    .await?;
    tx.commit().await?;
    let message = format!("{} is restored.", domain.name);
    let to = format!("/admin/domains/{}", domain.slug);
    flash_and_redirect(&admin.session, FlashKind::Success, message, &to).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteForm {
    addresses: String,
}

/// At most this many addresses in one go.
const MOST_INVITATIONS: usize = 50;

/// The addresses in the invitation form (one a line, or separated by commas or spaces), each
/// checked; the problem names every one that is not an address.
fn invitation_addresses(raw: &str) -> std::result::Result<Vec<Email>, String> {
    let words: Vec<&str> = raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Err("Write at least one email address.".into());
    }
    if words.len() > MOST_INVITATIONS {
        return Err(format!("At most {MOST_INVITATIONS} addresses at a time."));
    }
    let bad: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| Email::parse(w).is_err())
        .collect();
    if !bad.is_empty() {
        return Err(format!(
            "These are not email addresses: {}.",
            bad.join(", ")
        ));
    }
    let mut seen = std::collections::HashSet::new();
    Ok(words
        .iter()
        .filter_map(|w| Email::parse(w).ok())
        .filter(|e| seen.insert(e.as_str().to_lowercase()))
        .collect())
}

/// Invites each address to the domain by email.
async fn invite(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(slug): Path<Slug>,
    Form(form): Form<InviteForm>,
) -> Result<Response> {
    let domain = load_domain(&state, &slug).await?;
    let emails = match invitation_addresses(&form.addresses) {
        Ok(emails) => emails,
        Err(problem) => {
            let page = AdminDomainPage {
                invite_addresses: form.addresses,
                invite_error: Some(problem),
                ..AdminDomainPage::new(admin.page, domain)
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let to = InvitedTo {
        id: domain.id,
        slug: &domain.slug,
        name: &domain.name,
    };
    let mut tx = state.db.begin().await?;
    for email in &emails {
        let inviter = invitation::Inviter::member(&admin.user);
        invitation::invite(&mut tx, &state.config, &to, email, inviter).await?;
    }
    let count = emails.len();
    let reason = crate::web::count(count as i64, "address", "addresses");
    record_in_domain(
        &mut *tx,
        admin.user.id,
        domain.id,
        Action::Invite,
        ("domain", domain.id),
        &reason,
    )
    .await?;
    tx.commit().await?;
    let message = match count {
        1 => format!("An invitation to {} is on its way.", domain.name),
        n => format!("{n} invitations to {} are on their way.", domain.name),
    };
    flash_and_redirect(
        &admin.session,
        FlashKind::Success,
        message,
        &format!("/admin/domains/{}", domain.slug),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::invitation_addresses;

    #[test]
    fn invitation_addresses_are_read_and_checked() {
        let found =
            invitation_addresses("ana@example.org,\n Bea@Example.org ana@example.org").unwrap();
        let found: Vec<&str> = found.iter().map(|e| e.as_str()).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            invitation_addresses("ana@example.org\nnot-an-address\n@x").unwrap_err(),
            "These are not email addresses: not-an-address, @x."
        );
        assert!(invitation_addresses("  \n ").is_err());
        let many = "a@example.org ".repeat(51);
        assert!(invitation_addresses(&many)
            .unwrap_err()
            .contains("At most 50"));
    }
}
