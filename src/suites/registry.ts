import type { SuiteKind } from './kinds.js';
import type { SuiteAdapter } from './adapter.js';
import { ctestAdapter } from './ctest-adapter.js';
import { gtestAdapter } from './gtest-adapter.js';

// One adapter per kind of suites/kinds.ts: a kind without one does not compile.
const ADAPTERS: Record<SuiteKind, SuiteAdapter> = { gtest: gtestAdapter, ctest: ctestAdapter };

export function adapterFor(kind: SuiteKind): SuiteAdapter {
  return ADAPTERS[kind];
}
