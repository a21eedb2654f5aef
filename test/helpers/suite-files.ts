import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export function writeSuiteFile(dir: string, suite: Record<string, unknown>, fileName = String(suite.name)): string {
  const file = join(dir, `${fileName}.yaml`);
  writeFileSync(file, stringify(suite));
  return file;
}

/** A config that makes engine tests quick: short kill grace, small log cap, no retries unless asked. */
export function writeConfig(dir: string, run: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'svmtest.yaml');
  writeFileSync(file, stringify({ run: { killGrace: 1, logCap: 8192, retries: 0, ...run }, ...extra }));
  return file;
}
