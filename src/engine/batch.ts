import type { ParsedTest } from '../parsers/types.js';
import type { BatchHooks } from './batch-hooks.js';
import type { WorkerSlot } from '../suites/adapter.js';
import { describeExit, isMachineDeath, type Target } from '../targets/target.js';
import type { PlannedSuite } from './plan.js';
import { runProcess } from './process-run.js';

const MAX_FRUITLESS_SPAWNS = 2;
// Crashes of a batch process that the test alone does not reproduce: after this many, the binary
// cannot survive a batch (its state poisons later tests) and the rest runs one test per process.
const BATCH_ONLY_CRASHES = 2;

function chunkByChars(names: readonly string[], maxChars: number): string[] {
  const chunk: string[] = [];
  let size = 0;
  for (const name of names) {
    if (chunk.length > 0 && size + name.length + 1 > maxChars) break;
    chunk.push(name);
    size += name.length + 1;
  }
  return chunk;
}

/**
 * Runs tests in as few processes as possible: one process for the batch; when it dies mid-test,
 * that test runs again alone to tell its own crash from a crash of the batch (unless the machine
 * itself died: its kernel records name the test), and a new process
 * continues with the tests not yet finished — never re-running finished ones. A binary whose
 * batches keep crashing where its tests alone do not is run one test per process from then on.
 */
export async function runBatch(target: Target, planned: PlannedSuite, names: readonly string[], slot: WorkerSlot, hooks: BatchHooks): Promise<void> {
  const remaining = new Set(names);
  const finish = (name: string, result: ParsedTest) => {
    if (!remaining.delete(name)) return false;
    hooks.onResult(result);
    return true;
  };
  let fruitless = 0;
  let batchOnlyCrashes = 0;
  let isolated = false;
  while (remaining.size > 0 && !hooks.signal.aborted) {
    const batch = isolated ? [remaining.values().next().value!] : chunkByChars([...remaining], planned.adapter.maxBatchChars);
    const outcome = await runProcess(target, planned, batch, slot, hooks, finish);
    if (outcome.interrupted) return;
    const died = outcome.diedDuring;
    // A machine that died took the batch with it: no second death (and reboot) to tell them apart.
    if (died && batch.length > 1 && !isMachineDeath(outcome.exit)) {
      // Alone, does it crash too? Its own result is the test's result; the batch crash is noted.
      let alone: ParsedTest | undefined;
      const keep = (_name: string, result: ParsedTest) => {
        alone = result;
        return true;
      };
      const again = await runProcess(target, planned, [died.name], slot, hooks, keep, died.name);
      if (again.interrupted) return;
      const result = again.diedDuring?.result ?? alone;
      if (!result || result.status === 'crash') finish(died.name, result ?? died.result);
      else {
        const how = describeExit(outcome.exit).replace(/^was /, '');
        finish(died.name, {
          ...result,
          message: `${result.message ?? ''}\n[svmtest: the batch process ${how} during this test; run alone it ended ${result.status}]`.trim(),
        });
        if (!isolated && ++batchOnlyCrashes >= BATCH_ONLY_CRASHES) {
          isolated = true;
          hooks.note(
            `${planned.suite.definition.name}: the batch process crashed ${batchOnlyCrashes} times where the test alone did not; the rest runs one test per process`,
          );
        }
      }
    } else if (died) finish(died.name, died.result);
    else if (outcome.exit.signal !== null && batch.length > 1 && !isMachineDeath(outcome.exit)) {
      // Between two tests: no test's result is changed, and the next test starts in a new process.
      const after = outcome.lastFinished ? `after ${outcome.lastFinished} ended` : 'before its first test started';
      hooks.note(
        `${planned.suite.definition.name}: the batch process ${describeExit(outcome.exit)} ${after}, between tests (a batch crash; the remaining tests run in a new process)`,
      );
    }
    if (outcome.finished === 0 && !died) {
      fruitless++;
      if (fruitless >= MAX_FRUITLESS_SPAWNS || outcome.exit.exitCode === 127) {
        hooks.failedToRun(
          [...remaining],
          `${planned.suite.command[0]} ${describeExit(outcome.exit)} without running these tests: ${outcome.lastLines.slice(-3).join(' | ')}`,
        );
        return;
      }
    } else fruitless = 0;
  }
}
