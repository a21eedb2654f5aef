// Runs inside a LAVA job, in svmtest's initramfs: the job's one test step is
// `node /opt/svmtest/dist/cli/job.mjs <base64 of JobOrder>`, so nothing of the order passes
// through a shell. It loads the variant's modules, writes the echo nonce (read once by svmtest,
// then removed), puts back an earlier session's journal for --resume, and runs svmtest's engine
// on this machine with its records echoed to the console.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface JobOrder {
  /** `svmtest run` flags (the target, --out and --echo-records are added here). */
  readonly argv: readonly string[];
  readonly modprobe: readonly string[];
  /** An earlier session's request.json and journal.jsonl: svmtest continues that run. */
  readonly resume?: { readonly request: string; readonly journal: string };
}

export const RUN_DIR = '/run/svmtest/run';

function main(): void {
  const order = JSON.parse(Buffer.from(process.argv[2] ?? '', 'base64').toString('utf8')) as JobOrder;
  for (const module of order.modprobe) {
    const loaded = spawnSync('modprobe', [module], { stdio: 'inherit' });
    if (loaded.status !== 0) process.stdout.write(`svmtest: modprobe ${module} failed\n`);
  }
  mkdirSync(RUN_DIR, { recursive: true });
  const nonceFile = '/run/svmtest/nonce';
  writeFileSync(nonceFile, randomBytes(16).toString('hex'), { mode: 0o600 });
  if (order.resume) {
    writeFileSync(join(RUN_DIR, 'request.json'), order.resume.request);
    writeFileSync(join(RUN_DIR, 'journal.jsonl'), order.resume.journal);
  }
  const svmtest = new URL('./svmtest.mjs', import.meta.url).pathname;
  const where = order.resume ? ['--resume', RUN_DIR] : ['--out', RUN_DIR];
  const child = spawn(process.execPath, [svmtest, 'run', ...order.argv, '--target', 'host', ...where, '--echo-records', nonceFile], {
    stdio: 'inherit',
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  });
  child.on('exit', (code, signal) => {
    process.stdout.write(`svmtest: exited with ${signal ?? code}\n`);
    process.exit(0); // the job's verdict is in the echoed records, never in this exit code
  });
}

main();
