import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { listTests } from '../pipeline/list-tests.js';
import { requestOf, type TargetFlags } from './run.js';
import { note, writeOut } from './screen.js';

/** What would run, after profile, filters, skips and shard. */
export async function listCommand(flags: TargetFlags & { json?: boolean }): Promise<ExitCode> {
  const { target, gpus, selection, plan } = await listTests(requestOf(flags), note);
  if (flags.json) {
    const suites = plan.map((p) => ({
      suite: p.suite.definition.name,
      kind: p.suite.definition.kind,
      location: p.suite.dir ?? p.suite.command[0],
      tests: p.tests.map((t) => ({ name: t.name, action: t.action, ...(t.reason ? { reason: t.reason } : {}) })),
      ...(p.notes.length > 0 ? { notes: p.notes } : {}),
    }));
    const { durations: _durations, ...shown } = selection;
    writeOut(`${JSON.stringify({ target, gpus, selection: shown, suites }, null, 1)}\n`);
    return EXIT.ok;
  }
  for (const p of plan) {
    const run = p.tests.filter((t) => t.action === 'run').length;
    writeOut(`# ${p.suite.definition.name} (${p.suite.dir ?? p.suite.command[0]}): ${run} to run, ${p.tests.length - run} skipped or not run\n`);
    for (const n of p.notes) writeOut(`# ${n}\n`);
    for (const t of p.tests)
      writeOut(`${p.suite.definition.name}/${neutralizeLine(t.name)}${t.action === 'run' ? '' : `\t${t.action}: ${neutralizeLine(t.reason ?? '')}`}\n`);
  }
  return EXIT.ok;
}
