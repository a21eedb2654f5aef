import { stringify } from 'yaml';
import { HostTarget } from '../targets/host.js';
import { discoverGpus } from '../targets/topology.js';
import { doctorChecks } from './doctor.js';

/** A starter svmtest.yaml from what doctor finds on this machine, with the findings as its header. */
export async function starterConfig(options: { sysfsRoot?: string }): Promise<{ text: string; hasGpu: boolean }> {
  const checks = (await doctorChecks({ ...(options.sysfsRoot ? { sysfsRoot: options.sysfsRoot } : {}) })).items;
  const gpus = await discoverGpus(new HostTarget(options.sysfsRoot ?? ''));
  const gfx = [...new Set(gpus.map((g) => g.gfx))];
  const rocm = checks.find((c) => c.area === 'ROCm');
  const suites = checks.filter((c) => c.area.startsWith('suite ') && c.ok).map((c) => c.area.slice(6));
  const hasGpu = gpus.length > 0;
  const config = {
    ...(rocm?.ok ? { rocm: { path: rocm.found.split(' ')[0] } } : {}),
    baseline: 'legacy',
    candidate: 'gpusvm',
    variants: {
      legacy: { expect: { kconfig: { HSA_AMD_SVM: 'y', DRM_AMDGPU_SVM: 'n' }, kallsyms: { amdgpu_svm_init: false }, gpus: gfx } },
      gpusvm: {
        env: { HSA_XNACK: '1' },
        cmdline: ['amdgpu.noretry=0'],
        expect: {
          kconfig: { DRM_AMDGPU_SVM: 'y' },
          kallsyms: { amdgpu_svm_init: true },
          gpus: gfx,
          xnack: gpus.every((g) => g.xnack) && hasGpu ? 'on' : 'any',
        },
      },
    },
    run: {
      suites: suites.length > 0 ? suites : ['kfdtest', 'rocrtst', 'hip-tests'],
      profile: 'svm',
      retries: 1,
      jobs: Math.max(1, gpus.length),
      target: hasGpu ? 'host' : 'qemu',
    },
  };
  const header = [
    '# svmtest configuration written by `svmtest init` from what this machine has:',
    ...checks.map((c) => `#   ${c.ok ? 'ok     ' : 'missing'} ${c.area}: ${c.found}`),
    '# Every key and its default: config/default.yaml. Check the result with `svmtest config --print`.',
    '',
  ].join('\n');
  return { text: `${header}${stringify(config, { aliasDuplicateObjects: false })}`, hasGpu };
}
