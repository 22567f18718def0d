//! The colours a browser shows the site in: the device's setting by default, or light or dark
//! as chosen at `/appearance`. The choice is a cookie of the browser's own (a visitor can choose
//! too), read into every page's context; the page works the same without JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::session::ensure_csrf;
use super::Visitor;
use crate::error::Result;
use crate::web::page::{Theme, THEME_COOKIE};
use crate::web::{flash_and_redirect, safe_next, FlashKind, Form, PageContext, Query};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/appearance", get(form).post(choose))
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/appearance.html")]
pub struct AppearancePage {
    pub page: PageContext,
    /// Where the member came from, and goes back to after choosing.
    pub back: String,
}

impl AppearancePage {
    fn chosen(&self, value: &str) -> bool {
        self.page
            .theme
            .map_or("system".to_string(), |t| t.to_string())
            == value
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Back {
    back: Option<String>,
}

async fn form(
    visitor: Visitor,
    headers: HeaderMap,
    Query(q): Query<Back>,
) -> Result<AppearancePage> {
    let mut page = visitor.page;
    page.csrf = ensure_csrf(&visitor.session).await?;
    // Back to the page whose footer link was followed; only ever a path on this site.
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.parse::<axum::http::Uri>().ok())
        .and_then(|url| url.path_and_query().map(|p| p.as_str().to_string()));
    let back = q.back.or(referer).filter(|path| path != "/appearance");
    Ok(AppearancePage {
        page,
        back: safe_next(back.as_deref()),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Choice {
    theme: String,
    back: Option<String>,
}

async fn choose(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(choice): Form<Choice>,
) -> Result<Response> {
    let theme = Theme::parse(&choice.theme);
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    // A year for a choice; the device's setting (anything else sent) forgets it.
    let cookie = match theme {
        Some(theme) => format!(
            "{THEME_COOKIE}={theme}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}"
        ),
        None => format!("{THEME_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"),
    };
    let message = match theme {
        Some(Theme::Light) => "The site is shown in light colours.",
        Some(Theme::Dark) => "The site is shown in dark colours.",
        None => "The site follows your device's light or dark setting.",
    };
    let back = safe_next(choice.back.as_deref());
    let mut response =
        flash_and_redirect(&visitor.session, FlashKind::Success, message, &back).await?;
    let cookie = HeaderValue::from_str(&cookie)
        .map_err(|e| anyhow::anyhow!("the theme cookie is a header value: {e}"))?;
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
