import { Command, InvalidArgumentError, Option } from 'commander';
import type { InputError } from '../model/errors.js';
import { parseShard } from '../model/selection.js';
import { trace } from '../model/trace.js';
import { toolVersion } from '../model/version.js';
import { checkEnvironment } from '../model/env-vars.js';
import { failOnFlag, FLAG_RANGES, numberFlag, percentFlag } from './number-flag.js';
import { DEFAULT_FAIL_ON } from '../compare/exit-policy.js';
import { action, exitCodeForError } from './action.js';
import { EXIT_CODES_HELP } from './exit-codes-help.js';
import { targetFlags, targetNames } from '../pipeline/target-options.js';
import { builtinSuiteNames, FORMAT_NAMES } from '../pipeline/names.js';
import { reporterNames } from '../reporters/registry.js';

// Commands load their modules on first use, so `svmtest --version` and `--help` stay fast.
const collect = (value: string, previous: string[] = []) => [...previous, value];
const FAIL_ON_HELP = 'what makes the exit code 1, comma-separated: regression, unexpected, slower (a performance verdict), or never';
const REPEAT_HELP = 'run each passing test n times in all (rounds 2…n time them again, the variants interleaved) for performance verdicts';
const PERF_THRESHOLD_HELP = 'performance verdicts: the smallest change of the ratio of medians that counts (default 5%)';
const PERF_MIN_MS_HELP = "performance verdicts: the smallest change of a duration's median that counts, in ms (default 10)";
const PERF_ALPHA_HELP = 'performance verdicts: the significance level of the corrected p (default 0.05)';
const PERF_CORRECTION_HELP = 'performance verdicts: the multiple-comparison correction across tests (default holm)';
const ORDER_HELP =
  "history: the tests most likely to fail first (failing recently, flaky, new, then by last change and speed; the store of --history); name: the suites' order (default)";
const failFastFlag = numberFlag({ integer: true, min: 1, max: 100_000 });
const repeatFlag = numberFlag({ integer: true, min: 2, max: 1000 });
const perfAlphaFlag = numberFlag({ min: 0, minExclusive: true, max: 0.5 });

const shardFlag = (value: string) => {
  try {
    return parseShard(value);
  } catch (error) {
    throw new InvalidArgumentError((error as InputError).message.replace(/^--shard "[^"]*": /, ''));
  }
};

const REPORTERS = reporterNames().join(', ');

const program = new Command('svmtest')
  .description('A/B test runner for amdgpu SVM: the drm_gpusvm path (candidate) against legacy amdkfd SVM (baseline), test by test.')
  .version(toolVersion(), '-V, --version', 'print the version and exit')
  .option('--debug', 'show stack traces and internal detail on errors')
  .helpOption('-h, --help', 'show help for svmtest or a command')
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`svmtest: ${text.replace(/^error: /, '')}`) })
  // Environment variables are checked like flags, before any command starts.
  .hook('preAction', () => checkEnvironment());

program
  .command('parse')
  .description('import gtest / ctest / Catch2 / JUnit output files into a run.json')
  .argument('<files...>', 'output files to import (formats are detected from content)')
  .requiredOption('-s, --suite <name>', 'suite the tests belong to; once for all files, or once per file in order', collect)
  .option('--variant <name>', 'variant to record in the run (e.g. legacy, gpusvm)', 'imported')
  .addOption(new Option('--format <format>', 'force an input format instead of detecting it').choices([...FORMAT_NAMES]))
  .option('--skip-regex <regex>', 'output matching this marks a test as skipped (default for hip-tests: HIP_SKIP_THIS_TEST)')
  .option('-o, --out <path>', 'run directory or .json file to write (default: reports/<time>-parse/run.json)')
  .option('--kernel-release <release>', 'the kernel the tests ran on (uname -r)')
  .option('--gfx <families>', 'the GPU families they ran on, comma-separated (e.g. gfx942)')
  .option('--commit <sha>', "the kernel's source commit")
  .option('--night <date>', 'the nightly the run belongs to (YYYY-MM-DD); the start time comes from the files when they have one')
  .action(action(async (files: string[], opts) => (await import('./parse.js')).parseCommand(files, opts)));

program
  .command('compare')
  .description('compare a baseline run with a candidate run: one verdict per test')
  .argument('<baseline>', 'baseline run directory or run.json (e.g. legacy)')
  .argument('<candidate>', 'candidate run directory or run.json (e.g. gpusvm)')
  .option('-e, --expectations <dir>', 'directory of <variant>[-<gfx>]-{fails,flakes,skips}.txt expectation files')
  .option('-r, --reporter <list>', `comma-separated reporters: ${REPORTERS} (comparison.json is always saved)`, 'terminal')
  .option('-o, --out <dir>', 'directory for comparison.json and report files (default: reports/<time>-compare)')
  .option('--fail-on <list>', FAIL_ON_HELP, failOnFlag, DEFAULT_FAIL_ON)
  .option('--perf-threshold <pct>', PERF_THRESHOLD_HELP, percentFlag)
  .option('--perf-min-ms <ms>', PERF_MIN_MS_HELP, FLAG_RANGES.perfMinMs)
  .option('--perf-alpha <p>', PERF_ALPHA_HELP, perfAlphaFlag)
  .addOption(new Option('--perf-correction <method>', PERF_CORRECTION_HELP).choices(['holm', 'bh']))
  .option('--allow-same-variant', 'compare two runs of the same variant on the same kernel anyway (every report then says so first)')
  .action(action(async (baseline: string, candidate: string, opts) => (await import('./compare.js')).compareCommand(baseline, candidate, opts)));

program
  .command('report')
  .description('re-render a saved run.json or comparison.json with any reporter')
  .argument('<result>', 'a run or comparison directory, run.json or comparison.json')
  .option('-r, --reporter <list>', `comma-separated reporters: ${REPORTERS}`, 'terminal')
  .option('-o, --out <dir>', 'write report files (junit.xml, summary.md) here instead of printing them')
  .action(action(async (path: string, opts) => (await import('./report.js')).reportCommand(path, opts)));

/** Each target's own flags, as its plug-in declares them (--accel, --ssh, …). */
function targetPluginOptions(command: Command): Command {
  for (const flag of targetFlags()) {
    const option = new Option(flag.flags, flag.description);
    if (flag.choices) option.choices([...flag.choices]);
    if (flag.repeatable) option.argParser(collect).default([]);
    command.addOption(option);
  }
  return command;
}

/** How a booted machine (a QEMU guest, a DUT) is watched and recovered, and each target's own flags. */
function machineOptions(command: Command): Command {
  return targetPluginOptions(
    command
      .option('--guest-watchdog <seconds>', 'qemu, ssh: declare the guest or DUT dead after this long without a heartbeat', FLAG_RANGES.watchdog)
      .option('--max-reboots <n>', 'qemu, ssh: reboots (power cycles) after crashes before the run is given up as incomplete', FLAG_RANGES.reboots),
  );
}

const TARGETS = targetNames().join(', ');

function targetOptions(command: Command): Command {
  return machineOptions(
    command
      .option('-c, --config <file>', 'configuration file (default: ./svmtest.yaml, else the built-in config/default.yaml)')
      .option('--variant <name>', 'variant under test (legacy, gpusvm, …); its preflight expectations are checked')
      .option('--target <kind>', `where the kernel under test runs: ${TARGETS} (default: run.target in the config, host)`)
      .option(
        '--kernel <file>',
        "a target that boots a kernel: the image (default: the target's kernel key, e.g. qemu.kernel, else the variant's latest svmtest build)",
      )
      .option('--modules <dir>', 'a target that boots a kernel: the directory holding lib/modules/<release> for it'),
  )
    .option('-s, --suite <name>', `built-in suite to run (${builtinSuiteNames().join(', ')}); repeatable`, collect, [])
    .option('--suite-file <file>', 'a suite defined in any YAML file (its keys: README.md, "Suites"); repeatable', collect, [])
    .option('--profile <name>', 'test selection: svm (the SVM-relevant tests) or full')
    .option('-f, --filter <glob>', 'only tests whose suite/name matches; a leading - excludes; repeatable', collect, [])
    .option('--shard <i/n>', 'run only shard i of n (a stable partition of the selected tests)', shardFlag)
    .option('--durations <run>', 'balance shards by the test durations of an earlier run.json')
    .option('--rocm <dir>', 'installed ROCm prefix (default: $ROCM_PATH, else /opt/rocm)')
    .option('--sysfs-root <dir>', 'read the KFD topology and other /sys files from a copied tree');
}

targetOptions(program.command('run').description('run suites on the machine under test and write run.json (journaled; resumable)'))
  .option('-o, --out <dir>', 'run directory (default: reports/<time>-<variant>)')
  .option('--resume <dir>', 'continue an interrupted or crashed run with its own options, never re-running finished tests')
  .option('--retries <n>', 're-run a failing, crashing or timing-out test up to n times (pass after fail = flaky)', FLAG_RANGES.retries)
  .option('--timeout <seconds>', "per-test timeout, overriding the suites' own", FLAG_RANGES.testTimeout)
  .option('--run-timeout <seconds>', 'stop the whole run after this long (remaining tests: notrun; exit 3)', FLAG_RANGES.runTimeout)
  .option('-j, --jobs <n>', 'run on up to n GPUs at once, one worker per GPU', FLAG_RANGES.jobs)
  .option('--isolate', 'one process per test instead of batches')
  .option('--allow-empty', 'run even when a requested suite selects no test (every report says so); otherwise exit 2')
  .addOption(
    new Option('--kernel-events <policy>', 'a passing test during which the kernel oopsed, faulted or reset the GPU').choices(['fail', 'warn', 'ignore']),
  )
  .option('-e, --expectations <dir>', 'expectation files; failures they list do not make the exit code 1')
  .option('-r, --reporter <list>', `reporters for the run: ${REPORTERS}`, 'terminal')
  .option('--repeat <n>', REPEAT_HELP, repeatFlag)
  .addOption(new Option('--order <how>', ORDER_HELP).choices(['history', 'name']))
  .option('--history <path|url>', 'with --order history: the history store (default: $SVMTEST_HISTORY_DB, else the config, else reports/history.db)')
  .option('--fail-fast <n>', 'stop after n regressions against --baseline-run (the rest: notrun) for a quick signal', failFastFlag)
  .option('--baseline-run <dir>', "with --fail-fast: the baseline's run that tells a regression from an old failure")
  // Used by a lab job that runs svmtest (the LAVA target): not for people.
  .addOption(new Option('--echo-records <file>', 'echo every record to standard output under the nonce in this file').hideHelp())
  .action(action(async (opts) => (await import('./run.js')).runCommand(opts)));

targetOptions(program.command('list').description('list the tests that would run, after profile, filters, skips and shard'))
  .option('--json', 'machine-readable output')
  .action(action(async (opts) => (await import('./list.js')).listCommand(opts)));

program
  .command('build')
  .description("build each variant's kernel (worktree at the pinned base, series, verified config) and ROCm userspace, cached")
  .option('-c, --config <file>', 'configuration file with kernel: and variants')
  .option('--variant <name>', 'build only this variant (default: baseline and candidate)')
  .option('--json', 'print the artifacts as JSON')
  .action(action(async (opts) => (await import('./build.js')).buildCommand(opts)));

machineOptions(
  program
    .command('ci')
    .description('the whole A/B verdict: run the baseline and candidate variants, compare, write every report')
    .option('-c, --config <file>', 'configuration file (default: ./svmtest.yaml, else the built-in config/default.yaml)')
    .option('-o, --out <dir>', 'run directory (default: reports/<time>-<id>)')
    .option('-s, --suite <name>', 'built-in suite to run instead of the configured ones; repeatable', collect, [])
    .option('--suite-file <file>', 'a suite defined in any YAML file; repeatable', collect, [])
    .option('--profile <name>', 'test selection: svm or full')
    .option('-f, --filter <glob>', 'only tests whose suite/name matches; a leading - excludes; repeatable', collect, [])
    .option('--shard <i/n>', 'run only shard i of n on this machine (merge the shards with svmtest merge)', shardFlag)
    .option('--durations <run>', 'balance shards by the test durations of an earlier run.json')
    .option('--retries <n>', 're-run failing tests up to n times', FLAG_RANGES.retries)
    .option('-j, --jobs <n>', 'run on up to n GPUs at once', FLAG_RANGES.jobs)
    .option('--allow-empty', 'run even when a requested suite selects no test (every report says so); otherwise exit 2')
    .option('--target <kind>', `where the variants run: ${TARGETS} (default: run.target in the config)`)
    .option('--kernel <file>', "a target that boots a kernel: the image (default: each variant's latest svmtest build)")
    .option('--modules <dir>', 'a target that boots a kernel: the directory holding lib/modules/<release>')
    .option('--fail-on <list>', FAIL_ON_HELP, failOnFlag, DEFAULT_FAIL_ON)
    .option('--repeat <n>', REPEAT_HELP, repeatFlag)
    .addOption(new Option('--order <how>', ORDER_HELP).choices(['history', 'name']))
    .option('--fail-fast <n>', "stop the candidate after n regressions against this ci's baseline run (the rest: notrun)", failFastFlag)
    .option('--perf-threshold <pct>', PERF_THRESHOLD_HELP, percentFlag)
    .option('--perf-min-ms <ms>', PERF_MIN_MS_HELP, FLAG_RANGES.perfMinMs)
    .option('--perf-alpha <p>', PERF_ALPHA_HELP, perfAlphaFlag)
    .addOption(new Option('--perf-correction <method>', PERF_CORRECTION_HELP).choices(['holm', 'bh']))
    .option('-r, --reporter <list>', `reporters: ${REPORTERS}`, 'terminal,junit,markdown,github')
    .option('--history <path|url>', 'import both runs and the comparison into this history store at the end (SQLite file or postgres:// URL)'),
).action(action(async (opts) => (await import('./ci.js')).ciCommand(opts)));

const runsFlag = numberFlag({ integer: true, min: 1, max: 100 });
machineOptions(
  program
    .command('bisect')
    .description("find the patch of the variant's series that broke a test: git bisect over its commits, each built, booted and tested N times (resumable)")
    .option('-c, --config <file>', 'configuration file with kernel: (repo, base, series) and variants')
    .option('--variant <name>', 'the variant whose series is bisected (default: the candidate)')
    .option('-t, --test <suite/test>', 'the test that regressed; repeatable (any of them failing makes a commit bad)', collect, [])
    .option('--good <ref>', "a commit where the test passes (default: the series' base)")
    .option('--bad <ref>', "a commit where it fails (default: the series' last patch)")
    .option('--from-history <suite/test>', 'take good and bad from the history store: the kernels of the last night it passed and the first night it failed')
    .option('--db <path|url>', 'with --from-history: the history store (default: $SVMTEST_HISTORY_DB, else the config, else reports/history.db)')
    .option('--gfx <families>', 'with --from-history: the GPU family set whose nights count (e.g. gfx942)')
    .option('--runs <n>', 'runs of the tests per step (default 3): any failure makes the commit bad, n passes good', runsFlag)
    .option('--accept-flaky', 'bisect a test that fails only some runs at bad anyway (the result says how far a "good" can be trusted)')
    .option('--target <kind>', 'where each step boots: qemu or ssh (default: run.target in the config)')
    .option('-s, --suite <name>', "the suite to run (default: the tests' own suites); repeatable", collect, [])
    .option('--suite-file <file>', 'a suite defined in any YAML file; repeatable', collect, [])
    .option('--timeout <seconds>', "per-test timeout, overriding the suites' own", FLAG_RANGES.testTimeout)
    .option('-o, --out <dir>', 'bisect directory (default: reports/<time>-bisect)')
    .option('--resume <dir>', 'continue a bisect that was interrupted or killed, never rebuilding or re-running a finished step')
    .option('--json', 'print bisect.json instead of the terminal report'),
).action(action(async (opts) => (await import('./bisect.js')).bisectCommand(opts)));

program
  .command('demo')
  .description('the whole pipeline on this machine without an AMD GPU (QEMU, real KFD, a demo suite) — a demonstration, not a GPU result')
  .option('--install-deps', 'install what is missing (apt-get, Debian kernel download) instead of printing the commands')
  .option('-o, --out <dir>', 'run directory (default: reports/<time>-<id>)')
  .addOption(new Option('--accel <kind>', 'qemu accelerator').choices(['auto', 'kvm', 'tcg']))
  .option('--real-suites', 'build kfdtest, rocrtst and hip-tests from source and run them (a real /dev/kfd, no GPU): the pipeline on the real binaries')
  .option(
    '--rocm-src <dir>',
    'with --real-suites: the ROCm sources (snapshot tarballs, extracted trees or a rocm-systems checkout; default: $SVMTEST_ROCM_SRC, else ../shared/rocm-src)',
  )
  .option('-f, --filter <glob>', 'only tests whose suite/name matches; a leading - excludes; repeatable (both variants run the same tests)', collect, [])
  .action(action(async (opts) => (await import('./demo.js')).demoCommand(opts)));

const positive = numberFlag({ integer: true, min: 1, max: 3650 });
const history = program
  .command('history')
  .description('the nightly history: import runs and comparisons, then ask what regressed since when, what is flaky, and trends');
const historyOptions = (command: Command) =>
  command
    .option('--db <path|url>', 'SQLite file or postgres:// URL (default: $SVMTEST_HISTORY_DB, else history.db in the config, else reports/history.db)')
    .option('-c, --config <file>', 'configuration file')
    .option('--json', 'machine-readable output');
historyOptions(
  history
    .command('import')
    .description('import run.json / comparison.json files or ci output directories (idempotent)')
    .argument('<paths...>', 'run or comparison files, run directories, ci output directories'),
)
  .option('--night <date>', "the nightly these belong to (YYYY-MM-DD; default: each run's start day)")
  .action(action(async (paths: string[], opts) => (await import('./history.js')).historyImportCommand(paths, opts)));
historyOptions(history.command('regressions').description('current regressions per GPU family: first bad and last good night, what changed between them'))
  .option('--gfx <families>', 'only this GPU family set (e.g. gfx942)')
  .option('--window <nights>', 'nights of history that tell a flake from a regression', positive, 14)
  .action(action(async (opts) => (await import('./history.js')).historyRegressionsCommand(opts)));
historyOptions(history.command('flaky').description('tests that flip between nights or pass only on retries, by flip rate'))
  .option('--nights <n>', 'nights to look back', positive, 14)
  .option('--gfx <families>', 'only this GPU family set')
  .option('--variant <name>', 'only this variant')
  .action(action(async (opts) => (await import('./history.js')).historyFlakyCommand(opts)));
historyOptions(
  history
    .command('show')
    .description("one test's per-night status strip per variant and GPU family")
    .argument('<suite/test>', 'e.g. kfdtest/KFDSVMRangeTest.MigrateTest/1'),
).action(action(async (test: string, opts) => (await import('./history.js')).historyShowCommand(test, opts)));
historyOptions(
  history.command('perf').description('performance verdicts night by night (ci --repeat): what is slower since when, the ratio of medians and its interval'),
)
  .option('--nights <n>', 'nights to show', positive, 30)
  .option('--all', 'every measure, not only those slower on the latest night')
  .action(action(async (opts) => (await import('./history.js')).historyPerfCommand(opts)));
historyOptions(history.command('trend').description('pass counts, regressions, kernel events and durations per night'))
  .option('--nights <n>', 'nights to show', positive, 30)
  .action(action(async (opts) => (await import('./history.js')).historyTrendCommand(opts)));

program
  .command('dashboard')
  .description('a static, self-contained site of the nightly history (overview, regressions, flaky tests, per-test strips, trends)')
  .option('--db <path|url>', 'SQLite file or postgres:// URL (default: $SVMTEST_HISTORY_DB, else history.db in the config, else reports/history.db)')
  .option('-c, --config <file>', 'configuration file')
  .requiredOption('-o, --out <dir>', 'directory to write the site into')
  .option('--nights <n>', 'nights shown', positive, 60)
  .option('--links <url>', 'URL under which the run directories are published by run id (log links); default: local paths')
  .option('--runs <dir>', 'publish the run directories found here beside the site (runs/<run id>/), linked relatively; repeatable', collect, [])
  .action(action(async (opts) => (await import('./dashboard.js')).dashboardCommand(opts)));

program
  .command('merge')
  .description('combine shard runs of one variant into one run (refuses overlaps and mixed variants or kernels)')
  .argument('<runs...>', 'run directories or run.json files of the shards')
  .requiredOption('-o, --out <path>', 'run directory or .json file to write')
  .action(action(async (runs: string[], opts) => (await import('./merge.js')).mergeCommand(runs, opts)));

program
  .command('config')
  .description('show the resolved configuration, each value with the file:line it came from (or default)')
  .option('-c, --config <file>', 'configuration file')
  .option('--print', 'print the resolved configuration (the default action)')
  .option('--json', 'machine-readable output')
  .action(action(async (opts) => (await import('./config-print.js')).configCommand(opts)));

program
  .command('init')
  .description('write a starter svmtest.yaml from what doctor finds on this machine')
  .option('-o, --out <file>', 'file to write', 'svmtest.yaml')
  .option('--force', 'overwrite an existing file')
  .option('--sysfs-root <dir>', 'read /sys from a copied tree')
  .action(action(async (opts) => (await import('./init.js')).initCommand(opts)));

targetPluginOptions(program.command('doctor'))
  .description('what this machine can run, what is missing, and the command that fixes it')
  .option('-c, --config <file>', 'configuration file')
  .option('--rocm <dir>', 'installed ROCm prefix')
  .option('--sysfs-root <dir>', 'read /sys from a copied tree')
  .option('--target <kind>', `check what this target needs: ${TARGETS} (default: run.target in the config)`)
  .option('--json', 'machine-readable output')
  .action(action(async (opts) => (await import('./doctor.js')).doctorCommand(opts)));

program
  .command('expectations')
  .description('drm/ci expectation files (-fails.txt, -flakes.txt) from runs')
  .command('update')
  .description("write or update <variant>[-<gfx>]-fails.txt and -flakes.txt in DIR from runs of one setup, keeping existing entries' comments")
  .argument('<runs...>', 'run directories or run.json files of one variant')
  .requiredOption('-o, --out <dir>', 'expectations directory to update')
  .option('--per-gfx', "write <variant>-<gfx>-*.txt for the runs' one GPU family")
  .option('--json', 'machine-readable summary')
  .action(action(async (runs: string[], opts) => (await import('./expectations.js')).expectationsUpdateCommand(runs, opts)));

const exportCommand = program.command('export').description('results in formats other systems read (KernelCI kcidb)');
exportCommand
  .command('kcidb')
  .description('runs, a comparison, or a night of the history store as KernelCI kcidb I/O 5.3 JSON (and optionally submit it)')
  .argument('[results...]', 'run directories, run.json or comparison.json files')
  .option('--db <path|url>', 'with --night: the history store (default: $SVMTEST_HISTORY_DB, else the config, else reports/history.db)')
  .option('--night <date>', 'export this night (YYYY-MM-DD) from the history store')
  .option('-c, --config <file>', 'configuration file')
  .option('--origin <name>', 'kcidb origin: lower-case letters, digits and _', 'svmtest')
  .option('--links <url>', 'URL under which run directories are published by run id (log URLs)')
  .requiredOption('-o, --out <file>', 'JSON file to write')
  .option('--submit <url>', 'POST the export to this kcidb submission endpoint (https)')
  .option('--token-env <name>', 'environment variable holding the submission token', 'SVMTEST_KCIDB_TOKEN')
  .option('--json', 'machine-readable summary')
  .action(action(async (results: string[], opts) => (await import('./export.js')).exportKcidbCommand(results, opts)));

program
  .command('exit-codes')
  .description('what each exit code means (also: svmtest help exit-codes)')
  .addHelpText('after', `\n${EXIT_CODES_HELP}`)
  .action(() => void process.stdout.write(`${EXIT_CODES_HELP}\n`));
program.addHelpText('after', '\nExit codes: 0 ok, 1 regressions, 2 usage or input error, 3 infrastructure, 130 interrupted (svmtest help exit-codes).');

try {
  trace('cli loaded');
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeForError(error);
}
