import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayJournal } from '../../src/engine/assemble.js';
import { readJournal } from '../../src/engine/journal.js';
import { Recorder } from '../../src/engine/recorder.js';
import type { KernelEvent } from '../../src/model/kernel-event.js';
import { SILENT_PROGRESS } from '../../src/model/progress.js';
import { tempDir } from '../helpers/cli.js';

const segfault = (pid: number): KernelEvent => ({
  kind: 'user-fault',
  timestamp: 12.5,
  summary: `svm_demo_tests-[${pid}]: segfault at 0 ip 000055d0c0de0000 sp 00007ffd00000000 error 6`,
  lines: [`[   12.500000] svm_demo_tests-[${pid}]: segfault at 0`],
});

/** A recorder journaling into a fresh run directory, and what a replay of its journal gives now. */
function journaledRecorder() {
  const dir = tempDir();
  const journalFile = join(dir, 'journal.jsonl');
  const recorder = new Recorder({
    journalFile,
    runDir: dir,
    finished: new Map(),
    earlierErrors: [],
    progress: SILENT_PROGRESS,
    onStorageFailure: (error) => expect.fail(String(error)),
  });
  return { recorder, replayed: () => replayJournal(readJournal(journalFile).records) };
}

describe('kernel records first journaled outside any test, then claimed by a test (its process, by pid)', () => {
  it('move to the test in memory and on replay; until the test’s record is journaled they stay outside, never lost', () => {
    const { recorder, replayed } = journaledRecorder();
    const outsideOf = (r: ReturnType<typeof replayed>) => r.outside.map((o) => o.event.summary);

    // A test still running: its process's fault, logged before its start mark.
    recorder.begin('s', 'B', 1, undefined);
    recorder.outsideEvents('after s/A, outside any test', [segfault(169), segfault(170)]);
    recorder.claimOutside('s/B', [recorder.outside[0]!.event]);
    expect(recorder.outside.map((o) => o.event.summary)).toEqual([segfault(170).summary]);
    // Killed here, the journal would still have the record: outside, not lost.
    expect(outsideOf(replayed())).toEqual([segfault(169).summary, segfault(170).summary]);
    recorder.finish('s', 'B', { name: 'B', status: 'crash', message: 'the test process was killed by SIGSEGV during this test' }, 1);
    let after = replayed();
    expect(after.tests.get('s/B')?.kernelEvents.map((e) => e.summary)).toEqual([segfault(169).summary]);
    expect(outsideOf(after)).toEqual([segfault(170).summary]);

    // A test already finished: its events are journaled, then the move.
    recorder.begin('s', 'C', 1, undefined);
    recorder.finish('s', 'C', { name: 'C', status: 'crash' }, 1);
    recorder.outsideEvents('after s/C, outside any test', [segfault(171)]);
    recorder.claimOutside('s/C', [recorder.outside.at(-1)!.event]);
    recorder.close();
    after = replayed();
    expect(after.tests.get('s/C')?.kernelEvents.map((e) => e.summary)).toEqual([segfault(171).summary]);
    expect(outsideOf(after)).toEqual([segfault(170).summary]);
  });

  it('a record the marks gave to one test moves to the test its process died during, in memory and on replay; never lost on the way', () => {
    const { recorder, replayed } = journaledRecorder();
    const eventsOf = (id: string) =>
      replayed()
        .tests.get(id)
        ?.kernelEvents.map((e) => e.summary);
    const fault = segfault(163);
    recorder.begin('s', 'A', 1, undefined);
    recorder.kernelEvents('s/A', [fault]);
    recorder.finish('s', 'A', { name: 'A', status: 'pass' }, 1);
    recorder.begin('s', 'B', 1, undefined);
    recorder.moveEvents('s/A', 's/B', [fault]);
    // B has not finished: the journal still holds the record with A.
    expect(eventsOf('s/A')).toEqual([fault.summary]);
    recorder.finish('s', 'B', { name: 'B', status: 'crash' }, 1);
    expect(eventsOf('s/A')).toEqual([]);
    expect(eventsOf('s/B')).toEqual([fault.summary]);
    recorder.close();
  });
});
