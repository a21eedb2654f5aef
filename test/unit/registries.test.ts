import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FORMAT_NAMES } from '../../src/parsers/format-names.js';
import { formatNames } from '../../src/parsers/formats.js';
import { loadRequest } from '../../src/pipeline/run-request.js';
import { pickTargetFlags } from '../../src/pipeline/target-options.js';
import { builtinSuiteFiles, builtinSuiteNames } from '../../src/suites/builtin.js';
import { targetFlags, targetNames, targetPlugin } from '../../src/targets/registry.js';
import { targetSections } from '../../src/targets/sections.js';
import { tempDir } from '../helpers/cli.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

describe('registries', () => {
  it('the names the command line offers are the registered ones', () => {
    expect([...FORMAT_NAMES].sort()).toEqual(formatNames().sort());
    // Each built-in suite file is named after the suite it defines.
    expect(builtinSuiteNames()).toEqual(builtinSuiteFiles().map((f) => (parse(readFileSync(f, 'utf8')) as { name: string }).name));
    expect(targetNames()).toEqual(expect.arrayContaining(['host', 'qemu', 'ssh']));
    // A target's config section sits under its own name.
    for (const section of Object.keys(targetSections)) expect(targetNames()).toContain(section);
    expect(() => targetPlugin('nope')).toThrow(new RegExp(`known targets: ${targetNames().join(', ')}`));
  });

  it("each target's flags are declared once, with keys commander gives them", () => {
    const flags = targetFlags();
    expect(new Set(flags.map((f) => f.key)).size).toBe(flags.length);
    for (const flag of flags) {
      const long = /^--(?:no-)?([a-z][a-z-]*)/.exec(flag.flags)![1]!;
      expect(flag.key, flag.flags).toBe(long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    }
  });

  it('only the target flags given reach the request: a negated flag when given, paths absolute', () => {
    expect(pickTargetFlags({ ssh: 'root@dut', sshHostKeyCheck: true, sshOption: [], accel: undefined, other: 'x' })).toEqual({ ssh: 'root@dut' });
    expect(pickTargetFlags({ sshHostKeyCheck: false, sshIdentity: 'key', sshOption: ['ProxyJump=b'] })).toEqual({
      sshHostKeyCheck: false,
      sshIdentity: join(process.cwd(), 'key'),
      sshOption: ['ProxyJump=b'],
    });
  });

  it('a request.json written before targets declared their flags resumes with the same target flags', () => {
    const file = join(tempDir(), 'request.json');
    writeFileSync(
      file,
      JSON.stringify({ schemaVersion: 1, request: { target: 'ssh', ssh: 'ci@dut', sshOptions: ['ProxyJump=b'], sshNoHostKeyCheck: true, accel: 'tcg' } }),
    );
    expect(loadRequest(file)).toEqual({
      target: 'ssh',
      targetFlags: { ssh: 'ci@dut', sshOption: ['ProxyJump=b'], sshHostKeyCheck: false, accel: 'tcg' },
    });
  });
});
