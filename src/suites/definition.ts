import { z } from 'zod';
import { SUITE_KINDS } from './kinds.js';
import { builtinSuiteFiles } from './builtin.js';
import { loadYamlFile } from '../model/yaml-file.js';
import { InputError } from '../model/errors.js';
import { globMatch } from '../model/selection.js';

const stringList = z.array(z.string().min(1));

const timeoutRule = z.object({ pattern: z.string().min(1), timeout: z.number().positive() }).strict();

/** A regular expression the suite file gives: checked when the file is read, not when a test prints. */
const regexText = z
  .string()
  .min(1)
  .refine(
    (text) => {
      try {
        new RegExp(text);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'expected a regular expression (JavaScript syntax)' },
  );

/** A number the suite's tests print about themselves (parsers/metrics.ts says how it is read). */
const metricRule = z
  .object({
    name: z.string().min(1).max(120),
    pattern: regexText,
    unit: z.string().min(1).max(32),
    better: z.enum(['higher', 'lower']),
    section: regexText.optional(),
  })
  .strict();

/** Tests timed over several runs (`--repeat` for these only): test-name globs and how many runs. */
const repeatRule = z.object({ pattern: z.string().min(1), times: z.number().int().min(2).max(1000) }).strict();

export const suiteSchema = z
  .object({
    name: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9][\w.+-]*$/, 'expected letters, digits, . _ + - (no /)'),
    kind: z.enum(SUITE_KINDS),
    description: z.string().optional(),
    /** The command line of a gtest binary (the smallest suite file gives this). */
    command: stringList.min(1).optional(),
    /** Where a gtest binary may be: the first that exists on the target wins. Placeholders: {rocm} {build} {gfx}. */
    binary: stringList.min(1).optional(),
    /** Extra arguments after the binary (gtest). */
    args: stringList.default([]),
    /** ctest build directory, or candidates for it. */
    dir: z.union([z.string().min(1), stringList.min(1)]).optional(),
    /** Working directory; {binaryDir} is the directory of the binary found. */
    cwd: z.string().optional(),
    env: z.record(z.string()).default({}),
    /** Per-GPU worker settings; {node} is the KFD node id, {index} the GPU's index among GPUs. */
    gpu: z
      .object({ env: z.record(z.string()).default({}), args: stringList.default([]) })
      .strict()
      .default({}),
    /** Seconds per test. */
    timeout: z.number().positive().default(300),
    timeouts: z.array(timeoutRule).default([]),
    /** Numbers its tests print (bandwidths, latencies), recorded per test and compared with --repeat. */
    metrics: z.array(metricRule).default([]),
    /** Timing-sensitive tests to run several times per variant, interleaved, even without --repeat. */
    repeat: z.array(repeatRule).default([]),
    /** Run each test in its own process (slower; for suites whose tests poison each other). */
    isolate: z.boolean().default(false),
    /** Output matching this makes a passing test a skip (hip-tests: HIP_SKIP_THIS_TEST). */
    skipRegex: z.string().optional(),
    skips: z
      .object({
        /** kfdtest's own exclude list: a bash fragment with FILTER[<gfx>] gtest filters. */
        kfdtestExclude: stringList.optional(),
        /** hip-tests' HIP_CATCH_EXCLUDE_FILE JSON ({"DisabledTests": [...]}). */
        hipCatchExclude: stringList.optional(),
        /** Globs (matched against the test name) never to run. */
        patterns: stringList.default([]),
        /** Globs of tests that need a GPU agent: skips, with that reason, when the KFD topology has no GPU. */
        needsGpu: stringList.default([]),
      })
      .strict()
      .default({}),
    /** Named selections of test-name globs, e.g. `svm`; `full` (everything) needs no entry. */
    profiles: z
      .record(
        z.union([
          stringList,
          /** `otherwise`: the selection for trees that have none of `tests` (e.g. rocrtst before its SvmMemory tests). */
          z.object({ tests: stringList, otherwise: stringList }).strict(),
        ]),
      )
      .default({}),
  })
  .strict()
  .superRefine((suite, ctx) => {
    if (suite.kind === 'gtest' && !suite.command && !suite.binary) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'a gtest suite needs command: [binary, args…] or binary: [candidates…]' });
    }
    if (suite.kind === 'ctest' && !suite.dir) ctx.addIssue({ code: 'custom', path: ['dir'], message: 'a ctest suite needs dir: <build directory>' });
  });

export type SuiteDefinition = z.infer<typeof suiteSchema> & { readonly file: string };

export function loadSuiteFile(file: string): SuiteDefinition {
  const { value } = loadYamlFile(file, suiteSchema);
  return { ...value, file };
}

/** Built-in suites by name, plus any --suite-file; an unknown name is answered with the known ones. */
export function resolveSuites(names: readonly string[], suiteFiles: readonly string[]): SuiteDefinition[] {
  const extra = suiteFiles.map(loadSuiteFile);
  if (names.length === 0) return extra;
  const builtins = builtinSuiteFiles().map(loadSuiteFile);
  const known = [...builtins, ...extra];
  return names.map((name) => {
    const suite = known.find((s) => s.name === name);
    if (!suite) throw new InputError(`--suite "${name}": unknown suite; known suites: ${known.map((s) => s.name).join(', ')} (or give --suite-file FILE)`);
    return suite;
  });
}

export function timeoutFor(suite: SuiteDefinition, testName: string, override?: number): number {
  if (override !== undefined) return override;
  const rule = suite.timeouts.find((r) => globMatch(r.pattern, testName));
  return rule ? rule.timeout : suite.timeout;
}
