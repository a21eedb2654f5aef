import { Command, Option } from 'commander';
import { toolVersion } from '../model/version.js';
import { action, exitCodeForError } from './run-command.js';

// Commands load their modules on first use, so `svmtest --version` and `--help` stay fast.
const collect = (value: string, previous: string[] = []) => [...previous, value];

const program = new Command('svmtest')
  .description('A/B test runner for amdgpu SVM: the drm_gpusvm path (candidate) against legacy amdkfd SVM (baseline), test by test.')
  .version(toolVersion(), '-V, --version', 'print the version and exit')
  .option('--debug', 'show stack traces and internal detail on errors')
  .helpOption('-h, --help', 'show help for svmtest or a command')
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`svmtest: ${text.replace(/^error: /, '')}`) });

program
  .command('parse')
  .description('import gtest / ctest / Catch2 / JUnit output files into a run.json')
  .argument('<files...>', 'output files to import (formats are detected from content)')
  .requiredOption('-s, --suite <name>', 'suite the tests belong to; once for all files, or once per file in order', collect)
  .option('--variant <name>', 'variant to record in the run (e.g. legacy, gpusvm)', 'imported')
  .addOption(new Option('--format <format>', 'force an input format instead of detecting it').choices([
    'gtest-console', 'gtest-xml', 'gtest-json', 'ctest-junit', 'ctest-console', 'catch2-junit', 'catch2-xml', 'catch2-console', 'junit',
  ]))
  .option('--skip-regex <regex>', 'output matching this marks a test as skipped (default for hip-tests: HIP_SKIP_THIS_TEST)')
  .option('-o, --out <path>', 'run directory or .json file to write (default: reports/<time>-parse/run.json)')
  .action(action(async (files: string[], opts) => (await import('./parse.js')).parseCommand(files, opts)));

program
  .command('compare')
  .description('compare a baseline run with a candidate run: one verdict per test')
  .argument('<baseline>', 'baseline run directory or run.json (e.g. legacy)')
  .argument('<candidate>', 'candidate run directory or run.json (e.g. gpusvm)')
  .option('-e, --expectations <dir>', 'directory of <variant>[-<gfx>]-{fails,flakes,skips}.txt expectation files')
  .option('-r, --reporter <list>', 'comma-separated reporters: terminal, junit, markdown, json, github (comparison.json is always saved)', 'terminal')
  .option('-o, --out <dir>', 'directory for comparison.json and report files (default: reports/<time>-compare)')
  .addOption(new Option('--fail-on <what>', 'which verdicts make the exit code 1').choices(['regression', 'unexpected', 'never']).default('regression'))
  .action(action(async (baseline: string, candidate: string, opts) => (await import('./compare.js')).compareCommand(baseline, candidate, opts)));

program
  .command('report')
  .description('re-render a saved run.json or comparison.json with any reporter')
  .argument('<result>', 'a run or comparison directory, run.json or comparison.json')
  .option('-r, --reporter <list>', 'comma-separated reporters: terminal, junit, markdown, json, github', 'terminal')
  .option('-o, --out <dir>', 'write report files (junit.xml, summary.md) here instead of printing them')
  .action(action(async (path: string, opts) => (await import('./report.js')).reportCommand(path, opts)));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeForError(error);
}
