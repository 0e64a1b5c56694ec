//! `paragon-local serve`: the local Paragon Connect server; `paragon-local rekey`: re-encrypt
//! its stored secrets with the current encryption key after a rotation.

#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use paragon_local::{EncryptionKey, LocalServer, ProjectKey, RunningServer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "paragon-local",
    version,
    about = "A local Paragon Connect server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Connect API, the proxy, OAuth and the Connect Portal on one address.
    Serve(Box<Serve>),
    /// Re-encrypt stored secrets with the current key (after a key rotation).
    ///
    /// Every secret under a previous key is re-encrypted with the current key, one row at a
    /// time with a compare-and-swap: safe while servers run, and safe to interrupt (run it
    /// again to finish). Exits non-zero unless every secret ends under the current key, e.g.
    /// when some cannot be decrypted with the configured keys.
    Rekey(StoreArgs),
    /// The workflows of a specs folder.
    #[command(subcommand)]
    Workflows(Workflows),
    /// Serve one user's tools (their connected integrations) to an AI agent over MCP on
    /// stdin/stdout. Takes `serve`'s settings (the same store and keys), and the user's token.
    Mcp(Box<Mcp>),
}

#[derive(Subcommand)]
enum Workflows {
    /// Print a workflow's graph as an SVG document (for docs): the trigger, every step with
    /// its kind and key, branches labelled true/false, fan-outs, laid out in layers.
    Draw {
        /// The workflow: its id (as in `/sdk/me`), its key (the file name without `.toml`),
        /// or `<integration slug>/<key>`.
        id: String,
        /// The specs folder (or one integration's folder).
        #[arg(long, default_value = "specs")]
        specs: PathBuf,
    },
    /// Print a developer token, minted with the project's signing key: exchange it at
    /// `POST /projects/{project id}/dev/codes` for a single-use link to the workflow view.
    Token(TokenArgs),
}

/// The project and its key, for `workflows token`.
#[derive(clap::Args)]
struct TokenArgs {
    /// The project id.
    #[arg(long, env = "PARAGON_PROJECT_ID")]
    project_id: String,
    /// The project's RSA signing key, PEM (literal `\n` sequences are accepted).
    #[arg(long, env = "PARAGON_SIGNING_KEY", hide_env_values = true)]
    signing_key: Option<String>,
    /// A file holding the project's RSA signing key (PEM).
    #[arg(long, env = "PARAGON_SIGNING_KEY_FILE")]
    signing_key_file: Option<PathBuf>,
    /// How long the token is valid, in minutes (the view's session ends with it).
    #[arg(long, default_value_t = 60)]
    minutes: u64,
}

/// `paragon-local workflows token`: the developer token on stdout.
fn developer_token(args: &TokenArgs) -> Result<(), String> {
    let pem = match (&args.signing_key, &args.signing_key_file) {
        (Some(pem), _) => pem.clone(),
        (None, Some(file)) => read(file, "signing key file")?,
        (None, None) => {
            return Err(
                "a developer token is signed with the project's key: set PARAGON_SIGNING_KEY or \
                 PARAGON_SIGNING_KEY_FILE (--signing-key-file)"
                    .into(),
            );
        }
    };
    let key = ProjectKey::from_private_pem(&pem).map_err(|e| format!("the signing key: {e}"))?;
    let ttl = Duration::from_secs(args.minutes.max(1) * 60);
    let token = key
        .mint_developer(&args.project_id, ttl)
        .map_err(|e| e.to_string())?;
    println!("{token}");
    Ok(())
}

/// `paragon-local workflows draw`: the SVG on stdout.
fn draw(id: &str, specs: &Path) -> Result<(), String> {
    let specs_list = [specs.to_path_buf()];
    for (file, result) in paragon_manifest::validate_paths(&specs_list) {
        result.map_err(|d| format!("{}: invalid manifest:\n{d}", file.display()))?;
    }
    let mut all = Vec::new();
    for (dir, result) in paragon_manifest::workflow::validate_workflow_paths(&specs_list) {
        all.extend(result.map_err(|d| format!("{}: invalid workflows:\n{d}", dir.display()))?);
    }
    let matches: Vec<_> = all
        .iter()
        .filter(|w| {
            paragon_local::workflow_id(w) == id
                || w.key() == id
                || format!("{}/{}", w.integration(), w.key()) == id
        })
        .collect();
    let known = || {
        all.iter()
            .map(|w| {
                format!(
                    "{}/{} ({})",
                    w.integration(),
                    w.key(),
                    paragon_local::workflow_id(w)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match matches.as_slice() {
        [wf] => {
            print!("{}", paragon_local::workflow_svg(wf));
            Ok(())
        }
        [] => Err(format!(
            "no workflow {id:?} under {}; there are: {}",
            specs.display(),
            known()
        )),
        _ => Err(format!(
            "{id:?} names several workflows; use one of: {}",
            known()
        )),
    }
}

#[derive(clap::Args)]
struct Mcp {
    /// The Paragon user token of the user whose tools are served.
    #[arg(long, env = "PARAGON_USER_TOKEN", hide_env_values = true)]
    token: String,
    #[command(flatten)]
    serve: Serve,
}

/// Where the credential store is and the keys that encrypt it (shared by `serve` and `rekey`).
#[derive(clap::Args)]
struct StoreArgs {
    /// Credential store: a SQLite file path, sqlite:…, or postgres://….
    #[arg(
        long,
        env = "PARAGON_LOCAL_DATABASE_URL",
        default_value = "paragon-local.db"
    )]
    database_url: String,
    /// Key encrypting secrets at rest: 32 bytes as base64 (`openssl rand -base64 32`) or hex.
    #[arg(long, env = "PARAGON_LOCAL_ENCRYPTION_KEY", hide_env_values = true)]
    encryption_key: Option<String>,
    /// A key from before a rotation, only used to read what it encrypted (repeatable; the
    /// environment variable takes a comma-separated list). Same formats as the current key.
    #[arg(
        long = "previous-encryption-key",
        value_name = "KEY",
        env = "PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    previous_encryption_keys: Vec<String>,
}

impl StoreArgs {
    /// The current key, if given.
    fn encryption_key(&self) -> Result<Option<EncryptionKey>, String> {
        self.encryption_key
            .as_deref()
            .map(|k| {
                EncryptionKey::parse(k)
                    .map_err(|e| format!("PARAGON_LOCAL_ENCRYPTION_KEY (--encryption-key): {e}"))
            })
            .transpose()
    }

    /// The previous keys; an error names the entry, never its value.
    fn previous_keys(&self) -> Result<Vec<EncryptionKey>, String> {
        self.previous_encryption_keys
            .iter()
            .filter(|k| !k.trim().is_empty())
            .enumerate()
            .map(|(i, k)| {
                EncryptionKey::parse(k).map_err(|e| {
                    format!(
                        "PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS (--previous-encryption-key), \
                         key #{}: {e}",
                        i + 1
                    )
                })
            })
            .collect()
    }
}

#[derive(Parser)]
struct Serve {
    /// Folder of integrations (`<dir>/<name>/integration.toml`).
    #[arg(long, env = "PARAGON_LOCAL_SPECS", default_value = "specs")]
    specs: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "PARAGON_LOCAL_LISTEN", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// URL browsers and providers reach this server at (default: http://<listen>);
    /// OAuth redirects to <public-url>/oauth.
    #[arg(long, env = "PARAGON_LOCAL_PUBLIC_URL")]
    public_url: Option<String>,
    /// Browser origins (`https://app.example.com`) whose pages may call the server and frame
    /// its Connect Portal, comma-separated; development mode adds any loopback origin.
    #[arg(
        long = "allowed-origin",
        env = "PARAGON_LOCAL_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// The project id.
    #[arg(long, env = "PARAGON_PROJECT_ID")]
    project_id: Option<String>,
    /// The project's RSA signing key, PEM (literal `\n` sequences are accepted).
    #[arg(long, env = "PARAGON_SIGNING_KEY", hide_env_values = true)]
    signing_key: Option<String>,
    /// A file holding the project's RSA signing key (PEM).
    #[arg(long, env = "PARAGON_SIGNING_KEY_FILE")]
    signing_key_file: Option<PathBuf>,
    /// A file holding only the project's public key (PEM): verify tokens, never mint them.
    #[arg(long, env = "PARAGON_PUBLIC_KEY_FILE")]
    public_key_file: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    /// Development mode: generate (and keep in .paragon-local-dev/) what is missing.
    #[arg(long, env = "PARAGON_LOCAL_DEV", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    dev: bool,
    /// Timeout of every call to a provider, in seconds.
    #[arg(long, env = "PARAGON_LOCAL_UPSTREAM_TIMEOUT", default_value_t = 30)]
    upstream_timeout: u64,
    /// Refuse user tokens without an `aud` claim (one naming another project is always refused).
    #[arg(long, env = "PARAGON_LOCAL_REQUIRE_AUDIENCE", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    require_audience: bool,
    /// How long a replica holds a workflow run without renewing its lease, in seconds: after a
    /// crash, the run resumes elsewhere (or after a restart) this long after the last renewal.
    #[arg(long, env = "PARAGON_LOCAL_WORKFLOW_LEASE", default_value_t = 30)]
    workflow_lease: u64,
    /// Seconds a client has to send a request's headers before it is disconnected.
    #[arg(long, env = "PARAGON_LOCAL_HEADER_READ_TIMEOUT", default_value_t = 10)]
    header_read_timeout: u64,
    /// Seconds a request body may take to arrive (then 400 and the connection is closed).
    #[arg(long, env = "PARAGON_LOCAL_REQUEST_BODY_TIMEOUT", default_value_t = 30)]
    request_body_timeout: u64,
    /// Seconds a whole request may take, provider calls included (then 408).
    #[arg(long, env = "PARAGON_LOCAL_REQUEST_TIMEOUT", default_value_t = 120)]
    request_timeout: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "PARAGON_LOCAL_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
}

fn read(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

/// Writes a generated development secret readable by the owner only.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// In development mode, what was not configured is generated once and kept in
/// `.paragon-local-dev/`, so tokens and stored credentials survive a restart.
fn dev_value(
    dir: &Path,
    file: &'static str,
    used: &mut Vec<&'static str>,
    generate: impl FnOnce() -> String,
) -> Result<String, String> {
    let path = dir.join(file);
    used.push(file);
    if path.is_file() {
        return read(&path, "development file");
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let value = generate();
    write_private(&path, &value)?;
    Ok(value)
}

/// Starts the server `args` describe; answers it and the development files generated.
async fn start(args: Serve) -> Result<(RunningServer, Vec<&'static str>), String> {
    let dev_dir = PathBuf::from(".paragon-local-dev");
    let mut builder = LocalServer::builder()
        .specs(&args.specs)
        .listen(args.listen)
        .database_url(&args.store.database_url)
        .previous_encryption_keys(args.store.previous_keys()?)
        .dev(args.dev)
        .upstream_timeout(Duration::from_secs(args.upstream_timeout.max(1)))
        .require_audience(args.require_audience)
        .workflow_lease(Duration::from_secs(args.workflow_lease.max(1)))
        .header_read_timeout(Duration::from_secs(args.header_read_timeout.max(1)))
        .request_body_timeout(Duration::from_secs(args.request_body_timeout.max(1)))
        .request_timeout(Duration::from_secs(args.request_timeout.max(1)))
        .max_connections(args.max_connections);
    if let Some(url) = &args.public_url {
        builder = builder.public_url(url);
    }
    for origin in &args.allowed_origins {
        builder = builder.allowed_origin(origin);
    }
    let mut generated = Vec::new();
    let project_id = match (args.project_id, args.dev) {
        (Some(id), _) => Some(id),
        (None, true) => {
            let id = dev_value(&dev_dir, "project-id", &mut generated, || {
                uuid::Uuid::new_v4().to_string()
            })?;
            Some(id.trim().to_string())
        }
        (None, false) => None,
    };
    if let Some(id) = &project_id {
        builder = builder.project_id(id);
    }
    let key = if let Some(pem) = args.signing_key {
        Some(ProjectKey::from_private_pem(&pem).map_err(|e| format!("PARAGON_SIGNING_KEY: {e}"))?)
    } else if let Some(file) = &args.signing_key_file {
        let pem = read(file, "signing key file")?;
        Some(ProjectKey::from_private_pem(&pem).map_err(|e| format!("{}: {e}", file.display()))?)
    } else if let Some(file) = &args.public_key_file {
        let pem = read(file, "public key file")?;
        Some(ProjectKey::from_public_pem(&pem).map_err(|e| format!("{}: {e}", file.display()))?)
    } else if args.dev {
        let pem = dev_value(&dev_dir, "signing-key.pem", &mut generated, || {
            ProjectKey::generate()
                .private_pem()
                .unwrap_or_default()
                .to_string()
        })?;
        Some(
            ProjectKey::from_private_pem(&pem)
                .map_err(|e| format!("development signing key: {e}"))?,
        )
    } else {
        None
    };
    if let Some(key) = key {
        builder = builder.project_key(key);
    }
    let enc = match (args.store.encryption_key()?, args.dev) {
        (Some(k), _) => Some(k),
        (None, true) => {
            let k = dev_value(&dev_dir, "encryption-key", &mut generated, || {
                EncryptionKey::generate().to_base64()
            })?;
            Some(EncryptionKey::parse(&k).map_err(|e| format!("development encryption key: {e}"))?)
        }
        (None, false) => None,
    };
    if let Some(k) = enc {
        builder = builder.encryption_key(k);
    }
    let server = builder.start().await.map_err(|e| e.to_string())?;
    Ok((server, generated))
}

async fn serve(args: Serve) -> Result<(), String> {
    let dev_dir = PathBuf::from(".paragon-local-dev");
    let (server, generated) = start(args).await?;
    let url = server.url().to_string();
    eprintln!(
        "paragon-local listening on {url} (project {})",
        server.project_id()
    );
    eprintln!(
        "  every service is served here: set PARAGON_API_URL, PARAGON_PROXY_URL, PARAGON_EVENTS_URL,"
    );
    eprintln!("  PARAGON_ACTIONKIT_URL and PARAGON_PASSPORT_URL to {url}");
    eprintln!(
        "  Connect Portal: POST {url}/projects/{}/sdk/portal/codes {{\"integration\": …}} with a user token",
        server.project_id()
    );
    eprintln!("    answers a single-use sign-in link (two minutes) to the integration's page");
    eprintln!(
        "  Workflow view: POST {url}/projects/{}/dev/codes with `paragon-local workflows token`'s",
        server.project_id()
    );
    eprintln!("    developer token (signed with the project's key) answers a sign-in link to /dev");
    for (slug, names) in server.missing_secrets() {
        eprintln!(
            "  {slug}: not set in the environment: {} (its calls fail until they are)",
            names.join(", ")
        );
    }
    if !generated.is_empty() {
        eprintln!(
            "\ndevelopment mode: {} kept in {}/ (generated on first run; never use them in production).",
            generated.join(", "),
            dev_dir.display()
        );
        eprintln!("Mint a user token with:\n");
        eprintln!("  export PARAGON_PROJECT_ID={}", server.project_id());
        eprintln!(
            "  export PARAGON_SIGNING_KEY_FILE={}/signing-key.pem",
            dev_dir.display()
        );
        eprintln!("  paragon token --user <user id>\n");
    }
    server.run_until_signal().await;
    Ok(())
}

/// The MCP stdio server: stdout is the protocol's, so everything else goes to stderr.
async fn mcp(args: Mcp) -> Result<(), String> {
    let (server, _) = start(args.serve).await?;
    let served = server.serve_mcp_stdio(&args.token).await;
    server.shutdown().await;
    served
}

async fn rekey(args: StoreArgs) -> Result<(), String> {
    let current = args.encryption_key()?.ok_or(
        "no encryption key: set PARAGON_LOCAL_ENCRYPTION_KEY (or --encryption-key) to the new \
         key, and PARAGON_LOCAL_PREVIOUS_ENCRYPTION_KEYS (or --previous-encryption-key) to the \
         old one(s)",
    )?;
    let previous = args.previous_keys()?;
    let location = &args.database_url;
    // A mistyped path would otherwise be created empty and "re-encrypted" in no time.
    let plain_path = !location.contains("://") && !location.starts_with("sqlite:");
    if plain_path && !Path::new(location).is_file() {
        return Err(format!("no database at {location}"));
    }
    eprintln!(
        "re-encrypting under key id {} (previous key ids: {})",
        current.id(),
        if previous.is_empty() {
            "none".to_string()
        } else {
            previous
                .iter()
                .map(EncryptionKey::id)
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    let report = paragon_local::rekey(location, &current, &previous)
        .await
        .map_err(|e| e.to_string())?;
    println!("{report}");
    if report.unknown() > 0 || report.corrupt > 0 {
        return Err(format!(
            "{} stored secret(s) cannot be decrypted with the configured keys",
            report.unknown() + report.corrupt
        ));
    }
    if report.remaining_previous > 0 {
        return Err(format!(
            "{} stored secret(s) are still under a previous key: run rekey again",
            report.remaining_previous
        ));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "paragon_local=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Rekey(args) => rekey(args).await,
        Command::Workflows(Workflows::Draw { id, specs }) => draw(&id, &specs),
        Command::Workflows(Workflows::Token(args)) => developer_token(&args),
        Command::Mcp(args) => mcp(*args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
