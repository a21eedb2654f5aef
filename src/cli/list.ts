import { planSuites } from '../engine/plan.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { openSession, type TargetOptions } from './session.js';

export interface ListCommandOptions extends TargetOptions {
  json?: boolean;
}

/** What would run, after profile, filters, skips and shard. */
export async function listCommand(options: ListCommandOptions): Promise<ExitCode> {
  const session = await openSession(options);
  let plan;
  try {
    plan = await planSuites(session.target, session.suites, session.context, session.gpus, session.selection);
  } finally {
    await session.target.close();
  }
  if (options.json) {
    const data = plan.map((p) => ({
      suite: p.suite.definition.name,
      kind: p.suite.definition.kind,
      location: p.suite.dir ?? p.suite.command[0],
      tests: p.tests.map((t) => ({ name: t.name, action: t.action, ...(t.reason ? { reason: t.reason } : {}) })),
    }));
    process.stdout.write(`${JSON.stringify({ target: session.target.description, gpus: session.gpus, selection: session.selection, suites: data }, null, 1)}\n`);
    return EXIT.ok;
  }
  for (const p of plan) {
    const run = p.tests.filter((t) => t.action === 'run').length;
    process.stdout.write(`# ${p.suite.definition.name} (${p.suite.dir ?? p.suite.command[0]}): ${run} to run, ${p.tests.length - run} skipped or not run\n`);
    for (const t of p.tests) process.stdout.write(`${p.suite.definition.name}/${t.name}${t.action === 'run' ? '' : `\t${t.action}: ${t.reason ?? ''}`}\n`);
  }
  return EXIT.ok;
}
