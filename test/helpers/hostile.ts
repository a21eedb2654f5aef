import type { ComparisonFile } from '../../src/model/comparison.js';
import type { RunFile } from '../../src/model/run.js';
import type { Screen } from '../../src/reporters/types.js';
import { makeRun, result } from './runs.js';

/** Strings a hostile or broken test, or input file, can put into names and messages. */
export const HOSTILE = {
  stopCommands: '    ::stop-commands::tok',
  addMask: '::add-mask::x',
  forgedError: '::error file=x::forged',
  legacyCommand: 'x ##[error]legacy forged',
  osc: '\x1b]0;owned\x07',
  clearScreen: '\x1b[2J',
  c1: '\u009b31m',
  cdataEnds: 'a]]>b]]>c',
  xmlIllegal: 'bell\x07 nul\x00 ffff\uffff lone\ud800',
  loneCr: 'left\rright',
  newline: 'first\n::error::second',
  bidi: 'abc\u202edcba',
};

export const HOSTILE_NAMES = Object.values(HOSTILE).map((h, i) => `Hostile${i}.${h}`);

/** A comparison whose every test name and message carries hostile text. */
export function hostileRuns(): { baseline: RunFile; candidate: RunFile } {
  const message = Object.values(HOSTILE).join('\n');
  const baseline = makeRun(
    'legacy',
    HOSTILE_NAMES.map((name) => result('suite', name, 'pass')),
  );
  const candidate = makeRun(
    'gpusvm',
    HOSTILE_NAMES.map((name, i) =>
      result('suite', name, i % 2 === 0 ? 'fail' : 'crash', {
        message: `${Object.values(HOSTILE)[i]}\n${message}`,
        kernelEvents: [{ kind: 'warning', timestamp: 1, summary: `WARNING ${HOSTILE.forgedError}`, lines: [HOSTILE.osc, HOSTILE.cdataEnds] }],
      }),
    ),
  );
  return { baseline, candidate };
}

export interface CapturedScreen extends Screen {
  readonly text: () => string;
  readonly commands: () => string[];
}

/** A screen like a CI log: writes and workflow commands captured, the environment given. */
export function captureScreen(env: Record<string, string> = {}, color = false): CapturedScreen {
  const written: string[] = [];
  const commands: string[] = [];
  return {
    write: (text) => written.push(text),
    command: (line) => commands.push(line),
    color,
    width: 100,
    env,
    text: () => written.join(''),
    commands: () => commands,
  };
}

/** The lines the GitHub Actions runner would take as workflow commands (its own rules). */
export function workflowCommandLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => line.trimStart().startsWith('::') || line.includes('##['));
}

export type { ComparisonFile };
