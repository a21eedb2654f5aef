import { InputError } from '../model/errors.js';
import { jsonErrorPosition } from '../model/json-file.js';
import { HEAD_CHARS, textInput, type TextInput } from '../model/text-input.js';
import { parseCatch2Console } from './catch2-console.js';
import { parseCatch2Xml } from './catch2-xml.js';
import { parseCtestConsole } from './ctest-console.js';
import { parseGtestConsole } from './gtest-console.js';
import { parseGtestJson } from './gtest-json.js';
import { parseGtestXml } from './gtest-xml.js';
import { parseJunit } from './junit.js';
import type { FormatName } from './format-names.js';
import type { ParseOptions, ParsedReport } from './types.js';
import { rootElement } from './xml.js';

export interface ResultFormat {
  readonly name: FormatName;
  readonly description: string;
  /** Looks at the content (never the file name) and says whether this format wrote it. */
  readonly detect: (head: string) => boolean;
  /** XML formats read the input in pieces as they parse it; the others read it whole. */
  readonly parse: (input: TextInput, options: ParseOptions) => ParsedReport;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InputError(`not valid JSON (${jsonErrorPosition(text, error)})`);
  }
}

const isXml = (head: string) => /^\s*</.test(head);
const xmlRoot = (head: string) => (isXml(head) ? rootElement(head) : undefined);
const looksGtestXml = (head: string) =>
  xmlRoot(head) === 'testsuites' && /<testcase\b[^>]*\bstatus="(?:run|notrun)"[^>]*\bclassname=|<testsuites\b[^>]*\bdisabled=/.test(head);
const looksCtestJunit = (head: string) => xmlRoot(head) === 'testsuite' && /<testcase\b[^>]*\bstatus="(?:run|fail|notrun|disabled)"/.test(head);
const looksCatch2Junit = (head: string) => /^(?:testsuites|testsuite)$/.test(xmlRoot(head) ?? '') && /hostname="tbd"|classname="[^"]*\.global"/.test(head);

/** Registered in detection order: the most specific shape first. */
export const RESULT_FORMATS: readonly ResultFormat[] = [
  {
    name: 'gtest-json',
    description: 'googletest --gtest_output=json',
    detect: (head) => /^\s*\{/.test(head) && /"testsuites"\s*:/.test(head) && /"(?:status|result)"\s*:/.test(head),
    parse: (input) => parseGtestJson(parseJson(input.text())),
  },
  { name: 'catch2-junit', description: 'Catch2 -r junit', detect: looksCatch2Junit, parse: (input, o) => parseJunit(input.pieces(), 'catch2-junit', o) },
  { name: 'gtest-xml', description: 'googletest --gtest_output=xml', detect: looksGtestXml, parse: (input) => parseGtestXml(input.pieces()) },
  { name: 'ctest-junit', description: 'ctest --output-junit', detect: looksCtestJunit, parse: (input, o) => parseJunit(input.pieces(), 'ctest-junit', o) },
  {
    name: 'catch2-xml',
    description: 'Catch2 -r xml',
    detect: (head) => /^Catch2?(?:TestRun)?$/.test(xmlRoot(head) ?? ''),
    parse: (input, o) => parseCatch2Xml(input.pieces(), o),
  },
  {
    name: 'junit',
    description: 'generic JUnit XML',
    detect: (head) => /^(?:testsuites|testsuite)$/.test(xmlRoot(head) ?? ''),
    parse: (input, o) => parseJunit(input.pieces(), 'junit', o),
  },
  {
    name: 'gtest-console',
    description: 'googletest console output (modern, or the old gtest bundled with kfdtest/rocrtst)',
    detect: (head) => /^(?:\S+ )?(?:\x1b\[[\d;]*m)?\[(?: RUN {6}| {7}OK| {2}FAILED {2})\]/m.test(head) || /^\[(?:==========|----------)\]/m.test(head),
    parse: (input) => parseGtestConsole(input.text()),
  },
  {
    name: 'ctest-console',
    description: 'ctest console output',
    detect: (head) =>
      /Test\s+#\d+: .*(?:Passed|\*\*\*\w)/.test(head) ||
      /^\s+\d+ - .+ \((?:Failed|SEGFAULT|Timeout|Subprocess aborted|Not Run|ILLEGAL|Skipped)\)\s*$/m.test(head),
    parse: (input) => parseCtestConsole(input.text()),
  },
  {
    name: 'catch2-console',
    description: 'Catch2 console reporter (failures only)',
    detect: (head) => /is a Catch2? v\d/.test(head),
    parse: (input) => parseCatch2Console(input.text()),
  },
];

export function formatNames(): string[] {
  return RESULT_FORMATS.map((f) => f.name);
}

export function findFormat(name: string): ResultFormat {
  const format = RESULT_FORMATS.find((f) => f.name === name);
  if (!format) throw new InputError(`unknown format "${name}"; known formats: ${formatNames().join(', ')}`);
  return format;
}

export function detectFormat(text: string): ResultFormat | undefined {
  const head = text.length > HEAD_CHARS ? text.slice(0, HEAD_CHARS) : text;
  return RESULT_FORMATS.find((f) => f.detect(head));
}

/** Text in, results out: detects the format from content unless one is forced. */
export function parseResults(given: string | TextInput, options: ParseOptions & { format?: string } = {}): ParsedReport {
  const input = typeof given === 'string' ? textInput(given) : given;
  if (input.complete && input.head.trim() === '') throw new InputError('is empty; expected test output');
  // eslint-disable-next-line no-control-regex
  if (/\x00/.test(input.head.slice(0, 4096))) throw new InputError('is a binary file; expected test output (text, XML or JSON)');
  const format = options.format ? findFormat(options.format) : detectFormat(input.head);
  if (!format) {
    throw new InputError(`format not recognised; expected one of ${formatNames().join(', ')} (use --format to force one)`);
  }
  return format.parse(input, options);
}
