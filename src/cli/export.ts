import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { loadConfig } from '../config/load.js';
import { exportKcidb } from '../pipeline/export-kcidb.js';
import { historyLocation } from '../pipeline/history.js';
import { note, writeOut } from './screen.js';

export interface ExportKcidbFlags {
  db?: string;
  night?: string;
  config?: string;
  origin: string;
  links?: string;
  out: string;
  submit?: string;
  tokenEnv: string;
  json?: boolean;
}

/** `svmtest export kcidb`: runs, a comparison or a night of the store as KernelCI's kcidb JSON. */
export async function exportKcidbCommand(inputs: string[], flags: ExportKcidbFlags): Promise<ExitCode> {
  const db = flags.night !== undefined ? historyLocation(flags.db, loadConfig(flags.config)) : flags.db;
  const result = await exportKcidb({
    inputs,
    ...(db !== undefined ? { db } : {}),
    ...(flags.night !== undefined ? { night: flags.night } : {}),
    origin: flags.origin,
    ...(flags.links ? { logBase: flags.links } : {}),
    out: flags.out,
    ...(flags.submit ? { submit: flags.submit } : {}),
    tokenEnv: flags.tokenEnv,
  });
  if (flags.json) writeOut(`${JSON.stringify({ schemaVersion: 1, kind: 'kcidb-export', ...result }, null, 1)}\n`);
  note(
    `wrote ${result.file}: kcidb 5.3, ${result.builds} builds, ${result.tests} tests${result.submitted !== undefined ? `; submitted (HTTP ${result.submitted})` : ''}`,
  );
  return EXIT.ok;
}
