import { execa } from 'execa';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs a command `repeat` times and returns the best wall time (ms) and the peak RSS of a node child. */
export async function timeCommand(file, args, { repeat = 3, node = false, okCodes = [0] } = {}) {
  let best = Infinity;
  let rss = 0;
  for (let i = 0; i < repeat; i++) {
    const rssFile = join(tmpdir(), `svmtest-rss-${process.pid}-${i}`);
    const argList = typeof args === 'function' ? args(i) : args;
    const argv = node ? ['--import', new URL('./rss-hook.js', import.meta.url).pathname, ...argList] : argList;
    const start = performance.now();
    const result = await execa(node ? process.execPath : file, argv, {
      reject: false,
      env: { SVMTEST_BENCH_RSS: rssFile, NO_COLOR: '1' },
      stdout: 'ignore',
      stderr: 'pipe',
    });
    const elapsed = performance.now() - start;
    if (!okCodes.includes(result.exitCode)) throw new Error(`${file} ${argv.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
    best = Math.min(best, elapsed);
    if (node) {
      try {
        rss = Math.max(rss, Number(readFileSync(rssFile, 'utf8')));
        rmSync(rssFile);
      } catch {
        /* the child did not report */
      }
    }
  }
  return { ms: best, rss };
}

export function row(cells) {
  return `| ${cells.join(' | ')} |`;
}

export const fmtMs = (ms) => `${ms.toFixed(0)} ms`;
export const fmtMb = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
