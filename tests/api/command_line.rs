//! The `commonplace` command itself, run as an operator would.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::fresh_database_with_url;

fn commonplace(url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_commonplace"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("the command ends")
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_command_line() {
    let (db, url) = fresh_database_with_url().await;
    let args = [
        "admin",
        "create-user",
        "--admin",
        "--username",
        "root",
        "--email",
        "root@example.org",
        "--password-stdin",
    ];
    let short = commonplace(&url, &args, "short\n");
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("password: Use at least 10 characters.")
    );
    let made = commonplace(&url, &args, "a long enough password\n");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (role, hash): (String, String) =
        sqlx::query_as("SELECT site_role, password_hash FROM users WHERE username = 'root'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(role, "admin");
    assert!(hash.starts_with("$argon2id$"));
    let again = commonplace(&url, &args, "a long enough password\n");
    assert!(String::from_utf8_lossy(&again.stderr).contains("the username `root` is taken"));
    // Without --password-stdin a random password is printed once; there is no default.
    let generated = commonplace(
        &url,
        &[
            "admin",
            "create-user",
            "--username",
            "bea",
            "--email",
            "bea@example.org",
        ],
        "",
    );
    assert!(String::from_utf8_lossy(&generated.stdout).contains("Its password is "));
}

#[tokio::test]
async fn seed_names_the_file_and_line_of_a_problem_and_loads_nothing() {
    let (db, url) = fresh_database_with_url().await;
    let dir = std::env::temp_dir().join(format!("commonplace-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "[[domains]]\nslug = \"a\"\nname = \"A\"\ncharter = \"x\"\nfacilitators = [\"ghost\"]\n",
    )
    .unwrap();
    let out = commonplace(&url, &["seed", file.to_str().unwrap()], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml:5: facilitators: no user `ghost`"),
        "{stderr}"
    );
    let domains: i64 = sqlx::query_scalar("SELECT count(*) FROM domains")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(domains, 0);
    let latin1 = dir.join("latin1.toml");
    std::fs::write(&latin1, [b'#', 0xE9, b'\n']).unwrap();
    let out = commonplace(&url, &["seed", latin1.to_str().unwrap()], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8 text"));
    let good = commonplace(
        &url,
        &[
            "seed",
            concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo.toml"),
        ],
        "",
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let twice = commonplace(
        &url,
        &[
            "seed",
            concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo.toml"),
        ],
        "",
    );
    assert!(String::from_utf8_lossy(&twice.stdout).contains("nothing changed"));
    std::fs::remove_dir_all(&dir).ok();
}
