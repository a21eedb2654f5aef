import { isNode, LineCounter, parseDocument } from 'yaml';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { writeOut } from './screen.js';
import { EXIT, type ExitCode } from '../model/exit-codes.js';

function leaves(value: unknown, path: string[] = []): Array<[string[], unknown]> {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [[path, value]];
}

/** `svmtest config --print`: the resolved configuration, each value with where it came from. */
export async function configCommand(options: { config?: string; print?: boolean; json?: boolean }): Promise<ExitCode> {
  const { config, file } = loadConfig(options.config);
  const counter = new LineCounter();
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter });
  const rows = leaves(config).map(([path, value]) => {
    const node = doc.getIn(path, true);
    const source = isNode(node) && node.range ? `${file}:${counter.linePos(node.range[0]).line}` : 'default';
    return { key: path.join('.'), value, source };
  });
  if (options.json) {
    writeOut(`${JSON.stringify(rows, null, 1)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...rows.map((r) => r.key.length));
  for (const r of rows) writeOut(`${r.key.padEnd(width)}  ${JSON.stringify(r.value)}  # ${r.source}\n`);
  return EXIT.ok;
}
