import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSuites } from '../../src/engine/plan.js';
import type { Gpu } from '../../src/model/run.js';
import { suiteSchema, type SuiteDefinition } from '../../src/suites/definition.js';
import { HostTarget } from '../../src/targets/host.js';
import { tempDir } from '../helpers/cli.js';
import { gtestProgram, SETUP_TIMEOUT_MS } from '../helpers/programs.js';

// A gtest program behind a wrapper that, when asked for its list, says so and waits (up to 5 s)
// for the other suite's listing to have begun: listed one after the other, the first gives up.
const WRAPPER = `#!/bin/sh
case " $* " in *" --gtest_list_tests "*)
  : > "$MEET/$ME"
  i=0
  while [ ! -e "$MEET/$OTHER" ]; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "$ME: $OTHER was never listed meanwhile" >&2; exit 3; }
    sleep 0.05
  done ;;
esac
exec "$PROGRAM" "$@"
`;

describe('planning a run', () => {
  it(
    'lists every suite at once, and does not wait for the GPUs where no path names their family',
    async () => {
      const dir = tempDir();
      const wrapper = join(dir, 'wrapper.sh');
      writeFileSync(wrapper, WRAPPER);
      chmodSync(wrapper, 0o755);
      const program = await gtestProgram();
      const suite = (me: string, other: string): SuiteDefinition => ({
        ...suiteSchema.parse({ name: me, kind: 'gtest', command: [wrapper], env: { MEET: dir, ME: me, OTHER: other, PROGRAM: program } }),
        file: join(dir, `${me}.yaml`),
      });
      let gpusKnown: (gpus: Gpu[]) => void = () => undefined;
      const gpusAsked = new Promise<Gpu[]>((resolve) => (gpusKnown = resolve));
      // The GPUs become known only once both listings have begun: a plan that waited for them first never gets there.
      const meeting = setInterval(() => {
        if (existsSync(join(dir, 'first')) && existsSync(join(dir, 'second'))) {
          clearInterval(meeting);
          gpusKnown([]);
        }
      }, 20);
      try {
        const plan = await planSuites(new HostTarget(), [suite('first', 'second'), suite('second', 'first')], () => ({ rocm: '/opt/rocm' }), gpusAsked, {
          filters: ['first/Basic.Passes', 'second/Basic.Passes'],
          profile: 'full',
        });
        expect(plan.map((p) => [p.suite.definition.name, p.tests.map((t) => t.name)])).toEqual([
          ['first', ['Basic.Passes']],
          ['second', ['Basic.Passes']],
        ]);
      } finally {
        clearInterval(meeting);
      }
    },
    SETUP_TIMEOUT_MS,
  );
});
