//! Markdown to safe HTML, once, at write time.
//!
//! pulldown-cmark renders CommonMark with tables, strikethrough and task lists; ammonia then
//! removes everything not on a strict allow-list: no scripts, styles, event handlers, iframes,
//! forms or SVG, and only http, https and mailto links. Raw HTML in the source is escaped rather
//! than passed through, so the sanitiser is a second wall, not the only one. The result is stored
//! beside the source and never re-parsed when a page is shown.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::AppError;

use pulldown_cmark::{html, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "details",
        "dd",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "input",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut tag_attributes: HashMap<&str, HashSet<&str>> = HashMap::new();
    tag_attributes.insert("a", ["href", "title"].into_iter().collect());
    tag_attributes.insert("img", ["src", "alt", "title"].into_iter().collect());
    // Task-list checkboxes: shown, never submitted.
    tag_attributes.insert(
        "input",
        ["type", "checked", "disabled"].into_iter().collect(),
    );
    tag_attributes.insert("th", ["align"].into_iter().collect());
    tag_attributes.insert("td", ["align"].into_iter().collect());
    tag_attributes.insert("ol", ["start"].into_iter().collect());
    let mut builder = ammonia::Builder::default();
    builder
        .tags(tags)
        .tag_attributes(tag_attributes)
        .generic_attributes(HashSet::new())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow ugc noopener"))
        .allowed_classes(
            [(
                "code",
                ["language-rust", "language-sql", "language-text"]
                    .into_iter()
                    .collect(),
            )]
            .into_iter()
            .collect(),
        )
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Only checkboxes survive as inputs.
            ("input", "type") if value != "checkbox" => None,
            _ => Some(value.into()),
        })
        .strip_comments(true);
    builder
});

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Renders on the blocking pool, a few at once, within a time budget, so no body can hold an
/// async worker (which also serves every other request) while it is parsed and sanitised. With
/// nesting flattened and bodies capped at 100 000 characters the worst input measured renders in
/// about 0.1 s; the budget is for a machine far busier than that. The permit travels with the
/// work, so a render that outlives its budget still counts against the cap until it ends.
pub async fn render_off_runtime(
    source: String,
    known: HashMap<String, String>,
) -> Result<String, AppError> {
    let turn = tokio::time::timeout(RENDER_BUDGET, RENDERING.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Busy(crate::error::OVERLOADED))?
        .map_err(|e| anyhow::anyhow!("the rendering semaphore closed: {e}"))?;
    let work = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        render_with_mentions(&source, &known)
    });
    match tokio::time::timeout(RENDER_BUDGET, work).await {
        Ok(rendered) => Ok(rendered.map_err(|e| anyhow::anyhow!("rendering panicked: {e}"))?),
        Err(_) => Err(AppError::Busy(TOO_COMPLEX)),
    }
}

const RENDER_BUDGET: Duration = Duration::from_secs(2);

const TOO_COMPLEX: &str = "That text took too long to format. Please simplify it and try again.";

/// One render per core at once: more would only make each take longer.
static RENDERING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Arc::new(Semaphore::new(cores))
});

/// Renders Markdown to sanitised HTML.
pub fn render(source: &str) -> String {
    render_with_mentions(source, &HashMap::new())
}

/// Renders Markdown, turning `@name` into a link to the profile of each member in `known`
/// (lower-case username → username as registered). Other `@words` stay plain text, as do
/// mentions inside code and inside links.
pub fn render_with_mentions(source: &str, known: &HashMap<String, String>) -> String {
    let mut events = Vec::new();
    let mut code_or_link_depth = 0usize;
    for event in Parser::new_ext(source, options()) {
        match event {
            // Raw HTML is shown as text: members write Markdown, not markup.
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            Event::Start(Tag::CodeBlock(_) | Tag::Link { .. } | Tag::Image { .. }) => {
                code_or_link_depth += 1;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock | TagEnd::Link | TagEnd::Image) => {
                code_or_link_depth = code_or_link_depth.saturating_sub(1);
                events.push(event);
            }
            Event::Text(text) if code_or_link_depth == 0 && !known.is_empty() => {
                link_mentions(&text, known, &mut events);
            }
            other => events.push(other),
        }
    }
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, flatten_deep_nesting(events).into_iter());
    SANITIZER.clean(&unsafe_html).to_string()
}

/// Elements nested deeper than this lose their tags (their text stays). The sanitiser's HTML
/// parser spends time on every open element for each new one, so 20 000 nested quotes took over
/// a second and 100 000 took minutes; nobody writes a quote in a list in a quote 16 deep.
pub const MAX_NESTING: usize = 16;

fn flatten_deep_nesting(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut kept = Vec::with_capacity(events.len());
    // For each open tag: whether it was kept, so its end is kept or dropped with it.
    let mut open: Vec<bool> = Vec::new();
    let mut depth = 0usize;
    for event in events {
        match event {
            Event::Start(_) => {
                let keep = depth < MAX_NESTING;
                open.push(keep);
                if keep {
                    depth += 1;
                    kept.push(event);
                }
            }
            Event::End(_) => {
                if open.pop().unwrap_or(false) {
                    depth -= 1;
                    kept.push(event);
                }
            }
            other => kept.push(other),
        }
    }
    kept
}

fn link_mentions<'a>(text: &str, known: &HashMap<String, String>, events: &mut Vec<Event<'a>>) {
    let mut plain_from = 0;
    for (at, name) in mention_spans(text) {
        let Some(username) = known.get(&name.to_ascii_lowercase()) else {
            continue;
        };
        if at > plain_from {
            events.push(Event::Text(CowStr::from(text[plain_from..at].to_string())));
        }
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: CowStr::from(format!("/u/{username}")),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        events.push(Event::Text(CowStr::from(format!("@{username}"))));
        events.push(Event::End(TagEnd::Link));
        plain_from = at + 1 + name.len();
    }
    if plain_from < text.len() {
        events.push(Event::Text(CowStr::from(text[plain_from..].to_string())));
    }
}

/// `@name` occurrences: the `@` is at the start or after a character that cannot be part of an
/// email address, and the name follows the username rule. Returns (byte offset of `@`, name).
fn mention_spans(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    for (at, _) in text.match_indices('@') {
        let after_word = at > 0
            && (bytes[at - 1].is_ascii_alphanumeric()
                || matches!(bytes[at - 1], b'_' | b'-' | b'.'));
        if after_word {
            continue;
        }
        let name_len = text[at + 1..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        let name = text[at + 1..at + 1 + name_len].trim_end_matches(['-', '_']);
        if (3..=30).contains(&name.len()) && name.as_bytes()[0].is_ascii_alphanumeric() {
            spans.push((at, name));
        }
    }
    spans
}

/// A post's Markdown as the start of something else (a repertoire entry): quotations of other
/// posts (`> …` lines and the "[@name wrote](/p/1):" line before them) are dropped, and
/// `@name` mentions become plain names, so nobody is notified or addressed from the copy.
pub fn without_quotes_and_mentions(source: &str) -> String {
    let mut kept: Vec<String> = Vec::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        let attribution = trimmed.starts_with("[@") && trimmed.contains(" wrote](/p/");
        if trimmed.starts_with('>') || attribution {
            continue;
        }
        let mut plain = String::with_capacity(line.len());
        let mut from = 0;
        for (at, _) in mention_spans(line) {
            plain.push_str(&line[from..at]);
            from = at + 1;
        }
        plain.push_str(&line[from..]);
        kept.push(plain);
    }
    kept.join("\n").trim().to_string()
}

/// Lower-case usernames mentioned in `source`, outside code, for looking up who exists.
pub fn mentioned_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_code = 0usize;
    for event in Parser::new_ext(source, options()) {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Link { .. }) => in_code += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::Link) => in_code = in_code.saturating_sub(1),
            Event::Text(text) if in_code == 0 => {
                for (_, name) in mention_spans(&text) {
                    let name = name.to_ascii_lowercase();
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
            _ => {}
        }
    }
    names
}

/// Plain text of a Markdown body, for feeds, titles and previews: markup dropped, whitespace
/// folded, cut at `max_chars` on a character boundary.
pub fn plain_excerpt(source: &str, max_chars: usize) -> String {
    let mut text = String::new();
    for event in Parser::new_ext(source, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max_chars {
        folded
    } else {
        let cut: String = folded.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_extensions_we_promise() {
        let html = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n\n```rust\nfn x() {}\n```",
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(
            html.contains("<pre><code class=\"language-rust\">"),
            "{html}"
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = render("<script>alert(1)</script> and <b onclick=x>bold</b>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b onclick"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn links_get_rel_and_dangerous_schemes_go() {
        let html =
            render("[a](https://example.org) [b](javascript:alert(1)) [c](data:text/html,x)");
        assert!(html.contains("rel=\"nofollow ugc noopener\""), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn known_mentions_become_profile_links() {
        let known: HashMap<String, String> = [("ana".to_string(), "Ana".to_string())]
            .into_iter()
            .collect();
        let html = render_with_mentions("Ask @ana or @nobody, not ana@example.org. `@ana`", &known);
        assert!(
            html.contains("<a href=\"/u/Ana\" rel=\"nofollow ugc noopener\">@Ana</a> or @nobody"),
            "{html}"
        );
        assert!(html.contains("ana@example.org"), "{html}");
        assert!(html.contains("<code>@ana</code>"), "{html}");
    }

    #[test]
    fn a_copy_drops_quotations_and_turns_mentions_into_names() {
        let post = "[@bea wrote](/p/7):\n> Beer traps?\n> Really?\n\nYes @bea, and ask @raj_s.\nMail me@example.org.";
        assert_eq!(
            without_quotes_and_mentions(post),
            "Yes bea, and ask raj_s.\nMail me@example.org."
        );
    }

    #[test]
    fn mentioned_names_skip_code_emails_and_duplicates() {
        assert_eq!(
            mentioned_names("@Ana and @ana, @bo, x@kim.org, `@cal` @dee-"),
            vec!["ana", "dee"]
        );
    }

    #[test]
    fn excerpts_are_plain_and_short() {
        assert_eq!(
            plain_excerpt("# Title\n\nSome *emphasis* here.", 100),
            "Title Some emphasis here."
        );
        assert_eq!(plain_excerpt("abcdef", 4), "abc…");
    }

    #[test]
    fn deep_nesting_is_flattened_and_the_text_kept() {
        let html = render(&format!("{}deep", "> ".repeat(100)));
        assert_eq!(html.matches("<blockquote>").count(), MAX_NESTING, "{html}");
        assert!(html.contains("deep"), "{html}");
        let html = render("> - quoted item\n\n*em* [link](https://example.org)");
        assert!(
            html.contains("<blockquote>\n<ul>\n<li>quoted item</li>"),
            "{html}"
        );
    }
}
