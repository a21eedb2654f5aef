// The layers of docs/architecture.md, checked in CI (`npm run lint:deps`). Each folder lists what it
// may import; anything else is an error. Read top-down: cli → pipeline → build/engine/history →
// targets/suites → results/parsers/compare/reporters → model. Config is read by cli and pipeline only.
const layers = {
  model: ['model'],
  parsers: ['model', 'parsers'],
  compare: ['model', 'compare'],
  results: ['model', 'parsers', 'results'],
  reporters: ['model', 'reporters'],
  config: ['model', 'config'],
  targets: ['model', 'parsers', 'targets'],
  suites: ['model', 'parsers', 'results', 'targets', 'suites'],
  engine: ['model', 'parsers', 'results', 'compare', 'targets', 'suites', 'engine'],
  build: ['model', 'parsers', 'build'],
  history: ['model', 'compare', 'results', 'history'],
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
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules|test|bench)/' },
  },
};
