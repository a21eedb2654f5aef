/** The result formats `svmtest parse` reads (parsers/formats.ts registers one parser for each). */
export const FORMAT_NAMES = [
  'gtest-json',
  'catch2-junit',
  'gtest-xml',
  'ctest-junit',
  'catch2-xml',
  'junit',
  'gtest-console',
  'ctest-console',
  'catch2-console',
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];
