//! Hostile Markdown and HTML, posted through the real form; the stored HTML must carry none of
//! the dangerous constructs.

use crate::helpers::TestApp;
use reqwest::StatusCode;

const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\">",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "<a href=\"&#106;avascript:alert(1)\">click</a>",
    "<a href=\"&#x6A;avascript&#x3A;alert(1)\">click</a>",
    "<a href=\"java\tscript:alert(1)\">click</a>",
    "<a href=\" javascript:alert(1)\">click</a>",
    "<a href=\"vbscript:msgbox(1)\">click</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">click</a>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "![img](x\" onerror=\"alert(1))",
    "[a](https://example.org \"title\" onmouseover=\"alert(1)\")",
    "<a href=\"https://example.org\" onclick=\"alert(1)\">x</a>",
    "<form action=\"https://evil.example\"><input name=p></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<input type=\"text\" onfocus=\"alert(1)\" autofocus>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<audio src=x onerror=alert(1)>",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<marquee onstart=alert(1)>x</marquee>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<p title=\"</p><script>alert(1)</script>\">x</p>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<x onclick=alert(1)>custom</x>",
    "<img src=\"x\"/onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
    "<table><tr><td background=\"javascript:alert(1)\">x</td></tr></table>",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<a href=\"https://example.org\">raw link</a>",
    "[fine link](https://example.org) and [relative](/d)",
];

/// Every tag in the stored HTML must be on the allow-list.
const ALLOWED_TAGS: &[&str] = &[
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
];

fn tags(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .map(|rest| {
            rest.trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .collect()
}

/// The values of `href` and `src` attributes of real tags (text nodes cannot hold a raw `<`),
/// entity-decoded the way a browser would.
fn urls(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let tag_interiors = html
        .split('<')
        .skip(1)
        .map(|tag| tag.split('>').next().unwrap_or(""));
    for (interior, attribute) in tag_interiors.flat_map(|t| [(t, "href=\""), (t, "src=\"")]) {
        let mut rest = interior;
        while let Some(start) = rest.find(attribute) {
            let value = &rest[start + attribute.len()..];
            let end = value.find('"').unwrap_or(value.len());
            found.push(decode(&value[..end]));
            rest = &value[end..];
        }
    }
    found
}

/// The attribute names inside a tag (`a href="x" title="go on"` gives href, title); values are
/// skipped, so text in a value is never mistaken for an attribute.
fn attribute_names(interior: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = interior.trim_start_matches('/').chars().peekable();
    while chars.next_if(|c| !c.is_whitespace()).is_some() {} // the tag name
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == '/').is_some() {}
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=')).collect();
        if name.is_empty() {
            return names;
        }
        names.push(name.to_ascii_lowercase());
        if chars.next_if_eq(&'=').is_some() {
            match chars.next_if(|c| *c == '"' || *c == '\'') {
                Some(quote) => while chars.next().is_some_and(|c| c != quote) {},
                None => while chars.next_if(|c| !c.is_whitespace()).is_some() {},
            }
        }
    }
}

fn decode(value: &str) -> String {
    value
        .replace("&amp;", "&")
        .replace("&#58;", ":")
        .replace("&#x3A;", ":")
        .replace("&#106;", "j")
        .replace("&#x6A;", "j")
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn is_safe_url(url: &str) -> bool {
    let scheme_end = url.find(':');
    let path_start = url.find(['/', '?', '#']).unwrap_or(url.len());
    match scheme_end {
        Some(colon) if colon < path_start => {
            let scheme = &url[..colon];
            scheme == "http" || scheme == "https" || scheme == "mailto"
        }
        _ => true, // relative
    }
}

#[tokio::test]
async fn hostile_bodies_are_stored_without_anything_dangerous() {
    assert!(HOSTILE.len() >= 50);
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let thread = app
        .start_thread("gardens", "Hostile input", "Opening")
        .await;
    for body in HOSTILE {
        let page = app.reply(thread, body).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{body}");
    }
    let stored: Vec<(String, String)> = sqlx::query_as(
        "SELECT body_md, body_html FROM posts WHERE thread_id = $1 ORDER BY id OFFSET 1",
    )
    .bind(thread)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(stored.len(), HOSTILE.len());
    for (source, html) in &stored {
        assert_eq!(
            source,
            HOSTILE[stored.iter().position(|(s, _)| s == source).unwrap()],
            "the source is kept as typed"
        );
        for tag in tags(html) {
            assert!(
                ALLOWED_TAGS.contains(&tag.as_str()),
                "tag <{tag}> survived in {html:?} from {source:?}"
            );
        }
        for interior in html
            .split('<')
            .skip(1)
            .map(|tag| tag.split('>').next().unwrap_or(""))
        {
            for name in attribute_names(interior) {
                let dangerous = name.starts_with("on")
                    || ["style", "srcdoc", "formaction", "xlink:href"].contains(&name.as_str());
                assert!(!dangerous, "attribute {name} in {html:?} from {source:?}");
            }
        }
        for url in urls(html) {
            assert!(
                is_safe_url(&url),
                "unsafe URL {url:?} in {html:?} from {source:?}"
            );
        }
    }
    // Raw HTML is shown as text, harmlessly; Markdown links survive, external ones with rel.
    let page = app.get(&format!("/t/{thread}")).await;
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let html_of = |needle: &str| {
        stored
            .iter()
            .find(|(s, _)| s.contains(needle))
            .map(|(_, h)| h.clone())
            .unwrap()
    };
    assert!(html_of("[fine link]")
        .contains("<a href=\"https://example.org\" rel=\"nofollow ugc noopener\">fine link</a>"));
    assert!(
        html_of("[fine link]").contains("<a href=\"/d\""),
        "relative links survive"
    );
    assert!(
        html_of("raw link").contains("&lt;a href=\"https://example.org\"&gt;raw link&lt;/a&gt;")
    );
}

#[test]
fn the_checks_themselves_catch_danger() {
    assert!(!is_safe_url(&decode("&#106;avascript:alert(1)")));
    assert!(!is_safe_url(&decode("java\tscript:alert(1)")));
    assert!(is_safe_url("/relative"));
    assert!(is_safe_url("https://example.org/a:b"));
    assert_eq!(tags("<p>x</p><script>"), vec!["p", "p", "script"]);
    assert_eq!(urls("<a href=\"javascript:x\">t</a>"), vec!["javascript:x"]);
    assert!(
        urls("<p>a href=\"javascript:x\"</p>").is_empty(),
        "text is not a tag"
    );
}
