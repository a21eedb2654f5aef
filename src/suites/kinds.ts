/** The suite kinds svmtest has an adapter for (suites/registry.ts holds one for each): a suite file's `kind:`. */
export const SUITE_KINDS = ['gtest', 'ctest'] as const;
export type SuiteKind = (typeof SUITE_KINDS)[number];
