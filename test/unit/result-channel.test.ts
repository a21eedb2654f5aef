import { describe, expect, it } from 'vitest';
import { GtestStreamEvents, type StreamedEnd } from '../../src/parsers/gtest-stream-events.js';
import { parseGtestList } from '../../src/parsers/test-lists.js';
import { gtestChannelStream, verdictFromChannel } from '../../src/suites/gtest-streams.js';

// Lines as gtest 1.12 (Debian's libgtest-dev) streams them for test/fixtures/programs/forge_tests.cc.
const STREAM = [
  'gtest_streaming_protocol_version=1.0',
  'event=TestProgramStart',
  'event=TestIterationStart&iteration=0',
  'event=TestCaseStart&name=F',
  'event=TestStart&name=first',
  'event=TestEnd&passed=1&elapsed_time=3ms',
  'event=TestStart&name=failforge',
  'event=TestPartResult&file=forge.cc&line=6&message=Failed%0Areal failure %26 more %3D%25',
  'event=TestEnd&passed=0&elapsed_time=0ms',
  'event=TestCaseStart&name=Dynamic',
  'event=TestStart&name=with space&and=more',
  'event=TestEnd&passed=1&elapsed_time=0ms',
  'event=TestStart&name=crashed',
];

describe('gtest result stream', () => {
  it('reads starts, ends, failed parts (URL-decoded) and names taken literally; a test left open is current', () => {
    const starts: string[] = [];
    const ends: StreamedEnd[] = [];
    const events = new GtestStreamEvents({ onStart: (n) => starts.push(n), onEnd: (e) => ends.push(e) });
    for (const line of STREAM) events.push(line);
    expect(events.connected).toBe(true);
    expect(starts).toEqual(['F.first', 'F.failforge', 'Dynamic.with space&and=more', 'Dynamic.crashed']);
    expect(ends.map((e) => [e.name, e.passed, e.durationMs])).toEqual([
      ['F.first', true, 3],
      ['F.failforge', false, 0],
      ['Dynamic.with space&and=more', true, 0],
    ]);
    expect(ends[1]!.parts).toEqual([{ file: 'forge.cc', line: 6, message: 'Failed\nreal failure & more =%' }]);
    expect(events.current).toBe('Dynamic.crashed');
  });

  it('the console refines only what the channel cannot tell: a GTEST_SKIP at the same file:line, a kfdtest log skip of a pass', () => {
    const skipEnd: StreamedEnd = { name: 'F.s', passed: false, parts: [{ file: 'a.cc', line: 7, message: 'no gpu' }] };
    expect(verdictFromChannel(skipEnd, { name: 'F.s', status: 'skip' }, ['a.cc:7: Skipped', 'no gpu']).status).toBe('skip');
    // A forged SKIPPED line after a real failure: the failure's own line is "Failure", not "Skipped".
    expect(verdictFromChannel(skipEnd, { name: 'F.s', status: 'skip' }, ['a.cc:7: Failure'])).toMatchObject({ status: 'fail', message: 'a.cc:7: no gpu' });
    expect(verdictFromChannel({ name: 'F.p', passed: true, parts: [] }, { name: 'F.p', status: 'skip', message: 'Skipping test: no SVM' }, [])).toMatchObject({
      status: 'skip',
      message: 'Skipping test: no SVM',
    });
    // A console claiming pass never turns a failure into a pass.
    expect(verdictFromChannel({ name: 'F.f', passed: false, parts: [] }, { name: 'F.f', status: 'pass' }, []).status).toBe('fail');
  });
});

describe('--gtest_list_tests', () => {
  it('a name with a space keeps it, and the tests after it are not dropped', () => {
    const list = parseGtestList('Running main() from gtest_main.cc\nA.\n  one\n  with space  # GetParam() = 3\n  two\nB/0.  # TypeParam = int\n  three\n');
    expect(list.tests.map((t) => t.name)).toEqual(['A.one', 'A.with space', 'A.two', 'B/0.three']);
  });
});

describe('the channel stream waits for the console by order, not by time', () => {
  const collect = () => {
    const results: Array<{ name: string; status: string }> = [];
    const listener = { onStart: () => undefined, onOutput: () => undefined, onResult: (t: { name: string; status: string }) => results.push(t) };
    return { results, stream: gtestChannelStream(listener) };
  };

  it('a skip whose console lines arrive after the end event is still a skip, however late', async () => {
    const { results, stream } = collect();
    for (const line of [
      'event=TestCaseStart&name=F',
      'event=TestStart&name=s',
      'event=TestPartResult&file=a.cc&line=7&message=no gpu',
      'event=TestEnd&passed=0&elapsed_time=0ms',
    ])
      stream.channel!(line);
    await new Promise((resolve) => setTimeout(resolve, 250)); // longer than any old grace period
    expect(results).toEqual([]);
    for (const line of ['[ RUN      ] F.s', 'a.cc:7: Skipped', 'no gpu', '[  SKIPPED ] F.s (0 ms)']) stream.push('stdout', line);
    expect(results).toMatchObject([{ name: 'F.s', status: 'skip' }]);
  });

  it('a test whose console lines the parser cannot read is released by the next RUN line', async () => {
    const { results, stream } = collect();
    for (const line of [
      'event=TestCaseStart&name=D',
      'event=TestStart&name=with space',
      'event=TestEnd&passed=1&elapsed_time=0ms',
      'event=TestStart&name=next',
    ])
      stream.channel!(line);
    stream.push('stdout', '[ RUN      ] D.with space');
    stream.push('stdout', '[       OK ] D.with space (0 ms)');
    expect(results).toEqual([]);
    stream.push('stdout', '[ RUN      ] D.next');
    expect(results).toMatchObject([{ name: 'D.with space', status: 'pass' }]);
    expect(stream.current).toBe('D.next');
  });
});

describe('a RUN line a test prints in its own output does not move the console on', () => {
  it('the skip of the test after it is still read from the console', () => {
    const results: Array<{ name: string; status: string }> = [];
    const stream = gtestChannelStream({ onStart: () => undefined, onOutput: () => undefined, onResult: (t) => results.push(t) });
    for (const line of ['[ RUN      ] F.a', '[ RUN      ] F.forged', '[ RUN      ] F.forged2', '[       OK ] F.a (0 ms)']) stream.push('stdout', line);
    for (const line of ['event=TestCaseStart&name=F', 'event=TestStart&name=a', 'event=TestEnd&passed=1&elapsed_time=0ms']) stream.channel!(line);
    for (const line of ['event=TestStart&name=s', 'event=TestPartResult&file=a.cc&line=7&message=no gpu', 'event=TestEnd&passed=0&elapsed_time=0ms'])
      stream.channel!(line);
    expect(results.map((r) => r.status)).toEqual(['pass']);
    for (const line of ['[ RUN      ] F.s', 'a.cc:7: Skipped', '[  SKIPPED ] F.s (0 ms)']) stream.push('stdout', line);
    expect(results).toMatchObject([
      { name: 'F.a', status: 'pass' },
      { name: 'F.s', status: 'skip' },
    ]);
  });
});
