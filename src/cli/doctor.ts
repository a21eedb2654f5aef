import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { doctorChecks, type DoctorOptions } from '../pipeline/doctor.js';
import { pickTargetFlags } from '../pipeline/target-options.js';
import { writeOut } from './screen.js';

/**
 * `svmtest doctor`: exit 0 only when the machine can run what the config asks (every required
 * check ok), 3 when it cannot — a CI "check the DUT" gate that can fail. `--json` adds `ready`
 * and `missing` for a gate to read.
 */
export async function doctorCommand(options: DoctorOptions & Record<string, unknown>): Promise<ExitCode> {
  const report = await doctorChecks({ ...options, targetFlags: pickTargetFlags(options) });
  const code = report.ready ? EXIT.ok : EXIT.infra;
  if (options.json) {
    writeOut(`${JSON.stringify(report, null, 1)}\n`);
    return code;
  }
  const checks = report.items;
  const width = Math.max(...checks.map((c) => c.area.length));
  for (const c of checks) {
    const state = c.ok ? 'ok     ' : c.required ? 'MISSING' : 'missing';
    writeOut(`${state}  ${c.area.padEnd(width)}  ${c.found}${!c.ok && !c.required ? ' (optional here)' : ''}\n`);
    if (c.fix) writeOut(`${' '.repeat(width + 11)}fix: ${c.fix}\n`);
  }
  writeOut(
    report.ready
      ? `ready: this machine can run what the config asks (target ${report.target})\n`
      : `not ready for target ${report.target}: ${report.missing.length} required item${report.missing.length === 1 ? '' : 's'} missing (${report.missing.join(', ')})\n`,
  );
  return code;
}
