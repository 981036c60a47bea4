// One cold start: prints milliseconds from before the import to the first decision.
const started = performance.now();
const [engine, shared, bundlePath] = process.argv.slice(2);
const engines = await import("./engines.mjs");
const e = await engines[engine]({ shared, bundlePath });
const fixtures = await import(new URL(`file://${shared}/bench/fixtures.mjs`).href);
e.check(fixtures.benchCase);
process.stdout.write(`${performance.now() - started}\n`);
