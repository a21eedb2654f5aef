import { EXIT, type ExitCode } from '../compare/exit-policy.js';
import { doctorChecks, type DoctorOptions } from '../pipeline/doctor.js';
import { writeOut } from './screen.js';

export async function doctorCommand(options: DoctorOptions): Promise<ExitCode> {
  const checks = await doctorChecks(options);
  if (options.json) {
    writeOut(`${JSON.stringify(checks, null, 1)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...checks.map((c) => c.area.length));
  for (const c of checks) {
    writeOut(`${c.ok ? 'ok     ' : 'missing'}  ${c.area.padEnd(width)}  ${c.found}\n`);
    if (c.fix) writeOut(`${' '.repeat(width + 11)}fix: ${c.fix}\n`);
  }
  return EXIT.ok;
}
