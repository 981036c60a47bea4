#!/usr/bin/env node
// `npx portcullis check | compile` without Rust.
//
// * `check` runs on the runtime wasm (the same one every entry uses) and
//   prints what the native `portcullis check` prints: a JSON array with, for
//   each request, the Cerbos API response or `{"error": {code, message}}`.
// * `compile` needs the policy compiler, which is kept out of the runtime
//   wasm. It runs on a second wasm (`pkg-compiler/`, wasm-pack with features
//   "wasm compiler") when the package ships one; see js/README-cli.md.

import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join, relative, sep } from "node:path";
import { parseArgs } from "node:util";
import { Authorizer, PortcullisError, type AuthorizerOptions, type KeySet, type SchemaEnforcement } from "./node.js";

const EXIT_USAGE = 2;
const EXIT_COMPILE_FAILURE = 3;

const usage = `usage:
  portcullis check (--bundle FILE | --policies DIR) --requests FILE|- [--now RFC3339]
                   [--globals JSON] [--lenient-scopes] [--strict-evaluation]
                   [--schema-enforcement none|warn|reject] [--default-policy-version V]
                   [--default-scope S] [--jwks FILE]...
  portcullis compile DIR [-o FILE|-] [--format text|json]`;

class UsageError extends Error {}

function readInput(path: string): string {
  return path === "-" ? readFileSync(0, "utf8") : readFileSync(path, "utf8");
}

/** The compiler wasm's surface (see js/README-cli.md). */
interface CompilerModule {
  default: (options: { module_or_path: WebAssembly.Module }) => Promise<unknown>;
  compilePolicies: (filesJson: string) => string;
}

async function loadCompiler(): Promise<CompilerModule> {
  const glueUrl = new URL("../../pkg-compiler/portcullis.js", import.meta.url);
  const wasmUrl = new URL("../../pkg-compiler/portcullis_bg.wasm", import.meta.url);
  let compiler: CompilerModule;
  try {
    compiler = (await import(glueUrl.href)) as CompilerModule;
  } catch {
    throw new PortcullisError(
      "this package has no policy compiler (pkg-compiler/ is missing): compile with the native `portcullis compile`, or build it with `npm run build:compiler`",
    );
  }
  await compiler.default({ module_or_path: await WebAssembly.compile(readFileSync(wasmUrl)) });
  return compiler;
}

function policyFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if ([".yaml", ".yml", ".json"].includes(extname(entry.name))) {
        files[relative(dir, path).split(sep).join("/")] = readFileSync(path, "utf8");
      }
    }
  };
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a directory`);
  walk(dir);
  return files;
}

interface CompileAnswer {
  /** The bundle text exactly as the native compiler writes it (preferred). */
  bundleJson?: string;
  /** The bundle as a JSON value (same content; keys may be reordered). */
  bundle?: unknown;
  diagnostics?: { file: string; line?: number; column?: number; message: string; rendered?: string }[];
  warnings?: { file: string; line?: number; column?: number; message: string; rendered?: string }[];
}

async function compile(dir: string): Promise<CompileAnswer> {
  const compiler = await loadCompiler();
  const answer = JSON.parse(compiler.compilePolicies(JSON.stringify(policyFiles(dir)))) as CompileAnswer;
  if (answer.bundleJson === undefined && answer.bundle !== undefined) answer.bundleJson = JSON.stringify(answer.bundle);
  return answer;
}

function report(list: CompileAnswer["diagnostics"], format: string): void {
  if (!list?.length) return;
  if (format === "json") {
    process.stdout.write(`${JSON.stringify(list)}\n`);
    return;
  }
  for (const d of list) process.stderr.write(`${d.rendered ?? `${d.file}:${d.line ?? 0}:${d.column ?? 0}: ${d.message}`}\n`);
}

async function runCompile(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: "string", short: "o" }, format: { type: "string", default: "text" } },
  });
  const [dir] = positionals;
  if (!dir || positionals.length > 1) throw new UsageError("compile takes one policy folder");
  const format = values.format ?? "text";
  if (!["text", "json"].includes(format)) throw new UsageError("--format is text or json");
  const answer = await compile(dir);
  if (answer.bundleJson === undefined) {
    report(answer.diagnostics, format);
    return EXIT_COMPILE_FAILURE;
  }
  report(answer.warnings, format);
  const json = answer.bundleJson;
  if (values.output === "-") process.stdout.write(`${json}\n`);
  else if (values.output) writeFileSync(values.output, `${json}\n`);
  return 0;
}

async function runCheck(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      bundle: { type: "string" },
      policies: { type: "string" },
      requests: { type: "string" },
      now: { type: "string" },
      globals: { type: "string" },
      "lenient-scopes": { type: "boolean" },
      "strict-evaluation": { type: "boolean" },
      "schema-enforcement": { type: "string" },
      "default-policy-version": { type: "string" },
      "default-scope": { type: "string" },
      jwks: { type: "string", multiple: true },
    },
  });
  if (!values.requests) throw new UsageError("check needs --requests");
  if ((values.bundle === undefined) === (values.policies === undefined)) throw new UsageError("give exactly one of --bundle or --policies");
  let bundle: string;
  if (values.bundle !== undefined) {
    bundle = readFileSync(values.bundle, "utf8");
  } else {
    const answer = await compile(values.policies as string);
    if (answer.bundleJson === undefined) {
      report(answer.diagnostics, "text");
      throw new PortcullisError(`${values.policies} does not compile`);
    }
    bundle = answer.bundleJson;
  }
  let nowMs = Date.now();
  if (values.now !== undefined) {
    nowMs = Date.parse(values.now);
    if (Number.isNaN(nowMs)) throw new UsageError(`--now: not an RFC 3339 time: ${values.now}`);
  }
  const options: AuthorizerOptions = { bundle, now: () => nowMs };
  if (values.globals !== undefined) {
    try {
      options.globals = JSON.parse(values.globals) as AuthorizerOptions["globals"];
    } catch (error) {
      throw new UsageError(`--globals is not a JSON object: ${(error as Error).message}`);
    }
  }
  if (values["lenient-scopes"]) options.lenientScopeSearch = true;
  if (values["strict-evaluation"]) options.strictEvaluation = true;
  if (values["schema-enforcement"] !== undefined) options.schemaEnforcement = values["schema-enforcement"] as SchemaEnforcement;
  if (values["default-policy-version"] !== undefined) options.defaultPolicyVersion = values["default-policy-version"];
  if (values["default-scope"] !== undefined) options.defaultScope = values["default-scope"];
  if (values.jwks?.length) {
    const keySets: KeySet[] = values.jwks.map((file) => {
      const text = readFileSync(file, "utf8");
      const id = basename(file, extname(file));
      return text.includes("-----BEGIN") ? { id, pem: text } : { id, jwks: text };
    });
    options.jwt = { keySets };
  }
  let requests: unknown;
  try {
    requests = JSON.parse(readInput(values.requests));
  } catch (error) {
    throw new UsageError(`requests must be a JSON array of request bodies: ${(error as Error).message}`);
  }
  if (!Array.isArray(requests)) throw new UsageError("requests must be a JSON array of request bodies");
  const authz = await Authorizer.create(options);
  const answers = requests.map((request) => JSON.parse(authz.checkResourcesJson(JSON.stringify(request))) as unknown);
  process.stdout.write(`${JSON.stringify(answers, null, 2)}\n`);
  authz.close();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "check") return await runCheck(rest);
    if (command === "compile") return await runCompile(rest);
    if (command === "--version" || command === "-V") {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
      process.stdout.write(`portcullis ${pkg.version}\n`);
      return 0;
    }
    throw new UsageError(command ? `unknown command ${command}` : "no command given");
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`error: ${(error as Error).message}\n${usage}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
}

process.exitCode = await main(process.argv.slice(2));
