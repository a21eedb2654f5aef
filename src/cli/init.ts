import { existsSync } from 'node:fs';
import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { InputError } from '../model/errors.js';
import { writeFileAtomic } from '../model/json-file.js';
import { starterConfig } from '../pipeline/init-config.js';
import { note } from './screen.js';

/** `svmtest init`: a starter svmtest.yaml from what doctor finds on this machine. */
export async function initCommand(options: { out: string; force?: boolean; sysfsRoot?: string }): Promise<ExitCode> {
  if (existsSync(options.out) && !options.force) throw new InputError(`${options.out}: already exists; use --force to overwrite it`);
  const { text, hasGpu } = await starterConfig(options.sysfsRoot ? { sysfsRoot: options.sysfsRoot } : {});
  writeFileAtomic(options.out, text);
  note(`wrote ${options.out}${hasGpu ? '' : ' (no GPU found: runs default to the QEMU target; set qemu.kernel or use svmtest demo)'}`);
  return EXIT.ok;
}
