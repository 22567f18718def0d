//! Driving load: `wrk` over loopback (installed from Debian if missing), with a Lua script
//! where a scenario needs one (posting with a CSRF token, a mixed browse), and a tiny HTTP/1.1
//! client for the few requests that sign a benchmark member in.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Measured {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    /// Answers by status (`200=…, 503=…`), where the scenario's script counts them.
    pub statuses: String,
}

pub fn ensure_wrk() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    println!("installing wrk from the distribution…");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(std::process::Stdio::null())
            .status()
    };
    apt(&["update", "-qq"])?;
    if !apt(&["install", "-y", "-qq", "wrk"])?.success() {
        bail!("could not install wrk: run `apt-get install wrk` as root");
    }
    Ok(())
}

/// What Chromium asks for: every page a browser fetches comes compressed, and the server pays
/// for compressing each page it renders. The floor has no middleware, so it answers uncompressed.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// Runs wrk for `seconds` against `url`; `script` is Lua source for wrk's `-s`.
pub fn wrk(
    url: &str,
    seconds: u64,
    connections: u32,
    cookie: Option<&str>,
    script: Option<&str>,
    work_dir: &Path,
) -> anyhow::Result<Measured> {
    let mut command = Command::new("wrk");
    command
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .args(["--latency", "--timeout", "10s"])
        .args(["-H", &format!("Accept-Encoding: {ACCEPT_ENCODING}")]);
    if let Some(cookie) = cookie {
        command.args(["-H", &format!("Cookie: {cookie}")]);
    }
    if let Some(source) = script {
        let path = work_dir.join("scenario.lua");
        std::fs::write(&path, source)?;
        command.arg("-s").arg(path);
    }
    let output = command.arg(url).output().context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse(&text).with_context(|| format!("reading wrk's output for {url}:\n{text}"))
}

fn parse(text: &str) -> anyhow::Result<Measured> {
    let mut measured = Measured {
        rps: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        errors: 0,
        statuses: String::new(),
    };
    for line in text.lines().map(str::trim) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["Requests/sec:", rps] => measured.rps = rps.parse()?,
            ["50%", latency] => measured.p50_ms = millis(latency)?,
            ["99%", latency] => measured.p99_ms = millis(latency)?,
            ["Non-2xx", "or", "3xx", "responses:", n] => measured.errors += n.parse::<u64>()?,
            ["statuses:", counts @ ..] => measured.statuses = counts.join(" "),
            ["Socket", "errors:", rest @ ..] => {
                measured.errors += rest
                    .iter()
                    .filter_map(|f| f.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    if !text.contains("Requests/sec:") {
        bail!("no Requests/sec line");
    }
    Ok(measured)
}

fn millis(latency: &str) -> anyhow::Result<f64> {
    let (number, factor) = if let Some(n) = latency.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = latency.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = latency.strip_suffix('s') {
        (n, 1000.0)
    } else {
        bail!("a latency without a unit: {latency}")
    };
    Ok(number.parse::<f64>()? * factor)
}

/// A wrk script in which each request posts a reply as one of `members` (session cookie and
/// CSRF token), picked at random, to one of `paths`, with one of `bodies` (form-encoded
/// `body=…` fields): a community's members reply at once, in words like the rest of the data.
pub fn post_replies_script(
    paths: &[String],
    members: &[(String, String)],
    bodies: &[String],
) -> String {
    let members: Vec<String> = members
        .iter()
        .map(|(cookie, token)| format!("{{ \"{cookie}\", \"{token}\" }}"))
        .collect();
    format!(
        "local paths = {{ {} }}\nlocal members = {{ {} }}\nlocal bodies = {{ {} }}\nmath.randomseed(7)\nrequest = function()\n  local m = members[math.random(#members)]\n  local headers = {{ [\"Content-Type\"] = \"application/x-www-form-urlencoded\", [\"Cookie\"] = m[1], [\"Accept-Encoding\"] = \"{ACCEPT_ENCODING}\" }}\n  local body = \"csrf=\" .. m[2] .. \"&\" .. bodies[math.random(#bodies)] .. \"&action=post\"\n  return wrk.format(\"POST\", paths[math.random(#paths)], headers, body)\nend\n",
        quoted(paths),
        members.join(", "),
        quoted(bodies)
    )
}

fn quoted(paths: &[String]) -> String {
    paths
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lua appended to a wrk script (or alone) for the overload scenarios. Each connection is a
/// member who, shown the busy page, waits as its `Retry-After` asks (5 s) before the next
/// request, as a browser's visitor would, instead of asking again at once. Counts the answers
/// by status over all of wrk's threads and prints them as `statuses: 200=… 503=…`.
pub const BUSY_AWARE_CLIENTS: &str = r#"
local threads = {}
local told_to_wait = false
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  told_to_wait = status == 503
end
function delay()
  if told_to_wait then told_to_wait = false return 5000 end
  return 0
end
function done(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do all[status] = (all[status] or 0) + n end
  end
  local counts = {}
  for status, n in pairs(all) do table.insert(counts, status .. "=" .. n) end
  table.sort(counts)
  io.write("statuses: " .. table.concat(counts, " ") .. "\n")
end
"#;

/// A wrk script that picks each request's path at random from `paths`.
pub fn mixed_script(paths: &[String]) -> String {
    let list = quoted(paths);
    format!(
        "local paths = {{ {list} }}\nmath.randomseed(7)\nrequest = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n"
    )
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, Set-Cookie values, body).
pub async fn request(
    port: u16,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> anyhow::Result<(u16, Vec<String>, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    let body = form.unwrap_or("");
    if form.is_some() {
        head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let cookies = headers
        .lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .collect();
    Ok((status, cookies, body.to_string()))
}

/// Waits until the server answers `/readyz` (which needs a pool connection) within a second,
/// so one scenario's backlog does not spill into the next one's figures.
pub async fn wait_until_idle(port: u16) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    while std::time::Instant::now() < deadline {
        let probe = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            request(port, "GET", "/readyz", None, None),
        )
        .await;
        if let Ok(Ok((200, _, _))) = probe {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    bail!("the server stayed busy for five minutes after a scenario")
}

/// The CSRF token of the first form on a page.
pub fn csrf_of(page: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "  Latency Distribution\n     50%    1.25ms\n     75%    2.00ms\n     99%  850.00us\nRequests/sec:   1234.50\n  Non-2xx or 3xx responses: 3\nstatuses: 200=1230 503=3\n";
        let m = parse(text).unwrap();
        assert_eq!(
            (m.rps, m.p50_ms, m.p99_ms, m.errors),
            (1234.5, 1.25, 0.85, 3)
        );
        assert_eq!(m.statuses, "200=1230 503=3");
    }
}
