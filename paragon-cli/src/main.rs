//! `paragon`: mint Paragon User Tokens and call the Connect API from a shell.
//!
//! Configured by the same environment variables as `paragon-sdk`: `PARAGON_PROJECT_ID`,
//! `PARAGON_USER_TOKEN`, `PARAGON_SIGNING_KEY` / `PARAGON_SIGNING_KEY_FILE`, `PARAGON_USER_ID`,
//! `PARAGON_HOST` and `PARAGON_{API,PROXY,EVENTS,ACTIONKIT,PASSPORT}_URL`.

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use paragon_sdk::api::WorkflowOutcome;
use paragon_sdk::{Method, Paragon};
use serde_json::Value;

mod report;
use report::{Failed, Service};

const ENV_HELP: &str = "\
Environment:
  PARAGON_PROJECT_ID        the project id
  PARAGON_USER_TOKEN        a user token to act with, or
  PARAGON_SIGNING_KEY       the project's signing key (PEM text; literal \\n accepted), or
  PARAGON_SIGNING_KEY_FILE  a file holding it, with
  PARAGON_USER_ID           the user to act for (or --user)
  PARAGON_HOST              an on-prem host (zeus.HOST, worker-proxy.HOST, ...)
  PARAGON_API_URL, PARAGON_PROXY_URL, PARAGON_EVENTS_URL, PARAGON_ACTIONKIT_URL
                            one URL per service (e.g. a local Connect server)";

/// Mint Paragon User Tokens and call Paragon's Connect API.
#[derive(Parser)]
#[command(name = "paragon", version, after_help = ENV_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct UserArg {
    /// Act for this user (needs the signing key); defaults to PARAGON_USER_ID or the user token.
    #[arg(long, value_name = "ID")]
    user: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Print a user token (minted with the signing key, or the configured one).
    #[command(
        after_help = "Examples:\n  paragon token --user user-42\n  paragon token --user user-42 --ttl 300\n  curl -H \"Authorization: Bearer $(paragon token --user user-42)\" ..."
    )]
    Token {
        #[command(flatten)]
        user: UserArg,
        /// Token lifetime in seconds (default 3600).
        #[arg(long, value_name = "SECONDS")]
        ttl: Option<u64>,
    },
    /// Call an integration's API through the proxy and print the answer.
    #[command(
        after_help = "Examples:\n  paragon request custom.tasklab GET /tasks -q limit=5 --user user-42\n  paragon request custom.tasklab POST /tasks --data '{\"title\":\"Write docs\"}'\n  paragon request custom.tasklab GET /bytes --raw > file.bin\n  paragon request salesforce GET /services/data -H 'X-Trace: 1' --credential 3f2a..."
    )]
    Request {
        /// The integration: a built-in type (salesforce) or custom.{slug}.
        integration: String,
        /// The HTTP method (GET, POST, PUT, PATCH, DELETE, ...).
        method: String,
        /// The provider API path (a query string may follow).
        path: String,
        #[command(flatten)]
        user: UserArg,
        /// A query parameter (repeatable).
        #[arg(short = 'q', long = "query", value_name = "KEY=VALUE")]
        query: Vec<String>,
        /// A header passed to the provider (repeatable).
        #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// A JSON body.
        #[arg(long, value_name = "JSON", conflicts_with = "data_file")]
        data: Option<String>,
        /// A body read from a file (`-` for standard input); sent as JSON when it parses as JSON.
        #[arg(long, value_name = "FILE")]
        data_file: Option<PathBuf>,
        /// Use this connected account (X-Paragon-Credential).
        #[arg(long, value_name = "ID")]
        credential: Option<String>,
        /// Print the provider's raw body (bytes as received) instead of the unwrapped output.
        #[arg(long)]
        raw: bool,
    },
    /// Show the current user and their integrations.
    #[command(after_help = "Example:\n  paragon me --user user-42")]
    Me {
        #[command(flatten)]
        user: UserArg,
    },
    /// List the project's integrations.
    #[command(after_help = "Example:\n  paragon integrations --user user-42")]
    Integrations {
        #[command(flatten)]
        user: UserArg,
    },
    /// Send an app event.
    #[command(
        after_help = "Example:\n  paragon event 'Contact Created' '{\"email\":\"ada@example.com\"}' --user user-42"
    )]
    Event {
        /// The event name.
        name: String,
        /// The event payload (JSON).
        json: String,
        #[command(flatten)]
        user: UserArg,
    },
    /// Trigger a workflow (request trigger) and print its response.
    #[command(
        after_help = "Examples:\n  paragon workflow 7c0d... --user user-42\n  paragon workflow 7c0d... '{\"id\": 1}'"
    )]
    Workflow {
        /// The workflow id.
        id: String,
        /// The payload (JSON; default {}).
        json: Option<String>,
        #[command(flatten)]
        user: UserArg,
    },
    /// Send a test request (GET of the integration's test endpoint) and report the outcome.
    #[command(
        after_help = "Examples:\n  paragon test custom.tasklab --path /me --user user-42\n  paragon test --manifest specs/tasklab --user user-42"
    )]
    Test {
        /// The integration (defaults to the manifest's custom.{slug}).
        integration: Option<String>,
        /// The integration definition (integration.toml or its folder) holding the test endpoint.
        #[arg(long, value_name = "PATH", required_unless_present = "path")]
        manifest: Option<PathBuf>,
        /// The test endpoint path.
        #[arg(long, value_name = "PATH", conflicts_with = "manifest")]
        path: Option<String>,
        #[command(flatten)]
        user: UserArg,
    },
}

type CliResult<T = ()> = Result<T, String>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

fn client(user: &UserArg, ttl: Option<u64>) -> CliResult<Paragon> {
    let mut builder = Paragon::builder();
    if let Some(secs) = ttl {
        builder = builder.token_ttl(Duration::from_secs(secs));
    }
    let paragon = builder.build().map_err(report::plain)?;
    Ok(match &user.user {
        Some(id) => paragon.user(id.clone()),
        None => paragon,
    })
}

/// The user a command acts for: `--user`, else `PARAGON_USER_ID`.
fn user_of(user: &UserArg) -> Option<String> {
    user.user
        .clone()
        .or_else(|| std::env::var("PARAGON_USER_ID").ok())
}

/// The message for a failed call to Paragon's users API.
async fn api_failure(
    e: paragon_sdk::Error,
    paragon: &Paragon,
    path: &str,
    user: &UserArg,
) -> String {
    let failed = Failed {
        paragon,
        path: path.to_string(),
        service: Service::Api,
        integration: None,
        user: user_of(user),
    };
    report::explain(e, &failed).await
}

fn parse_json(text: &str, what: &str) -> CliResult<Value> {
    serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

fn print_json(value: &impl serde::Serialize) -> CliResult {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

async fn run(command: Command) -> CliResult<ExitCode> {
    match command {
        Command::Token { user, ttl } => {
            let token = client(&user, ttl)?.user_token().map_err(report::plain)?;
            println!("{}", token.expose());
        }
        Command::Request {
            integration,
            method,
            path,
            user,
            query,
            headers,
            data,
            data_file,
            credential,
            raw,
        } => {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("{method:?} is not an HTTP method"))?;
            let paragon = client(&user, None)?;
            let failed = Failed {
                paragon: &paragon,
                path: format!(
                    "/sdk/proxy/{integration}{}",
                    path.split(['?', '#']).next().unwrap_or("")
                ),
                service: Service::Proxy,
                integration: Some(&integration),
                user: user_of(&user),
            };
            let mut request = paragon.request(&integration, method, &path);
            let pairs = query
                .iter()
                .map(|q| {
                    q.split_once('=')
                        .ok_or_else(|| format!("-q {q:?}: expected KEY=VALUE"))
                })
                .collect::<CliResult<Vec<_>>>()?;
            request = request.query(&pairs);
            for h in &headers {
                let (name, value) = h
                    .split_once(':')
                    .ok_or_else(|| format!("-H {h:?}: expected 'Name: value'"))?;
                request = request.header(name.trim(), value.trim());
            }
            if let Some(text) = data {
                request = request.json(&parse_json(&text, "--data")?);
            } else if let Some(file) = data_file {
                let bytes = if file.as_os_str() == "-" {
                    let mut buf = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                        .map_err(|e| format!("stdin: {e}"))?;
                    buf
                } else {
                    std::fs::read(&file)
                        .map_err(|e| format!("--data-file {}: {e}", file.display()))?
                };
                request = match serde_json::from_slice::<Value>(&bytes) {
                    Ok(json) => request.json(&json),
                    Err(_) => request.body(bytes),
                };
            }
            if let Some(id) = credential {
                request = request.credential(id);
            }
            if raw {
                request = request.raw();
            }
            let response = match request.await {
                Ok(response) => response,
                Err(e) => return Err(report::explain(e, &failed).await),
            };
            if raw {
                let body = response.bytes().await.map_err(report::plain)?;
                std::io::stdout()
                    .write_all(&body)
                    .map_err(|e| e.to_string())?;
            } else {
                let value: Value = response.json().await.map_err(report::plain)?;
                print_json(&value)?;
            }
        }
        Command::Me { user } => {
            let paragon = client(&user, None)?;
            match paragon.me().await {
                Ok(me) => print_json(&me)?,
                Err(e) => return Err(api_failure(e, &paragon, "/sdk/me", &user).await),
            }
        }
        Command::Integrations { user } => {
            let paragon = client(&user, None)?;
            match paragon.integrations().await {
                Ok(list) => print_json(&list)?,
                Err(e) => {
                    return Err(api_failure(e, &paragon, "/sdk/integrations", &user).await);
                }
            }
        }
        Command::Event { name, json, user } => {
            let payload = parse_json(&json, "the event payload")?;
            let paragon = client(&user, None)?;
            if let Err(e) = paragon.send_event(&name, &payload).await {
                let failed = Failed {
                    paragon: &paragon,
                    path: "/sdk/events/trigger".into(),
                    service: Service::Events,
                    integration: None,
                    user: user_of(&user),
                };
                return Err(report::explain(e, &failed).await);
            }
            eprintln!("event {name:?} sent");
        }
        Command::Workflow { id, json, user } => {
            let payload = match json {
                Some(text) => parse_json(&text, "the workflow payload")?,
                None => Value::Object(Default::default()),
            };
            let paragon = client(&user, None)?;
            let outcome = match paragon.trigger_workflow(&id, &payload).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    let failed = Failed {
                        paragon: &paragon,
                        path: format!("/sdk/triggers/{id}"),
                        service: Service::Events,
                        integration: None,
                        user: user_of(&user),
                    };
                    return Err(report::explain(e, &failed).await);
                }
            };
            match outcome {
                WorkflowOutcome::Response(value) => print_json(&value)?,
                WorkflowOutcome::Accepted => {
                    eprintln!("accepted (202): the workflow sends no response")
                }
                other => eprintln!("{other:?}"),
            }
        }
        Command::Test {
            integration,
            manifest,
            path,
            user,
        } => {
            let (integration, test_path) = match (manifest, path) {
                (Some(file), _) => {
                    // Each diagnostic prints its own `error:`; a heading keeps `fail`'s from
                    // doubling the first one.
                    let m = paragon_manifest::Manifest::load(&file).map_err(|d| {
                        format!("the manifest `{}` is invalid:\n{d}", file.display())
                    })?;
                    (
                        integration.unwrap_or_else(|| m.slug()),
                        m.test_endpoint().to_owned(),
                    )
                }
                (None, Some(path)) => {
                    let integration =
                        integration.ok_or("the integration is required with --path")?;
                    (integration, path)
                }
                (None, None) => return Err("give --path or --manifest".into()),
            };
            let paragon = client(&user, None)?;
            let outcome = match paragon.test_connection(&integration, &test_path).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    let failed = Failed {
                        paragon: &paragon,
                        path: format!("/sdk/proxy/{integration}{test_path}"),
                        service: Service::Proxy,
                        integration: Some(&integration),
                        user: user_of(&user),
                    };
                    return Err(report::explain(e, &failed).await);
                }
            };
            if outcome.is_success() {
                println!("ok: GET {test_path} answered {}", outcome.status);
            } else {
                println!(
                    "failed: GET {test_path} answered {}: {}",
                    outcome.status,
                    outcome.reason.as_deref().unwrap_or("")
                );
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
