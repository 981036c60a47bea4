// One cold start: prints milliseconds from before the engine's import to its
// first decision. The harness (adapters, fixtures) is imported before the
// clock starts, so only the engine's own import, load and first check count.
const [engine, shared, bundlePath] = process.argv.slice(2);
const engines = await import("./engines.mjs");
const fixtures = await import(new URL(`file://${shared}/bench/fixtures.mjs`).href);
const started = performance.now();
const e = await engines[engine]({ shared, bundlePath });
e.check(fixtures.benchCase);
const ms = performance.now() - started;
// Read the clock before touching process.stdout: its getter creates the
// stream (a few milliseconds) and would otherwise count as cold start.
process.stdout.write(`${ms}\n`);
