//! Markdown to safe HTML, once, at write time.
//!
//! pulldown-cmark renders CommonMark with tables, strikethrough and task lists; ammonia then
//! removes everything not on a strict allow-list: no scripts, styles, event handlers, iframes,
//! forms or SVG, and only http, https and mailto links. Raw HTML in the source is escaped rather
//! than passed through, so the sanitiser is a second wall, not the only one. The result is stored
//! beside the source and never re-parsed when a page is shown.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{html, Event, Options, Parser};

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

/// Renders Markdown to sanitised HTML.
pub fn render(source: &str) -> String {
    // Raw HTML is shown as text: members write Markdown, not markup.
    let events = Parser::new_ext(source, options()).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events);
    SANITIZER.clean(&unsafe_html).to_string()
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
    fn excerpts_are_plain_and_short() {
        assert_eq!(
            plain_excerpt("# Title\n\nSome *emphasis* here.", 100),
            "Title Some emphasis here."
        );
        assert_eq!(plain_excerpt("abcdef", 4), "abc…");
    }
}
