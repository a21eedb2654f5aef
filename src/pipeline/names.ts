// The names the command line offers, from the registries that define them (cheap to load: no parser, no schema).
export { FORMAT_NAMES } from '../parsers/format-names.js';
export { builtinSuiteNames } from '../suites/builtin.js';
export { SUITE_KINDS } from '../suites/kinds.js';
