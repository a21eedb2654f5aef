import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InfraError, InputError } from '../../model/errors.js';
import type { TargetFactory } from '../plugin.js';
import { which } from '../which-program.js';
import type { QemuSection } from './qemu-config.js';
import { qemuSettings } from './qemu-settings.js';
import { vfioChecks } from './vfio-checks.js';
import { configBeside, releaseOf } from '../machine/kernel-files.js';
import { chooseAccel } from './accel.js';
import { type BootImage, bootImage } from './boot-image.js';
import { modulesWithIndex } from './module-tree.js';
import { QemuTarget } from './qemu-target.js';

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, program)));
}

export const qemuFactory: TargetFactory = {
  async prepare(settings) {
    const qemu = qemuSettings(settings);
    if (!qemu.kernel) throw new InputError('--target qemu needs a kernel: --kernel FILE, qemu.kernel in the config, or a `svmtest build` of the variant');
    const kernel = resolve(qemu.kernel);
    if (!existsSync(kernel) || !statSync(kernel).isFile()) throw new InputError(`--kernel ${kernel}: no such file`);
    let modulesDir = qemu.modules ? resolve(qemu.modules) : undefined;
    if (modulesDir && !existsSync(join(modulesDir, 'lib', 'modules')))
      throw new InputError(`--modules ${modulesDir}: expected a directory holding lib/modules/<release>`);
    const release = modulesDir ? releaseOf(modulesDir) : undefined;
    if (!onPath('qemu-system-x86_64')) throw new InfraError('qemu-system-x86_64 not found: sudo apt-get install -y --no-install-recommends qemu-system-x86');
    // A plain `dpkg -x` of a kernel package has no modules.dep: index a cached copy, never the user's tree.
    if (modulesDir && release) modulesDir = await modulesWithIndex(modulesDir, release, settings.cacheDir, settings.note);
    const kernelConfigFile = configBeside(kernel, release);
    const manifest = join(dirname(kernel), 'manifest.json');
    return async () => {
      const image: BootImage = qemu.pvh
        ? await bootImage(kernel, settings.cacheDir)
        : { path: kernel, how: 'bzImage', why: 'kernel booted as given (qemu.pvh: false)' };
      settings.note(`QEMU: ${image.why}`);
      const choice = await chooseAccel(qemu.accel, {
        kernel: image.path,
        cacheDir: settings.cacheDir,
        ...(modulesDir ? { modulesDir } : {}),
        ...(release ? { release } : {}),
      });
      settings.note(`QEMU: ${choice.why}`);
      const target = new QemuTarget({
        kernel,
        bootImage: image,
        ...(modulesDir ? { modulesDir } : {}),
        ...(release ? { release } : {}),
        runDir: settings.files.runDir,
        consoleLog: settings.files.console,
        agentDir: settings.files.agent,
        cacheDir: settings.cacheDir,
        accel: choice.accel,
        memoryMiB: qemu.memoryMiB,
        cpus: qemu.cpus,
        cmdline: qemu.cmdline,
        modprobe: qemu.modprobe,
        vfio: qemu.vfio,
        network: qemu.network,
        expose: settings.expose,
        bootTimeoutS: qemu.bootTimeoutS,
        watchdogS: qemu.watchdogS,
        maxReboots: qemu.maxReboots,
        note: settings.note,
      });
      await target.start();
      const warnings = target.setupProblems();
      return {
        target,
        ...(kernelConfigFile ? { kernelConfigFile } : {}),
        ...(existsSync(manifest) ? { kernelManifest: manifest } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    };
  },
  async doctor(context) {
    // The guest shares this machine's root: the suites, ROCm and QEMU are looked for here.
    const host = context.localMachine;
    await context.machineChecks(host, false);
    // xz and zstd are not required: without them such a kernel unpacks itself in the guest at every boot (3 s under TCG).
    for (const [program, pkg, required] of [
      ['qemu-system-x86_64', 'qemu-system-x86', true],
      ['busybox', 'busybox-static', true],
      ['xz', 'xz-utils', false],
      ['zstd', 'zstd', false],
    ] as const) {
      const path = await which(host, program);
      const missing = required ? 'not installed' : 'not installed: such kernels unpack themselves at every boot';
      context.add(program, path !== undefined, path ?? missing, `sudo apt-get install -y ${pkg}`, required);
    }
    // The GPUs named in qemu.vfio are what a QEMU run tests: each must be ready to pass through.
    const { vfio } = context.section as QemuSection;
    await vfioChecks(host, vfio, context.add, vfio.length > 0);
  },
};
