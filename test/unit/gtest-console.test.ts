import { describe, expect, it } from 'vitest';
import { parseGtestConsole } from '../../src/parsers/gtest-console.js';

const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('gtest console parser', () => {
  it('keeps parameterised and typed names whole', () => {
    const r = parseGtestConsole(
      lines(
        '[ RUN      ] KFDSVMRangeTest.MigrateTest/1',
        '[       OK ] KFDSVMRangeTest.MigrateTest/1 (12 ms)',
        '[ RUN      ] Gen/HugeTest.Case/13',
        '[  FAILED  ] Gen/HugeTest.Case/13, where GetParam() = 4 (3 ms)',
        '[ RUN      ] TypedSvm/0.SizeOk',
        '[       OK ] TypedSvm/0.SizeOk (0 ms)',
      ),
    );
    expect(r.tests.map((t) => [t.name, t.status, t.durationMs])).toEqual([
      ['KFDSVMRangeTest.MigrateTest/1', 'pass', 12],
      ['Gen/HugeTest.Case/13', 'fail', 3],
      ['TypedSvm/0.SizeOk', 'pass', 0],
    ]);
  });

  it('treats the old bundled gtest "Skipping test:" log line followed by OK as a skip', () => {
    const r = parseGtestConsole(
      lines(
        '[ RUN      ] KFDMemoryTest.MapUnmapToNodes',
        '[          ] Skipping test: At least two GPUs are required.',
        '[       OK ] KFDMemoryTest.MapUnmapToNodes (30 ms)',
      ),
    );
    expect(r.tests[0]).toMatchObject({ status: 'skip', message: 'Skipping test: At least two GPUs are required.' });
  });

  it('strips CI timestamps and colours, and tolerates CRLF and invalid UTF-8', () => {
    const bad = Buffer.from([0x5b, 0x20, 0xff, 0xfe]).toString('utf8');
    const r = parseGtestConsole(
      '2026-09-16T04:30:59.3133754Z \x1b[0;32m[ RUN      ] \x1b[mA.B\r\n' +
        `2026-09-16T04:30:59.3133754Z output ${bad}\r\n` +
        '2026-09-16T04:30:59.3133754Z \x1b[0;32m[       OK ] \x1b[mA.B (1 ms)\r\n',
    );
    expect(r.tests).toEqual([{ name: 'A.B', status: 'pass', durationMs: 1, output: expect.stringContaining('output') }]);
  });

  it('a RUN with no end line is a crash carrying the output after it', () => {
    const r = parseGtestConsole(lines('[ RUN      ] CrashSuite.Segfault', 'about to fault', 'Segmentation fault'));
    expect(r.tests[0]).toMatchObject({ name: 'CrashSuite.Segfault', status: 'crash', message: 'about to fault\nSegmentation fault' });
  });

  it('marker-like lines printed by a running test create no phantom tests', () => {
    const r = parseGtestConsole(
      lines(
        '[ RUN      ] Printer.Tricky',
        '[ RUN      ] Phantom.One',
        '[       OK ] Phantom.One (0 ms)',
        '[  FAILED  ] Phantom.Two (0 ms)',
        '[ DISABLED ] Phantom.Three',
        '[       OK ] Printer.Tricky (5 ms)',
      ),
    );
    expect(r.tests.map((t) => t.name)).toEqual(['Printer.Tricky']);
    expect(r.tests[0]!.output).toContain('Phantom.One');
  });

  it('a new process banner after an open test means that test crashed; the next process continues', () => {
    const r = parseGtestConsole(
      lines(
        '[ RUN      ] S.Crashes',
        'Running main() from gtest_main.cc',
        '[==========] Running 1 test from 1 test suite.',
        '[ RUN      ] S.After',
        '[       OK ] S.After (0 ms)',
      ),
    );
    expect(r.tests.map((t) => [t.name, t.status])).toEqual([
      ['S.Crashes', 'crash'],
      ['S.After', 'pass'],
    ]);
  });

  it('ignores the summary lists at the end', () => {
    const r = parseGtestConsole(
      lines(
        '[ RUN      ] A.B',
        '[  FAILED  ] A.B (0 ms)',
        '[==========] 1 test from 1 test suite ran. (0 ms total)',
        '[  FAILED  ] 1 test, listed below:',
        '[  FAILED  ] A.B',
      ),
    );
    expect(r.tests).toHaveLength(1);
  });

  it('every kfdtest skip wording, through LOG() or WARN(), is a skip even though gtest prints OK', () => {
    const skips = [
      '[          ] Skipping test: No VRAM found.',
      '[          ] Skipping test on APU.',
      '[          ] Skipping test, requires KFD ioctl version 1.12 or newer',
      '[          ] Test is skipped with xnack off',
      '[----------] Test is skipped due to HW capability issues',
      '[----------] Test is skipped beacuse profile does not match current run mode',
    ];
    const r = parseGtestConsole(
      lines(
        '[          ] Profile: Full Test',
        '[          ] HW capabilities: 0x9',
        ...skips.flatMap((line, i) => [`[ RUN      ] KFDSVMEvictTest.BasicTest/${i}`, line, `[       OK ] KFDSVMEvictTest.BasicTest/${i} (1 ms)`]),
        '[ RUN      ] KFDSVMRangeTest.MigrateTest/1',
        '[          ] Skipping nothing here, just a log line',
        '[       OK ] KFDSVMRangeTest.MigrateTest/1 (5 ms)',
        '[          ] kfdtest finished with return code: 0',
      ),
    );
    expect(r.tests.map((t) => t.status)).toEqual([...skips.map(() => 'skip'), 'pass']);
    expect(r.tests[3]!.message).toBe('Test is skipped with xnack off');
    expect(r.tests[4]!.message).toBe('Test is skipped due to HW capability issues');
  });
});
