//! Markdown rendering and sanitising: no input panics, and nothing that runs script survives.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;

/// Whether `needle` occurs inside a real tag of `html`: text has its `<` escaped, so a match
/// after a `<` with no `>` between is markup.
fn in_a_tag(html: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(found) = html[from..].find(needle) {
        let at = from + found;
        let before = &html[..at];
        if before.rfind('<') > before.rfind('>') {
            return true;
        }
        from = at + needle.len();
    }
    false
}

fuzz_target!(|source: &str| {
    let known = HashMap::from([("ana".to_string(), "Ana".to_string())]);
    for html in [
        commonplace::markdown::render(source),
        commonplace::markdown::render_with_mentions(source, &known),
    ] {
        let lower = html.to_ascii_lowercase();
        for tag in [
            "<script", "<iframe", "<object", "<embed", "<style", "<svg", "<math",
        ] {
            assert!(!lower.contains(tag), "{tag} survived in {html:?}");
        }
        for attribute in [
            "href=\"javascript:",
            "src=\"javascript:",
            " onerror=",
            " onload=",
            " onclick=",
            " style=",
        ] {
            assert!(
                !in_a_tag(&lower, attribute),
                "{attribute} survived in {html:?}"
            );
        }
    }
    let _ = commonplace::markdown::plain_excerpt(source, 160);
    let _ = commonplace::markdown::mentioned_names(source);
});
