//! The `commonplace` command.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commonplace::admin::{accounts, seed};
use commonplace::{auth, server, Config};

/// Commonplace: a web forum for communities of practice.
///
/// Configuration comes from the environment: DATABASE_URL (without it a private PostgreSQL
/// cluster runs in $COMMONPLACE_DATA_DIR/postgres), COMMONPLACE_BIND, COMMONPLACE_DATA_DIR,
/// COMMONPLACE_BASE_URL, COMMONPLACE_TRUSTED_PROXY, COMMONPLACE_DEMO_PASSWORD.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web site (the default).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Load a community file (TOML): domains, members, threads, repertoire. Safe to run twice.
    Seed {
        /// The community file, e.g. seeds/demo.toml.
        file: PathBuf,
    },
    /// Site administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account. The password is read from standard input with --password-stdin;
    /// otherwise a random one is generated and printed once.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        display_name: String,
        /// Make the account a site admin.
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    // One JSON object per line for log collectors; readable lines otherwise.
    match std::env::var("COMMONPLACE_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().init(),
        _ => logs.init(),
    }
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("commonplace: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::serve(config).await,
        Command::Migrate => {
            let database = server::open(&config).await?;
            database.close().await;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::Seed { file } => {
            let source =
                std::fs::read(&file).map_err(|err| anyhow::anyhow!("{}: {err}", file.display()))?;
            let source = String::from_utf8(source)
                .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", file.display()))?;
            let database = server::open(&config).await?;
            let password = config
                .demo_password
                .clone()
                .unwrap_or_else(auth::password::random_secret);
            let name = file.display().to_string();
            let loading = seed::Loading {
                config: &config,
                initial_password: Some(&password),
                admin: None,
            };
            let outcome = seed::load(&database.pool, &name, &source, &loading).await;
            database.close().await;
            let report = outcome?;
            if report.is_empty() {
                println!("{name}: everything in it is already here; nothing changed.");
            } else {
                println!("{name}: added {report}.");
                if report.users > 0 && config.demo_password.is_none() {
                    println!("New accounts share the password {password} (shown once).");
                }
            }
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    username,
                    email,
                    display_name,
                    admin,
                    password_stdin,
                },
        } => {
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (auth::password::random_secret(), true)
            };
            let database = server::open(&config).await?;
            let created = accounts::create(
                &database.pool,
                accounts::NewAccount {
                    username: username.clone(),
                    email,
                    display_name,
                    password: password.clone(),
                    admin,
                },
            )
            .await;
            database.close().await;
            created?;
            let role = if admin { "admin" } else { "member" };
            println!("Created {role} account `{username}`.");
            if generated {
                println!("Its password is {password} (shown once; change it after logging in).");
            }
            Ok(())
        }
    }
}
