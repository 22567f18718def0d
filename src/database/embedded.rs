//! A private PostgreSQL cluster, run from the machine's installed server binaries.
//!
//! `serve` uses it when no `DATABASE_URL` is set, and the test harness uses it for every test run,
//! so both exercise the same code. The cluster listens only on a Unix socket inside its own data
//! directory (no TCP port is taken, so two checkouts never collide), and trusts local connections:
//! nobody but the owner of the data directory can reach the socket.
//!
//! PostgreSQL refuses to run as root. When we are root the cluster runs as the unprivileged
//! `postgres` system user, which then owns the data directory.
//!
//! The postmaster is our child process, started from a dedicated "keeper" thread that waits on it.
//! The child asks the kernel for SIGINT (PostgreSQL's fast shutdown) when that thread dies, so a
//! crashed or killed server never leaves an orphan cluster behind; a clean stop sends the same
//! signal and waits for the postmaster to exit.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{Pid, Uid, User};
use sqlx::postgres::PgConnectOptions;

/// The superuser that `initdb` creates in a private cluster.
pub const SUPERUSER: &str = "commonplace";
/// Unix socket paths are limited to 107 bytes; leave room for `/.s.PGSQL.5432`.
const MAX_SOCKET_DIR_LEN: usize = 90;

pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    pid: Pid,
    keeper: Option<JoinHandle<()>>,
}

/// Where the server binaries are and which account runs them.
struct Installation {
    bin_dir: PathBuf,
    run_as: Option<User>,
}

/// Extra server settings; tests trade durability for speed, and count statements; the
/// benchmark keeps every write durable, counts statements, and gives PostgreSQL the memory a
/// small dedicated server would.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Throwaway,
    Measured,
}

impl EmbeddedPostgres {
    /// Starts (creating on first use) the cluster in `data_dir` and waits until it accepts
    /// connections.
    pub async fn start(data_dir: &Path, durability: Durability) -> anyhow::Result<Self> {
        let install = Installation::find()?;
        let data_dir = install.data_dir(data_dir)?;
        if !data_dir.join("PG_VERSION").exists() {
            install.initdb(&data_dir)?;
        }
        let socket_dir = socket_dir_for(&data_dir, &install)?;
        if let Some(pid) = running_postmaster(&data_dir) {
            // Another process of ours (a `serve`, while we are `seed`) already runs this
            // cluster: use it, and leave stopping it to its owner.
            let shared = EmbeddedPostgres {
                data_dir: data_dir.clone(),
                socket_dir: socket_dir.clone(),
                pid,
                keeper: None,
            };
            if shared.accepts_connections().await {
                return Ok(shared);
            }
        }
        EmbeddedPostgres::spawned(install, data_dir, socket_dir, durability).await
    }

    async fn spawned(
        install: Installation,
        data_dir: PathBuf,
        socket_dir: PathBuf,
        durability: Durability,
    ) -> anyhow::Result<Self> {
        let (pid, keeper) = install.spawn_postmaster(&data_dir, &socket_dir, durability)?;
        let cluster = EmbeddedPostgres {
            data_dir,
            socket_dir,
            pid,
            keeper: Some(keeper),
        };
        cluster.wait_until_ready().await?;
        Ok(cluster)
    }

    /// Starts (building it on first use with `pg_basebackup`) a hot standby of this cluster in
    /// `data_dir`, streaming from it and answering read-only queries: the tests' read replica.
    pub async fn start_standby(
        &self,
        data_dir: &Path,
        durability: Durability,
    ) -> anyhow::Result<Self> {
        let install = Installation::find()?;
        let data_dir = install.data_dir(data_dir)?;
        if !data_dir.join("PG_VERSION").exists() {
            install.base_backup(&self.socket_dir, &data_dir)?;
        }
        let socket_dir = socket_dir_for(&data_dir, &install)?;
        EmbeddedPostgres::spawned(install, data_dir, socket_dir, durability).await
    }

    /// Connection options for `database` on this cluster.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .username(SUPERUSER)
            .database(database)
    }

    async fn accepts_connections(&self) -> bool {
        match sqlx::ConnectOptions::connect(&self.connect_options("postgres")).await {
            Ok(conn) => {
                let _ = sqlx::Connection::close(conn).await;
                true
            }
            Err(_) => false,
        }
    }

    async fn wait_until_ready(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let attempt = sqlx::ConnectOptions::connect(&self.connect_options("postgres")).await;
            match attempt {
                Ok(conn) => {
                    let _ = sqlx::Connection::close(conn).await;
                    return Ok(());
                }
                Err(err) if Instant::now() > deadline => {
                    bail!(
                        "PostgreSQL in {} did not accept connections within 30 s: {err}; see {}",
                        self.data_dir.display(),
                        self.data_dir.join("server.log").display()
                    )
                }
                Err(_) => {
                    if self.keeper.as_ref().is_some_and(|k| k.is_finished()) {
                        bail!(
                            "PostgreSQL in {} exited during start-up; its log is {}",
                            self.data_dir.display(),
                            self.data_dir.join("server.log").display()
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Fast shutdown: open sessions are ended, the cluster is left consistent.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(keeper) = self.keeper.take() {
            let _ = kill(self.pid, Signal::SIGINT);
            let _ = keeper.join();
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

impl Installation {
    fn find() -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir().ok_or_else(|| {
            anyhow::anyhow!(
                "no PostgreSQL server binaries (initdb, postgres) were found on PATH or in \
                 /usr/lib/postgresql/*/bin.\n\
                 Install them with `sudo apt-get install postgresql`, or point Commonplace at a \
                 running server with DATABASE_URL=postgres://user:password@host/database"
            )
        })?;
        let run_as = if Uid::effective().is_root() {
            let user = User::from_name("postgres")
                .context("looking up the postgres system user")?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "PostgreSQL refuses to run as root and there is no `postgres` system user \
                         to run it as. Run Commonplace as an ordinary user, create the user \
                         (`apt-get install postgresql` does), or set DATABASE_URL"
                    )
                })?;
            Some(user)
        } else {
            None
        };
        Ok(Installation { bin_dir, run_as })
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        if let Some(user) = &self.run_as {
            command.uid(user.uid.as_raw()).gid(user.gid.as_raw());
            // The caller's HOME (e.g. /root) is not readable by the postgres user.
            command.env("HOME", &user.dir);
        }
        command
    }

    /// `data_dir`, created if need be, as an absolute path that belongs to the account that
    /// runs the cluster.
    fn data_dir(&self, data_dir: &Path) -> anyhow::Result<PathBuf> {
        fs::create_dir_all(data_dir)
            .with_context(|| format!("could not create {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("could not resolve {}", data_dir.display()))?;
        self.hand_over(&data_dir)?;
        Ok(data_dir)
    }

    /// Makes the data directory belong to the account that runs the cluster.
    fn hand_over(&self, data_dir: &Path) -> anyhow::Result<()> {
        if let Some(user) = &self.run_as {
            ensure_reachable(data_dir, user)?;
            nix::unistd::chown(data_dir, Some(user.uid), Some(user.gid))
                .with_context(|| format!("could not give {} to postgres", data_dir.display()))?;
        }
        fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("could not restrict {}", data_dir.display()))?;
        Ok(())
    }

    fn initdb(&self, data_dir: &Path) -> anyhow::Result<()> {
        let mut initdb = self.command("initdb");
        initdb
            .arg("--pgdata")
            .arg(data_dir)
            .args(["--username", SUPERUSER, "--auth", "trust"])
            .args(["--encoding", "UTF8", "--locale", "C", "--no-instructions"]);
        run(initdb, data_dir)
    }

    /// A copy of the cluster at `primary_socket` in `data_dir`, set up (`-R`) to follow it.
    fn base_backup(&self, primary_socket: &Path, data_dir: &Path) -> anyhow::Result<()> {
        let mut base_backup = self.command("pg_basebackup");
        base_backup
            .arg("--pgdata")
            .arg(data_dir)
            .arg("--host")
            .arg(primary_socket)
            .args(["--username", SUPERUSER, "--write-recovery-conf"])
            .args(["--wal-method", "stream", "--checkpoint", "fast"]);
        run(base_backup, data_dir)?;
        // The primary's socket lives in its data directory, and its lock file came along.
        for entry in fs::read_dir(data_dir)?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".s.PGSQL.") {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }

    fn spawn_postmaster(
        &self,
        data_dir: &Path,
        socket_dir: &Path,
        durability: Durability,
    ) -> anyhow::Result<(Pid, JoinHandle<()>)> {
        let log_path = data_dir.join("server.log");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("could not open {}", log_path.display()))?;
        if let Some(user) = &self.run_as {
            let _ = nix::unistd::chown(&log_path, Some(user.uid), Some(user.gid));
        }
        let mut command = self.command("postgres");
        command
            .arg("-D")
            .arg(data_dir)
            .arg("-k")
            .arg(socket_dir)
            .args(["-c", "listen_addresses="])
            .args(["-c", "unix_socket_permissions=0700"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Our own process group: a Ctrl-C in the terminal reaches us, and we stop the
            // cluster after the web server has drained.
            .process_group(0);
        if durability == Durability::Throwaway {
            command.args(["-c", "fsync=off", "-c", "synchronous_commit=off"]);
            command.args(["-c", "full_page_writes=off", "-c", "max_connections=300"]);
        }
        if durability == Durability::Measured {
            command.args(["-c", "shared_buffers=2GB", "-c", "maintenance_work_mem=1GB"]);
            command.args(["-c", "max_wal_size=4GB", "-c", "max_connections=300"]);
        }
        // A standby applies the primary's cleanup only once its own queries are done with
        // the rows, instead of cancelling them (ignored by a primary).
        command.args(["-c", "hot_standby_feedback=on"]);
        // What a page reads is in memory or on an SSD, where a lookup by index costs little
        // more than reading in order. At the default of 4, with a few hundred members,
        // PostgreSQL hashed every member and membership for each thread page rather than look
        // up the page's 50 authors (docs/performance.md, twelfth session).
        command.args(["-c", "random_page_cost=1.1"]);
        if durability != Durability::Durable {
            // Tests and the benchmark count the statements a page runs, per database.
            command.args(["-c", "shared_preload_libraries=pg_stat_statements"]);
            command.args(["-c", "pg_stat_statements.max=20000"]);
            command.args(["-c", "pg_stat_statements.track_planning=on"]);
        }
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGINT).map_err(std::io::Error::from)
            });
        }
        let (started, pid) = mpsc::channel();
        let keeper = std::thread::Builder::new()
            .name("postgres-keeper".into())
            .spawn(move || match command.spawn() {
                Ok(mut child) => {
                    let _ = started.send(Ok(child.id()));
                    let _ = child.wait();
                }
                Err(err) => {
                    let _ = started.send(Err(err));
                }
            })?;
        let pid = pid
            .recv()
            .context("the postgres keeper thread died")?
            .context("could not start postgres")?;
        Ok((Pid::from_raw(pid as i32), keeper))
    }
}

/// Runs one of the server's programs on `data_dir` to the end; what it printed is the error
/// if it fails.
fn run(mut command: Command, data_dir: &Path) -> anyhow::Result<()> {
    let program = Path::new(command.get_program())
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .unwrap_or_default();
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not run {program}"))?;
    if !output.status.success() {
        bail!(
            "{program} failed for {}:\n{}{}",
            data_dir.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The `postgres` user must be able to walk down to the data directory; a checkout under
/// `/root` (mode 700) is the usual trap, and initdb's own message about it is cryptic.
fn ensure_reachable(data_dir: &Path, user: &User) -> anyhow::Result<()> {
    for ancestor in data_dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(ancestor) else {
            continue;
        };
        let mode = meta.permissions().mode();
        let owned = std::os::unix::fs::MetadataExt::uid(&meta) == user.uid.as_raw();
        let enterable = mode & 0o001 != 0 || (owned && mode & 0o100 != 0);
        if !enterable {
            bail!(
                "PostgreSQL runs as the `{}` user, which cannot enter {}. Set COMMONPLACE_DATA_DIR \
                 to a directory it can reach (for example /var/lib/commonplace), or run Commonplace \
                 as an ordinary user",
                user.name,
                ancestor.display()
            );
        }
    }
    Ok(())
}

/// The postmaster named by the cluster's lock file, if that process is alive.
fn running_postmaster(data_dir: &Path) -> Option<Pid> {
    let lock = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let pid = Pid::from_raw(lock.lines().next()?.trim().parse().ok()?);
    kill(pid, None).ok().map(|_| pid)
}

/// The socket lives in the data directory unless that path is too long for a Unix socket.
fn socket_dir_for(data_dir: &Path, install: &Installation) -> anyhow::Result<PathBuf> {
    if data_dir.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
        return Ok(data_dir.to_path_buf());
    }
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(data_dir, &mut hasher);
    let dir = std::env::temp_dir().join(format!(
        "commonplace-sock-{:x}",
        std::hash::Hasher::finish(&hasher)
    ));
    fs::create_dir_all(&dir)?;
    install.hand_over(&dir)?;
    Ok(dir)
}

fn find_bin_dir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_server(&dir) {
                // The installation's own directory, which has every other program too
                // (`pg_basebackup`), when PATH holds only links to a few.
                let real = fs::canonicalize(dir.join("postgres")).ok();
                return Some(
                    real.and_then(|p| p.parent().map(Path::to_path_buf))
                        .unwrap_or(dir),
                );
            }
        }
    }
    // Debian and Ubuntu keep the server binaries off PATH; prefer the newest major version.
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major = entry.file_name().to_str()?.parse().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}
