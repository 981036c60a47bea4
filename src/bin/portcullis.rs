//! The `portcullis` command-line tool: compile policy folders into bundles and
//! answer CheckResources requests the way the Cerbos PDP would.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use portcullis::bundle::Bundle;
use portcullis::compiler::{self, CompileOptions, Diagnostic};
use portcullis::engine::{
    CheckResourcesRequest, Engine, EngineConfig, RequestError, SchemaEnforcement,
};
use portcullis::verify::{self, FilterConfig, OutputFormat, VerifyOptions};

/// Exit code for a failed compilation, as `cerbos compile` uses.
const EXIT_COMPILE_FAILURE: u8 = verify::EXIT_COMPILE_FAILURE;
/// Exit code for unusable input (bad flags, unreadable files).
const EXIT_USAGE: u8 = verify::EXIT_USAGE;

#[derive(Parser)]
#[command(
    name = "portcullis",
    version,
    about = "Cerbos-compatible authorization at the edge"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a policy folder and write the precompiled bundle.
    Compile {
        /// Policy folder (a Cerbos policy store).
        dir: PathBuf,
        /// Where to write the bundle JSON (`-` for standard output).
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// Diagnostics format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Do not run the `*_test.yaml` suites after compiling.
        #[arg(long)]
        skip_tests: bool,
    },
    /// Run the Cerbos-format test suites (`*_test.yaml`) of a policy folder.
    Test {
        /// Policy folder.
        dir: PathBuf,
        #[command(flatten)]
        suites: SuiteFlags,
        /// Output format.
        #[arg(long, default_value = "tree")]
        format: OutputFormat,
        /// Colour the tree output.
        #[arg(long)]
        color: bool,
    },
    /// Answer CheckResources requests (a JSON array of Cerbos API request bodies).
    ///
    /// Prints a JSON array: per request, the Cerbos API response as with
    /// `includeMeta: true` plus its CEL `evaluationErrors`, or
    /// `{"error": {"code", "message"}}` for a request Cerbos would reject.
    Check {
        /// Policy folder to compile first.
        #[arg(long, conflicts_with = "bundle", required_unless_present = "bundle")]
        policies: Option<PathBuf>,
        /// A bundle written by `portcullis compile`.
        #[arg(long)]
        bundle: Option<PathBuf>,
        /// File with a JSON array of requests, or `-` for standard input.
        #[arg(long)]
        requests: PathBuf,
        /// Engine globals as a JSON object.
        #[arg(long)]
        globals: Option<String>,
        /// Walk up to the nearest existing scope when the requested one has no policy.
        #[arg(long)]
        lenient_scopes: bool,
        /// Deny actions whose conditions fail to evaluate.
        #[arg(long)]
        strict_evaluation: bool,
        /// What to do when attributes do not match the policy schemas.
        #[arg(long, value_enum, default_value_t = Enforcement::None)]
        schema_enforcement: Enforcement,
        /// Policy version used when a request names none.
        #[arg(long)]
        default_policy_version: Option<String>,
        /// Scope used when a request names none.
        #[arg(long)]
        default_scope: Option<String>,
        /// JWKS or PEM file for auxData JWT verification (repeatable; keyset id = file stem).
        #[arg(long)]
        jwks: Vec<PathBuf>,
        /// Evaluation time for `now()`, RFC 3339 (defaults to the system clock).
        #[arg(long)]
        now: Option<String>,
    },
}

/// How suites are selected and run, shared by `test` and `compile`.
#[derive(clap::Args, Clone, Default)]
struct SuiteFlags {
    /// Folder holding the suites (default: the policy folder).
    #[arg(long)]
    tests: Option<PathBuf>,
    /// `suite=glob;test=glob;principal=glob;resource=glob;action=glob` (repeatable).
    #[arg(long = "test-filter")]
    test_filter: Vec<String>,
    /// Only tests whose `<suite>/<test>` matches this regular expression.
    #[arg(long)]
    run: Option<String>,
    /// Run suites without schema enforcement (default: reject).
    #[arg(long)]
    ignore_schemas: bool,
    /// One check per action instead of one per principal and resource.
    #[arg(long)]
    skip_batching: bool,
    /// Deny actions whose conditions fail to evaluate.
    #[arg(long)]
    strict_evaluation: bool,
}

impl SuiteFlags {
    fn options(&self) -> Result<VerifyOptions, String> {
        let mut filter = FilterConfig::default();
        for spec in &self.test_filter {
            filter.parse_into(spec).map_err(|e| e.to_string())?;
        }
        Ok(VerifyOptions {
            tests_dir: self.tests.clone(),
            filter,
            run: self.run.clone(),
            ignore_schemas: self.ignore_schemas,
            skip_batching: self.skip_batching,
            strict_evaluation: self.strict_evaluation,
            ..VerifyOptions::default()
        })
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Enforcement {
    None,
    Warn,
    Reject,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Compile {
            dir,
            output,
            format,
            skip_tests,
        } => compile(&dir, output.as_deref(), format, skip_tests),
        Command::Test {
            dir,
            suites,
            format,
            color,
        } => run_suites(&dir, &suites, format, color),
        Command::Check {
            policies,
            bundle,
            requests,
            globals,
            lenient_scopes,
            strict_evaluation,
            schema_enforcement,
            default_policy_version,
            default_scope,
            jwks,
            now,
        } => {
            let mut config = EngineConfig {
                lenient_scope_search: lenient_scopes,
                strict_evaluation,
                schema_enforcement: match schema_enforcement {
                    Enforcement::None => SchemaEnforcement::None,
                    Enforcement::Warn => SchemaEnforcement::Warn,
                    Enforcement::Reject => SchemaEnforcement::Reject,
                },
                ..EngineConfig::default()
            };
            if let Some(version) = default_policy_version {
                config.default_policy_version = version;
            }
            if let Some(scope) = default_scope {
                config.default_scope = scope;
            }
            match check(
                policies.as_deref(),
                bundle.as_deref(),
                &requests,
                globals.as_deref(),
                &jwks,
                now.as_deref(),
                config,
            ) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("error: {message}");
                    ExitCode::from(EXIT_USAGE)
                }
            }
        }
    }
}

fn run_suites(dir: &Path, flags: &SuiteFlags, format: OutputFormat, color: bool) -> ExitCode {
    let options = match flags.options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let outcome = verify::run(dir, &options);
    match &outcome {
        Ok(results) => print!("{}", verify::render(results, format, color)),
        Err(verify::VerifyError::Compile(failure)) => {
            report(dir, &failure.diagnostics, Format::Text)
        }
        Err(e) => eprintln!("error: {e}"),
    }
    ExitCode::from(verify::exit_code(&outcome))
}

fn compile(dir: &Path, output: Option<&Path>, format: Format, skip_tests: bool) -> ExitCode {
    match compiler::compile_dir(dir, &CompileOptions::default()) {
        Ok(compiled) => {
            report(dir, &compiled.warnings, format);
            let json = compiled.bundle.to_json();
            let written = match output {
                None => Ok(()),
                Some(path) if path == Path::new("-") => {
                    println!("{json}");
                    Ok(())
                }
                Some(path) => std::fs::write(path, json + "\n"),
            };
            if let Err(e) = written {
                eprintln!("error: cannot write bundle: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
            if matches!(format, Format::Text) {
                eprintln!(
                    "compiled {} policies into {} rule rows",
                    compiled.bundle.policies.len(),
                    compiled.bundle.rows.len()
                );
            }
            if skip_tests {
                return ExitCode::SUCCESS;
            }
            // As `cerbos compile`: the suites next to the policies run too.
            let outcome = verify::read_test_files(dir).and_then(|files| {
                verify::run_bundle(&compiled.bundle, &files, &VerifyOptions::default())
            });
            match &outcome {
                Ok(results) if results.suites.is_empty() => {}
                Ok(results) => {
                    let rendered = match format {
                        Format::Text => verify::render(results, OutputFormat::Tree, false),
                        Format::Json => verify::render(results, OutputFormat::Json, false),
                    };
                    eprint!("{rendered}");
                }
                Err(e) => eprintln!("error: {e}"),
            }
            ExitCode::from(verify::exit_code(&outcome))
        }
        Err(failure) => {
            report(dir, &failure.diagnostics, format);
            ExitCode::from(EXIT_COMPILE_FAILURE)
        }
    }
}

fn report(root: &Path, diagnostics: &[Diagnostic], format: Format) {
    match format {
        Format::Json => {
            if !diagnostics.is_empty() {
                println!("{}", compiler::diagnostics_to_json(diagnostics));
            }
        }
        Format::Text => {
            for d in diagnostics {
                let source = std::fs::read_to_string(root.join(&d.file)).unwrap_or_default();
                eprintln!("{}", d.render(&source));
            }
        }
    }
}

fn check(
    policies: Option<&Path>,
    bundle: Option<&Path>,
    requests: &Path,
    globals: Option<&str>,
    jwks: &[PathBuf],
    now: Option<&str>,
    mut config: EngineConfig,
) -> Result<(), String> {
    let bundle = match (policies, bundle) {
        (Some(dir), _) => match compiler::compile_dir(dir, &CompileOptions::default()) {
            Ok(compiled) => compiled.bundle,
            Err(failure) => {
                report(dir, &failure.diagnostics, Format::Text);
                return Err(format!("{} does not compile", dir.display()));
            }
        },
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            Bundle::from_json(&text).map_err(|e| e.to_string())?
        }
        (None, None) => return Err("give --policies or --bundle".into()),
    };
    if let Some(globals) = globals {
        config.globals = serde_json::from_str(globals)
            .map_err(|e| format!("--globals is not a JSON object: {e}"))?;
    }
    let mut key_sets = Vec::new();
    for file in jwks {
        let id = file
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("cannot name a keyset after {}", file.display()))?;
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let pem = text.trim_start().starts_with("-----BEGIN");
        key_sets.push(serde_json::json!({"id": id, "local": {"inline": text, "pem": pem}}));
    }
    if !key_sets.is_empty() {
        config.aux_data = Some(serde_json::json!({"jwt": {"keySets": key_sets}}));
    }
    let now_nanos = match now {
        Some(text) => {
            let nanos = portcullis::cel::time::parse_timestamp(text)
                .map_err(|e| format!("--now: {e}"))?
                .unix_nanos();
            i64::try_from(nanos).map_err(|_| format!("--now: {text} is out of range"))?
        }
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            .unwrap_or(0),
    };
    let engine = Engine::new(bundle, config).map_err(|e| e.to_string())?;

    let text = if requests == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        text
    } else {
        std::fs::read_to_string(requests)
            .map_err(|e| format!("cannot read {}: {e}", requests.display()))?
    };
    let requests: Vec<serde_json::Value> = serde_json::from_str(&text)
        .map_err(|e| format!("requests must be a JSON array of request bodies: {e}"))?;
    let responses: Vec<serde_json::Value> = requests
        .into_iter()
        .map(|request| answer(&engine, request, now_nanos))
        .collect::<Result<_, _>>()?;
    let out = serde_json::to_string_pretty(&responses).map_err(|e| e.to_string())?;
    println!("{out}");
    Ok(())
}

/// One request's entry in `check`'s output: the Cerbos API response (with
/// `evaluationErrors`, which Cerbos only logs) or the error Cerbos would answer.
fn answer(
    engine: &Engine,
    request: serde_json::Value,
    now_nanos: i64,
) -> Result<serde_json::Value, String> {
    let result = serde_json::from_value::<CheckResourcesRequest>(request)
        .map_err(|e| RequestError::invalid_argument(e.to_string()))
        .and_then(|request| engine.check_resources(&request, now_nanos));
    match result {
        Ok(response) => serde_json::to_value(response).map_err(|e| e.to_string()),
        Err(e) => Ok(serde_json::json!({"error": {"code": e.code, "message": e.message}})),
    }
}
