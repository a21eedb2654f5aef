// esbuild's options for svmtest's own bundles: the CLI's (scripts/bundle.mjs, after tsc) and the one
// a LAVA job carries (targets/lava/svmtest-bundle.ts). One list, so both bundles load the same way.
export const NODE_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  // CommonJS dependencies call require(): give the bundle one.
  banner: { js: "import { createRequire as __svmtestRequire } from 'node:module'; const require = __svmtestRequire(import.meta.url);" },
  // Native drivers and tools that load their own files stay packages.
  external: ['better-sqlite3', 'pg', 'pg-native', 'playwright-core', 'esbuild'],
} as const;
