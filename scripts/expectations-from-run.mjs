// Writes drm/ci-style expectation lines ("suite/test,Status") for every test a run.json records as
// failing, crashing or timing out — the start of a <variant>[-<gfx>]-fails.txt for a known setup.
// Review the result before committing it. Usage: node scripts/expectations-from-run.mjs RUN.json [HEADER]
import { readFileSync } from 'node:fs';

const [file, header] = process.argv.slice(2);
if (!file) throw new Error('usage: expectations-from-run.mjs RUN.json [HEADER]');
const run = JSON.parse(readFileSync(file, 'utf8'));
const STATUS = { fail: 'Fail', crash: 'Crash', timeout: 'Timeout' };
const lines = run.tests.filter((t) => STATUS[t.status]).map((t) => `${t.suite}/${t.name},${STATUS[t.status]}`);
process.stdout.write(`${header ? `# ${header}\n` : ''}${lines.join('\n')}\n`);
