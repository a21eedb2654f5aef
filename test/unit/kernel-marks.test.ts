import { describe, expect, it } from 'vitest';
import { KernelWatch } from '../../src/engine/kernel-watch.js';
import type { KernelEvent } from '../../src/model/kernel-event.js';
import type { KernelRecord } from '../../src/parsers/kernel-record.js';
import { KernelLogUnavailable, type Target } from '../../src/targets/target.js';
import { markText, parseMark } from '../../src/targets/kernel-marks.js';

/** A machine whose kernel log is an in-memory list: marks are written into it in order, like /dev/kmsg. */
function fakeTarget(writable: boolean) {
  let onRecord: ((r: KernelRecord) => void) | undefined;
  let clock = 100;
  const log = (text: string) => onRecord?.({ timestamp: clock, text, raw: text });
  const target = {
    kind: 'host',
    description: 'fake',
    kernelTime: () => clock,
    watchKernelLog: async (cb: (r: KernelRecord) => void) => {
      onRecord = cb;
      return { stop: async () => undefined };
    },
    openKernelMarks: async () => {
      if (!writable) throw new KernelLogUnavailable('cannot write /dev/kmsg (EACCES)');
      return { write: (text: string) => log(text), close: async () => undefined };
    },
  } as unknown as Target;
  return { target, log, tick: (s: number) => (clock += s) };
}

/** A test the target marks from its channel (start, end), and the records logged between its marks. */
function markedTest(watch: KernelWatch, log: (text: string) => void, key: string, records: readonly string[]): void {
  watch.begin(key, true);
  log(markText(watch.secret, 'start', key));
  for (const record of records) log(record);
  log(markText(watch.secret, 'end', key));
  watch.finish(key, true);
}

const fault = (pasid: number) => `amdgpu 0000:03:00.0: amdgpu: [gfxhub] page fault (src_id:0 ring:24 vmid:3 pasid:${pasid})`;

describe('kernel records by marks', () => {
  it('a record belongs to the test whose marks enclose it; records outside every test belong to the batch', async () => {
    const { target, log } = fakeTarget(true);
    const byTest = new Map<string, KernelEvent[]>();
    const outside: Array<[string, KernelEvent[]]> = [];
    const watch = new KernelWatch(target, {
      events: (key, events) => byTest.set(key, [...(byTest.get(key) ?? []), ...events]),
      outside: (context, events) => outside.push([context, events]),
      claimed: () => undefined,
      moved: () => undefined,
    });
    expect(await watch.start()).toBeUndefined();
    expect(watch.attribution).toBe('markers');
    log(fault(1)); // before any test
    watch.begin('s/A');
    log(fault(2));
    watch.finish('s/A');
    log(fault(3)); // between A and B
    watch.begin('s/B');
    watch.finish('s/B');
    // A target that marks from its result channel: svmtest writes nothing until the test's end was not reported.
    watch.begin('s/C', true);
    log(markText(watch.secret, 'start', 's/C'));
    log(fault(4));
    log(markText(watch.secret, 'end', 's/C'));
    watch.finish('s/C', true);
    // A mark of another run (or forged) is not svmtest's: the record still lands outside.
    log(markText('0000deadbeef', 'start', 's/B'));
    log(fault(5));
    await watch.stop();
    expect(byTest.get('s/A')?.map((e) => e.summary)).toEqual([fault(2)]);
    expect(byTest.get('s/B')).toBeUndefined();
    expect(byTest.get('s/C')?.map((e) => e.summary)).toEqual([fault(4)]);
    expect(outside.map(([context, events]) => [context, events.map((e) => e.summary)])).toEqual([
      ['before the first test', [fault(1)]],
      ['after s/A, outside any test', [fault(3)]],
      ['after s/C, outside any test', [fault(5)]],
    ]);
  });

  it('where the log cannot be written, records go by the clock and the run says so', async () => {
    const { target, log, tick } = fakeTarget(false);
    const byTest = new Map<string, KernelEvent[]>();
    const watch = new KernelWatch(target, {
      events: (key, events) => byTest.set(key, [...(byTest.get(key) ?? []), ...events]),
      outside: () => undefined,
      claimed: () => undefined,
      moved: () => undefined,
    });
    expect(await watch.start()).toMatch(/by the kernel clock.*cannot write \/dev\/kmsg \(EACCES\)/);
    expect(watch.attribution).toBe('clock');
    tick(1);
    watch.begin('s/A');
    tick(1);
    log(fault(7));
    tick(1);
    watch.finish('s/A');
    await watch.stop();
    expect(byTest.get('s/A')?.map((e) => e.summary)).toEqual([fault(7)]);
  });

  it('a fault of a test process logged before its start mark is that test’s once its process is known (by pid), not the batch’s', async () => {
    const { target, log } = fakeTarget(true);
    const byTest = new Map<string, string[]>();
    const outside: string[] = [];
    const claimed: Array<[string, string[]]> = [];
    const watch = new KernelWatch(target, {
      events: (key, events) => byTest.set(key, [...(byTest.get(key) ?? []), ...events.map((e) => e.summary)]),
      outside: (_context, events) => outside.push(...events.map((e) => e.summary)),
      claimed: (key, events) => claimed.push([key, events.map((e) => e.summary)]),
      moved: () => expect.fail('nothing given to a test here'),
    });
    await watch.start();
    const segfault = (pid: number) => `svm_demo_tests-[${pid}]: segfault at 0 ip 000055d0c0de0000 sp 00007ffd00000000 error 6`;
    const gpuFault = (pid: number) => [fault(9), `amdgpu 0000:03:00.0: amdgpu:  for process hip_test pid ${pid} thread hip_test pid ${pid + 1})`];
    watch.begin('s/A');
    watch.finish('s/A');
    // The test's process faults before the target wrote its start mark; another process's fault beside it.
    log(segfault(169));
    log(segfault(170));
    for (const line of gpuFault(171)) log(line);
    watch.begin('s/B');
    watch.finish('s/B');
    expect(outside).toEqual([segfault(169), segfault(170), fault(9)]);
    watch.claim(169, 's/B');
    watch.claim(171, 's/C');
    expect(claimed).toEqual([
      ['s/B', [segfault(169)]],
      ['s/C', [fault(9)]],
    ]);
    // A record of a claimed process read later, outside every test, goes to its test directly.
    log(segfault(169));
    await watch.stop();
    expect(byTest.get('s/B')).toEqual([segfault(169)]);
    expect(outside).toEqual([segfault(169), segfault(170), fault(9)]);
  });

  it('a fatal fault the lagging marks gave to the test before goes to the test its process died during', async () => {
    const { target, log } = fakeTarget(true);
    const got: string[] = [];
    const watch = new KernelWatch(target, {
      events: (key, events) => got.push(...events.map((e) => `${key}: ${e.summary}`)),
      outside: (context, events) => got.push(...events.map((e) => `${context}: ${e.summary}`)),
      claimed: () => expect.fail('nothing outside here'),
      moved: (from, to, events) => got.push(...events.map((e) => `${from} → ${to}: ${e.summary}`)),
    });
    await watch.start();
    const segfault = (pid: number) => `svm_demo_tests-[${pid}]: segfault at 0 ip 000055d0c0de0000 sp 00007ffd00000000 error 6`;
    // Process 163 ran A, then B crashed it at once: its record is logged before A's end mark is.
    // (A GPU fault in A's marks is not a death: it stays A's. Process 170's fault stays B's.)
    markedTest(watch, log, 's/A', [segfault(163), fault(5)]);
    markedTest(watch, log, 's/B', [segfault(170)]);
    watch.claim(163, 's/B');
    // A record of the dead process read later, in another test's marks, goes to B as well.
    markedTest(watch, log, 's/C', [segfault(163)]);
    await watch.stop();
    // (B's own fault stays open across its end mark, for its Code: line: it is given when the next mark closes it.)
    expect(got).toEqual([`s/A: ${segfault(163)}`, `s/A: ${fault(5)}`, `s/A → s/B: ${segfault(163)}`, `s/B: ${segfault(170)}`, `s/B: ${segfault(163)}`]);
  });

  it('a user fault’s Code: line after a mark stays with its fault, which stays where it began: no orphan register dump', async () => {
    const { target, log } = fakeTarget(true);
    const got: Array<[string, string, number]> = [];
    const watch = new KernelWatch(target, {
      events: (key, events) => got.push(...events.map((e): [string, string, number] => [key, e.kind, e.lines.length])),
      outside: (context, events) => got.push(...events.map((e): [string, string, number] => [context, e.kind, e.lines.length])),
      claimed: () => undefined,
      moved: () => undefined,
    });
    await watch.start();
    markedTest(watch, log, 's/A', [
      'svm_demo_tests-[163]: segfault at 0 ip 00005648bbf0b1a8 sp 00007ffe98becb30 error 6 in svm_demo_tests[5648bbf06000+3d000]',
    ]);
    log('Code: 8d 05 93 82 03 00 b9 3e 00 00 00 48 8d 15 f8 7f 03 00 <c7> 04 25 00');
    markedTest(watch, log, 's/B', [fault(6)]);
    await watch.stop();
    expect(got).toEqual([
      ['s/A', 'user-fault', 2],
      ['s/B', 'gpu-page-fault', 1],
    ]);
  });

  it('a watch started before the run’s recorder exists keeps what it finds for it, in order; stopping twice is stopping once', async () => {
    const { target, log } = fakeTarget(true);
    const watch = new KernelWatch(target);
    expect(await watch.start()).toBeUndefined();
    log(fault(1)); // while the run is still being planned
    watch.begin('s/A');
    log(fault(2));
    watch.finish('s/A');
    const got: string[] = [];
    watch.connect({
      events: (key, events) => got.push(...events.map((e) => `${key}: ${e.summary}`)),
      outside: (context, events) => got.push(...events.map((e) => `${context}: ${e.summary}`)),
      claimed: () => undefined,
      moved: () => undefined,
    });
    expect(got).toEqual([`before the first test: ${fault(1)}`, `s/A: ${fault(2)}`]);
    await watch.stop();
    await watch.stop();
  });

  it('marks: one line whatever the name holds; only this run secret is read back', () => {
    expect(markText('abc', 'start', 's/a\nb\u001b[2J')).toBe('svmtest-mark abc start s/a?b?[2J');
    expect(parseMark('svmtest-mark abc end s/a b', 'abc')).toEqual({ kind: 'end', id: 's/a b' });
    expect(parseMark('svmtest-mark abc ready', 'abc')).toEqual({ kind: 'ready', id: '' });
    expect(parseMark('svmtest-mark xyz end s/a', 'abc')).toBeUndefined();
    expect(parseMark('kfdtest: svmtest-mark abc end s/a', 'abc')).toBeUndefined();
  });
});
