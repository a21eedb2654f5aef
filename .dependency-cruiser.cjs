// The layers of docs/architecture.md, checked in CI (`npm run lint`). Each folder lists what it
// imports, no more: anything else is an error. Read top-down: cli → pipeline → build/engine/history →
// suites → targets → results/parsers/compare/reporters → model. Config is read by cli and pipeline
// only; it takes the targets' own sections from their registry.
const layers = {
  model: ['model'],
  parsers: ['model', 'parsers'],
  compare: ['model', 'compare'],
  results: ['model', 'parsers', 'results'],
  reporters: ['model', 'reporters'],
  config: ['model', 'config', 'targets'],
  targets: ['model', 'parsers', 'targets'],
  suites: ['model', 'parsers', 'results', 'targets', 'suites'],
  engine: ['model', 'parsers', 'results', 'targets', 'suites', 'engine'],
  build: ['model', 'parsers', 'build'],
  history: ['model', 'history'],
  pipeline: ['model', 'parsers', 'results', 'compare', 'reporters', 'config', 'targets', 'suites', 'engine', 'build', 'history', 'pipeline'],
  cli: ['model', 'compare', 'reporters', 'config', 'pipeline', 'cli'],
};

const folders = Object.keys(layers).join('|');

module.exports = {
  forbidden: [
    ...Object.entries(layers).map(([layer, allowed]) => ({
      name: `${layer}-imports`,
      comment: `src/${layer} may import only ${allowed.join(', ')} (docs/architecture.md)`,
      severity: 'error',
      from: { path: `^src/${layer}/` },
      to: { path: `^src/(${folders})/`, pathNot: `^src/(${allowed.join('|')})/` },
    })),
    {
      name: 'pure-parsers-and-verdicts',
      comment: 'parsers and compare are pure: they take text and results, they do no I/O',
      severity: 'error',
      from: { path: '^src/(parsers|compare)/' },
      to: { path: '^(node:)?(fs|child_process|net|http|https|dgram|worker_threads)$|^execa$|^fs/promises$|^node:fs/promises$' },
    },
    {
      name: 'only-cli-exits',
      comment: 'nothing below src/cli decides the exit: no import of the CLI from anywhere else',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'config-reads-target-sections-only',
      comment: "the config schema takes each target's section from the target registry, nothing else of targets/",
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/targets/', pathNot: '^src/targets/(registry|sections)\\.ts$' },
    },
    {
      name: 'pipeline-knows-targets-by-registry',
      comment: 'the pipeline learns targets from the registry: it imports no targets/*/ folder (a target is a plug-in)',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/targets/[^/]+/' },
    },
    {
      name: 'no-target-imports-another',
      comment: 'a target folder uses its own files, the shared toolkit (targets/machine/) and the top level of targets/, never another target (the host target included)',
      severity: 'error',
      from: { path: '^src/targets/([^/]+)/' },
      to: { path: '^src/targets/', pathNot: ['^src/targets/$1/', '^src/targets/$1\\.ts$', '^src/targets/machine/', '^src/targets/(?!host\\.ts$)[^/]+\\.ts$'] },
    },
    {
      name: 'toolkit-knows-no-target',
      comment: 'targets/machine/ is shared by every target: it imports none of them',
      severity: 'error',
      from: { path: '^src/targets/machine/' },
      to: { path: '^src/targets/(?!machine/)[^/]+/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules|test|bench)/' },
  },
};
