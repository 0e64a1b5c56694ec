//! `paragon-codegen`: generate typed clients and validate integration manifests.

#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use paragon_codegen::{Diagnostics, Generator, ToolGenerator};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "paragon-codegen",
    version,
    about = "Typed Paragon proxy clients from OpenAPI specs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a client module file.
    Generate {
        /// The integration folder (holding integration.toml).
        #[arg(long, required_unless_present = "spec")]
        integration: Option<PathBuf>,
        /// The OpenAPI spec, when it is not the manifest's (required without --integration).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// The integration's display name, without a manifest ("Task Lab" → custom.tasklab).
        #[arg(long, required_unless_present = "integration")]
        name: Option<String>,
        /// Where to write the module file.
        #[arg(long)]
        out: PathBuf,
        /// Keep operations with this tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Keep the operation with this id (repeatable).
        #[arg(long = "operation")]
        operations: Vec<String>,
        /// Keep operations under this path prefix (repeatable).
        #[arg(long = "path-prefix")]
        path_prefixes: Vec<String>,
        /// Also generate component schemas no generated operation uses.
        #[arg(long)]
        all_schemas: bool,
        /// Derive Serialize and Deserialize on every type (default: what each type's direction needs).
        #[arg(long)]
        full_serde: bool,
        /// Received types decode a required field the provider leaves out as its empty value
        /// (`""`, `0`, `[]`) when it has one, instead of failing.
        #[arg(long)]
        tolerant: bool,
        /// Also write the conformance harness's cases module here (the client then derives
        /// both serde traits everywhere); see scripts/conformance.sh.
        #[arg(long, value_name = "FILE")]
        conformance_cases: Option<PathBuf>,
    },
    /// Export the specs folder as a Paragraph project (Paragon's workflows as code).
    ///
    /// Writes src/integrations/custom.<slug>/config.ts, workflows/*.ts and src/events/*.ts;
    /// what Paragraph cannot express is refused at its file:line:col.
    Paragraph {
        /// The specs folder (integration folders and events.toml).
        #[arg(long, default_value = "specs")]
        specs: PathBuf,
        /// The project folder to write.
        #[arg(long)]
        out: PathBuf,
        /// Export only this integration (its slug, e.g. custom.tasklab; repeatable).
        #[arg(long = "integration")]
        integrations: Vec<String>,
    },
    /// Print an integration's tools for AI agents as JSON, as ActionKit lists them.
    Tools {
        /// The folder holding the integration folders.
        #[arg(long, default_value = "specs")]
        specs: PathBuf,
        /// The integration's folder name under --specs (e.g. tasklab).
        #[arg(long, required_unless_present = "spec")]
        integration: Option<String>,
        /// A bare OpenAPI spec instead of an integration.
        #[arg(long, conflicts_with = "integration", requires = "name")]
        spec: Option<PathBuf>,
        /// The integration's display name for --spec ("Task Lab" → custom.tasklab).
        #[arg(long)]
        name: Option<String>,
        /// Without a `[tools] allow` list, offer every method, not only GET.
        #[arg(long)]
        all_methods: bool,
        /// Keep operations with this tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Keep the operation with this id (repeatable).
        #[arg(long = "operation")]
        operations: Vec<String>,
        /// Keep operations under this path prefix (repeatable).
        #[arg(long = "path-prefix")]
        path_prefixes: Vec<String>,
    },
    /// Check integration manifests (default: every specs/*/integration.toml).
    Validate {
        /// Manifests or integration folders.
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Generate {
            integration,
            spec,
            name,
            out,
            tags,
            operations,
            path_prefixes,
            all_schemas,
            full_serde,
            tolerant,
            conformance_cases,
        } => {
            let mut generator = match (integration, spec, name) {
                (Some(_), _, Some(name)) => {
                    eprintln!(
                        "error: --name {name:?} beside --integration: the manifest's `name` names the integration\n  = help: drop --name, or change `name` in integration.toml"
                    );
                    return ExitCode::from(2);
                }
                (Some(dir), spec, None) => {
                    let g = Generator::new(dir);
                    match spec {
                        Some(s) => g.spec(s),
                        None => g,
                    }
                }
                (None, Some(spec), Some(name)) => Generator::from_spec(spec, name),
                _ => {
                    eprintln!("error: give --integration, or --spec and --name");
                    return ExitCode::from(2);
                }
            };
            for t in tags {
                generator = generator.tag(t);
            }
            for o in operations {
                generator = generator.operation(o);
            }
            for p in path_prefixes {
                generator = generator.path_prefix(p);
            }
            let generator = generator
                .all_schemas(all_schemas)
                .full_serde(full_serde)
                .tolerant(tolerant);
            let generated = match &conformance_cases {
                None => generator.render(),
                Some(cases_out) => generator.conformance().and_then(|c| {
                    write(cases_out, &c.cases)?;
                    eprintln!("wrote {} ({} examples)", cases_out.display(), c.examples);
                    Ok(c.client)
                }),
            };
            let generated = match generated {
                Ok(g) => g,
                Err(errors) => return fail(&errors),
            };
            if !generated.warnings.is_empty() {
                eprintln!("{}", generated.warnings_text());
            }
            if let Err(errors) = write(&out, &generated.source) {
                return fail(&errors);
            }
            eprintln!(
                "wrote {} ({} operations, {} types, {} lines, {} warnings)",
                out.display(),
                generated.operations,
                generated.types,
                generated.source.lines().count(),
                generated.warnings.len()
            );
            ExitCode::SUCCESS
        }
        Command::Paragraph {
            specs,
            out,
            integrations,
        } => {
            let export = match paragon_codegen::paragraph::export(&specs, &integrations) {
                Ok(e) => e,
                Err(errors) => return fail(&errors),
            };
            if let Err(e) = export.write(&out) {
                eprintln!(
                    "error: cannot write the project under {}: {e}",
                    out.display()
                );
                return ExitCode::FAILURE;
            }
            for note in &export.notes {
                eprintln!("note: {note}");
            }
            eprintln!("wrote {} files under {}", export.files.len(), out.display());
            ExitCode::SUCCESS
        }
        Command::Tools {
            specs,
            integration,
            spec,
            name,
            all_methods,
            tags,
            operations,
            path_prefixes,
        } => {
            let mut generator = match (integration, spec) {
                (Some(dir), _) => ToolGenerator::new(specs.join(dir)),
                (None, Some(spec)) => ToolGenerator::from_spec(spec, name.unwrap_or_default()),
                (None, None) => {
                    eprintln!("error: give --integration, or --spec and --name");
                    return ExitCode::from(2);
                }
            };
            generator = generator.all_methods(all_methods);
            for t in tags {
                generator = generator.tag(t);
            }
            for o in operations {
                generator = generator.operation(o);
            }
            for p in path_prefixes {
                generator = generator.path_prefix(p);
            }
            let set = match generator.generate() {
                Ok(set) => set,
                Err(errors) => return fail(&errors),
            };
            if !set.warnings.is_empty() {
                eprintln!("{}", set.warnings_text());
            }
            let listed = serde_json::json!({
                "tools": { set.integration.clone(): set.functions() },
                "errors": [],
            });
            // A closed pipe (`| head`) ends the output; it is not an error worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{listed:#}");
            eprintln!(
                "{} tools from {} operations ({} left out)",
                set.tools.len(),
                set.operations,
                set.operations - set.tools.len()
            );
            ExitCode::SUCCESS
        }
        Command::Validate { paths } => {
            let paths = if paths.is_empty() {
                paragon_manifest::discover("specs")
            } else {
                paths
            };
            if paths.is_empty() {
                eprintln!("error: no manifests found (looked for specs/*/integration.toml)");
                return ExitCode::FAILURE;
            }
            let mut failed = false;
            for (path, result) in paragon_manifest::validate_paths(&paths) {
                let checked = result.and_then(|m| {
                    // The spec beside the manifest must generate, and hold the test endpoint.
                    if m.spec_path().is_some() {
                        let generated = Generator::new(m.file()).validate()?;
                        if !generated.warnings.is_empty() {
                            eprintln!("{}", generated.warnings_text());
                        }
                        // `[tools] allow` must name operations the spec has.
                        if m.tools().is_some() {
                            ToolGenerator::for_manifest(m.clone()).generate()?;
                        }
                    }
                    Ok(m)
                });
                match checked {
                    Ok(m) => println!("ok: {} ({})", path.display(), m.slug()),
                    Err(errors) => {
                        failed = true;
                        eprintln!("{errors}");
                    }
                }
            }
            // Workflows beside each valid manifest (`<integration>/workflows/*.toml`).
            for (path, result) in paragon_manifest::workflow::validate_workflow_paths(&paths) {
                match result {
                    Ok(w) if w.is_empty() => {}
                    Ok(w) => println!("ok: {} ({} workflows)", path.display(), w.len()),
                    Err(errors) => {
                        failed = true;
                        eprintln!("{errors}");
                    }
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

fn write(path: &std::path::Path, text: &str) -> Result<(), Diagnostics> {
    std::fs::write(path, text).map_err(|e| {
        paragon_manifest::Diagnostic::error(format!("cannot write {}: {e}", path.display())).into()
    })
}

fn fail(errors: &Diagnostics) -> ExitCode {
    eprintln!("{errors}");
    ExitCode::FAILURE
}
