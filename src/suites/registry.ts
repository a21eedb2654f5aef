import type { SuiteAdapter } from './adapter.js';
import { ctestAdapter } from './ctest-adapter.js';
import { gtestAdapter } from './gtest-adapter.js';

const ADAPTERS: Record<SuiteAdapter['kind'], SuiteAdapter> = { gtest: gtestAdapter, ctest: ctestAdapter };

export function adapterFor(kind: SuiteAdapter['kind']): SuiteAdapter {
  return ADAPTERS[kind];
}
