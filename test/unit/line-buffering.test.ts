import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { libstdbuf, lineBufferedEnv } from '../../src/targets/machine/line-buffering.js';

// A C program whose stdout is a pipe: stdio holds its line in a buffer, and the kill loses it
// unless stdout is line-buffered.
const KILLED_BEFORE_FLUSH = '#include <stdio.h>\n#include <signal.h>\nint main(void) { printf("before the kill\\n"); raise(SIGKILL); return 0; }\n';

describe('line-buffered output without stdbuf', () => {
  it("sets what `stdbuf -oL -eL` sets: its library preloaded after the environment's own", () => {
    expect(lineBufferedEnv('/lib/s.so', { A: '1' })).toEqual({ A: '1', LD_PRELOAD: '/lib/s.so', _STDBUF_O: 'L', _STDBUF_E: 'L' });
    expect(lineBufferedEnv('/lib/s.so', {}, '/x.so')).toMatchObject({ LD_PRELOAD: '/x.so:/lib/s.so' });
    // The suite's own LD_PRELOAD replaces the inherited one, as it does without line buffering.
    expect(lineBufferedEnv('/lib/s.so', { LD_PRELOAD: '/y.so' }, '/x.so')).toMatchObject({ LD_PRELOAD: '/y.so:/lib/s.so' });
  });

  it("finds coreutils' library here; with it, a line printed before a kill reaches the pipe", () => {
    const library = libstdbuf();
    expect(library, 'coreutils is installed (apt-get install -y coreutils)').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'svmtest-linebuf-'));
    try {
      const program = join(dir, 'killed');
      execFileSync('cc', ['-x', 'c', '-o', program, '-'], { input: KILLED_BEFORE_FLUSH });
      const run = (env: NodeJS.ProcessEnv) => execFileSync('sh', ['-c', '"$0" | cat', program], { env, encoding: 'utf8' });
      const path = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      expect(run(path)).toBe(''); // the program really does lose it when block-buffered
      expect(run(lineBufferedEnv(library!, path))).toBe('before the kill\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
