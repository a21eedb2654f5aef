import { EXIT } from '../model/exit-codes.js';

// `svmtest help exit-codes`: the exit-code contract (README, "Exit codes"), as CI scripts read it.
export const EXIT_CODES_HELP = [
  'Exit codes (the same for every command):',
  `  ${EXIT.ok}    nothing unexpected (doctor: the machine can run what the config asks; bisect: the first bad commit was found)`,
  `  ${EXIT.unexpected}    regressions or unexpected results: regression, worse, new-fail, missing with --fail-on regression`,
  '       (the default); unexpected adds unexpected-pass; slower (alone or e.g. regression,slower) a',
  '       performance verdict of --repeat; never turns it off. run: a failure, crash or timeout not',
  '       covered by --expectations',
  `  ${EXIT.usage}    usage, config or input error: one line naming the file, line, flag or variable, and what was expected`,
  '       (bisect: nothing to bisect as asked: an end that disagrees, a test flaky at bad)',
  `  ${EXIT.infra}    infrastructure: build, boot, preflight, a suite that could not run, an incomplete run, a disk`,
  '       that is full or read-only (doctor: a required check failed; bisect: an end that could not be built or booted,',
  '       or only skipped commits left); never reported as a test regression',
  `  ${EXIT.interrupted}  interrupted (Ctrl-C or SIGTERM): run.json is written; resume with svmtest run --resume DIR (bisect --resume DIR)`,
].join('\n');
