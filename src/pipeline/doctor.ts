import { InfraError } from '../model/errors.js';
import { loadConfig } from '../config/load.js';
import { resolveSuites } from '../suites/definition.js';
import { resolveSuite } from '../suites/resolve.js';
import { HostTarget } from '../targets/host.js';
import { discoverGpus } from '../targets/topology.js';
import { readKernelConfig } from '../engine/preflight.js';
import type { Config } from '../config/schema.js';
import type { Target } from '../targets/target.js';
import type { DoctorCheck, DoctorOptions, DoctorReport } from './doctor-check.js';
import { which } from '../targets/which-program.js';
import { targetFactory } from '../targets/registry.js';
import type { AddCheck } from '../targets/plugin.js';
import { configPath, targetSection } from './target-options.js';

/**
 * What this machine (or the DUT, with --target ssh) can run, what is missing, and the command that
 * fixes each gap. Each check says whether the configured target needs it: on the host and over
 * SSH the machine itself runs the suites (its GPUs, /dev/kfd, amdgpu); with QEMU the host needs
 * QEMU and busybox, and the GPUs it passes through.
 */
export async function doctorChecks(options: DoctorOptions): Promise<DoctorReport> {
  const loaded = loadConfig(options.config);
  const { config } = loaded;
  const kind = options.target ?? config.run.target;
  const factory = await targetFactory(kind);
  const checks: DoctorCheck[] = [];
  const add: AddCheck = (area, ok, found, fix, required = false) => checks.push({ area, ok, found, ...(ok || !fix ? {} : { fix }), required });

  const major = Number(process.versions.node.split('.')[0]);
  add('node', major >= 20, `Node ${process.versions.node}`, 'install Node.js 20 or newer', true);
  await factory.doctor({
    section: targetSection(config, kind),
    flags: options.targetFlags ?? {},
    configPath: configPath(loaded.file),
    ...(options.sysfsRoot ? { sysfsRoot: options.sysfsRoot } : {}),
    add,
    localMachine: new HostTarget(options.sysfsRoot ?? ''),
    machineChecks: (target, runsTests) => machineChecks(target, config, options, add, runsTests),
  });
  const missing = checks.filter((c) => c.required && !c.ok).map((c) => c.area);
  return { schemaVersion: 1, kind: 'doctor', target: kind, ready: missing.length === 0, missing, items: checks };
}

/** The kernel, GPUs, ROCm and suites of the machine under test, through its target (`runsTests`: the suites run on it). */
async function machineChecks(target: Target, config: Config, options: DoctorOptions, add: AddCheck, runsTests: boolean): Promise<void> {
  const identity = await target.identity();
  add('kernel', true, `${identity.kernelRelease} on ${identity.hostname}`);
  const kconfig = await readKernelConfig(target, identity.kernelRelease);
  add(
    'kernel config',
    kconfig !== undefined,
    kconfig
      ? `${kconfig.source}: CONFIG_DRM_AMDGPU_SVM=${kconfig.values.get('DRM_AMDGPU_SVM') ?? 'n'}, CONFIG_HSA_AMD_SVM=${kconfig.values.get('HSA_AMD_SVM') ?? 'n'}`
      : 'not readable',
    'boot a kernel with CONFIG_IKCONFIG_PROC=y, or install /boot/config-$(uname -r)',
    runsTests,
  );
  const modules = (await target.readFile('/proc/modules')) ?? '';
  add('amdgpu module', /^amdgpu /m.test(modules), /^amdgpu /m.test(modules) ? 'loaded' : 'not loaded', 'modprobe amdgpu', runsTests);
  const kfd = await target.exec({ argv: ['dd', 'if=/dev/kfd', 'of=/dev/null', 'count=0', 'status=none'] });
  add(
    '/dev/kfd',
    kfd.exitCode === 0,
    kfd.exitCode === 0 ? 'opens' : kfd.stderr.trim() || 'missing',
    'modprobe amdgpu; add your user to the render and video groups',
    runsTests,
  );
  const gpus = await discoverGpus(target);
  add(
    'GPUs (KFD topology)',
    gpus.length > 0,
    gpus.length > 0 ? gpus.map((g) => `node ${g.node}: ${g.gfx} ${g.name}${g.xnack ? ' (XNACK capable)' : ''}`).join('; ') : 'none',
    'no AMD GPU visible: use svmtest demo, or --target qemu with qemu.vfio passthrough',
    runsTests,
  );
  const noretry = (await target.readFile('/sys/module/amdgpu/parameters/noretry'))?.trim();
  add(
    'XNACK (amdgpu.noretry)',
    noretry === '0',
    noretry === undefined ? 'amdgpu not loaded' : `noretry=${noretry}`,
    'boot with amdgpu.noretry=0 for the gpusvm variant (phase 1 needs XNACK on)',
  );
  const kmsg = await target.exec({ argv: ['dd', 'if=/dev/kmsg', 'of=/dev/null', 'count=0', 'status=none'] });
  add(
    'kernel log (/dev/kmsg)',
    kmsg.exitCode === 0,
    kmsg.exitCode === 0 ? 'readable' : 'not readable: tests run without kernel events',
    'run as root, or sudo sysctl kernel.dmesg_restrict=0',
  );

  const rocm = options.rocm ?? config.rocm.path ?? process.env.ROCM_PATH ?? '/opt/rocm';
  const rocmVersion = (await target.readFile(`${rocm}/.info/version`))?.trim();
  add(
    'ROCm',
    rocmVersion !== undefined,
    rocmVersion ? `${rocm} (${rocmVersion})` : `${rocm}: not found`,
    'install ROCm (https://rocm.docs.amd.com) or set ROCM_PATH / rocm.path',
  );
  const suites = resolveSuites(config.run.suites, []);
  for (const suite of suites) {
    try {
      const resolved = await resolveSuite(target, suite, { rocm, ...(gpus[0] ? { gfx: gpus[0].gfx } : {}) });
      add(`suite ${suite.name}`, true, resolved.dir ?? resolved.command[0]!, undefined, true);
    } catch (error) {
      if (!(error instanceof InfraError)) throw error;
      add(
        `suite ${suite.name}`,
        false,
        error.message,
        `install ROCm's ${suite.name} (package ${suite.name === 'hip-tests' ? 'hip-catch' : suite.name === 'rocrtst' ? 'rocrtst' : 'kfdtest'}), or build it with svmtest build`,
        true,
      );
    }
  }
  const ctest = await which(target, 'ctest');
  add(
    'ctest',
    ctest !== undefined,
    ctest ?? 'not installed',
    'sudo apt-get install -y cmake',
    suites.some((s) => s.kind === 'ctest'),
  );
  const rocminfo = await which(target, 'rocminfo');
  add('rocminfo', rocminfo !== undefined, rocminfo ?? 'not installed', 'sudo apt-get install -y rocminfo');
}

export type { DoctorOptions } from './doctor-check.js';
