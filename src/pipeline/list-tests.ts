import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { planSuites, type PlannedSuite, type Selection } from '../engine/plan.js';
import type { Gpu } from '../model/run.js';
import { HostTarget } from '../targets/host.js';
import { discoverGpus } from '../targets/topology.js';
import { prepareRun } from './prepare-run.js';
import { runDirAt } from './run-dir.js';
import type { RunRequest } from './run-request.js';
import { Teardowns } from './teardown.js';

export interface TestList {
  readonly target: string;
  readonly gpus: readonly Gpu[];
  readonly selection: Selection;
  readonly plan: readonly PlannedSuite[];
}

/** What a run with this request would run, worked out on its target (a QEMU guest boots for it). */
export async function listTests(request: RunRequest, note: (message: string) => void): Promise<TestList> {
  const teardowns = new Teardowns();
  try {
    // The target keeps its files (a guest's console and agent) in a scratch run directory.
    const scratch = mkdtempSync(join(tmpdir(), 'svmtest-list-'));
    teardowns.add('scratch directory', () => rmSync(scratch, { recursive: true, force: true }));
    const prepared = await prepareRun(request, loadConfig(request.config), runDirAt(scratch), note);
    const opening = await prepared.open();
    // Jobs on a lab run the same programs: their tests are listed here, where the programs are.
    if ('remote' in opening) note('the lab jobs run the programs this machine packs for them: listing them here');
    const target = 'remote' in opening ? new HostTarget(request.sysfsRoot ?? '') : opening.target;
    teardowns.add('target', () => target.close());
    const gpusAsked = discoverGpus(target);
    const plan = await planSuites(target, prepared.suites, prepared.suiteContext, gpusAsked, prepared.selection);
    const gpus = await gpusAsked;
    return { target: target.description, gpus, selection: prepared.selection, plan };
  } finally {
    await teardowns.runAll(note);
  }
}
