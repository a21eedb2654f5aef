import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { svmtest, tempDir } from '../helpers/cli.js';
import { fakeSysfs } from '../helpers/sysfs.js';

function fakePciGpu(sysRoot: string, address: string, driver: string, group: string): void {
  const dev = join(sysRoot, 'bus', 'pci', 'devices', address);
  mkdirSync(dev, { recursive: true });
  writeFileSync(join(dev, 'vendor'), '0x1002\n');
  writeFileSync(join(dev, 'class'), '0x030000\n');
  writeFileSync(join(dev, 'device'), '0x740f\n');
  mkdirSync(join(sysRoot, 'bus', 'pci', 'drivers', driver), { recursive: true });
  symlinkSync(join(sysRoot, 'bus', 'pci', 'drivers', driver), join(dev, 'driver'));
  mkdirSync(join(sysRoot, 'kernel', 'iommu_groups', group), { recursive: true });
  symlinkSync(join(sysRoot, 'kernel', 'iommu_groups', group), join(dev, 'iommu_group'));
}

describe('doctor, config and init', () => {
  it('doctor --target qemu reports GPUs from the topology, IOMMU groups, and the exact commands to bind a GPU to vfio-pci', async () => {
    const dir = tempDir();
    const sys = fakeSysfs(join(dir, 'sys'), [{ version: 90010, name: 'MI210' }]);
    fakePciGpu(sys, '0000:03:00.0', 'amdgpu', '12');
    const config = join(dir, 'c.yaml');
    writeFileSync(config, 'qemu:\n  vfio: ["0000:03:00.0", "0000:09:00.0"]\n');
    const r = await svmtest(['doctor', '-c', config, '--target', 'qemu', '--sysfs-root', sys, '--json']);
    const report = JSON.parse(r.stdout) as {
      ready: boolean;
      target: string;
      missing: string[];
      items: Array<{ area: string; ok: boolean; found: string; fix?: string }>;
    };
    const checks = report.items;
    const byArea = (a: string) => checks.find((c) => c.area === a)!;
    expect(byArea('GPUs (KFD topology)')).toMatchObject({ ok: true, found: 'node 1: gfx90a MI210 (XNACK capable)' });
    expect(byArea('IOMMU (for GPU passthrough)')).toMatchObject({ ok: true, found: '1 IOMMU groups' });
    const gpu = byArea('GPU 0000:03:00.0');
    expect(gpu).toMatchObject({ ok: false, found: 'AMD 0x740f, driver amdgpu, IOMMU group 12 (in qemu.vfio)' });
    expect(gpu.fix).toContain('echo vfio-pci | sudo tee /sys/bus/pci/devices/0000:03:00.0/driver_override');
    expect(byArea('qemu.vfio 0000:09:00.0')).toMatchObject({ ok: false, found: 'no AMD GPU at this PCI address' });
    const text = await svmtest(['doctor', '-c', config, '--target', 'qemu', '--sysfs-root', sys]);
    expect(text.stdout).toMatch(/^ok +GPUs \(KFD topology\)/m);
    expect(text.stdout).toMatch(/fix: /);
  });

  it('doctor exits 3 when the machine cannot run what the config asks, 0 when it can; --json has the fields a CI gate reads', async () => {
    const dir = tempDir();
    // The host target with ROCm's suites: this machine has no GPU and no suites, so it is not ready.
    const host = join(dir, 'host.yaml');
    writeFileSync(host, 'run:\n  target: host\n  suites: [kfdtest]\n');
    const notReady = await svmtest(['doctor', '-c', host, '--rocm', join(dir, 'no-rocm'), '--json']);
    expect(notReady.exitCode, notReady.stderr).toBe(3);
    const report = JSON.parse(notReady.stdout) as { schemaVersion: number; kind: string; ready: boolean; target: string; missing: string[] };
    expect(report).toMatchObject({ schemaVersion: 1, kind: 'doctor', ready: false, target: 'host' });
    expect(report.missing).toEqual(expect.arrayContaining(['/dev/kfd', 'suite kfdtest']));
    const text = await svmtest(['doctor', '-c', host, '--rocm', join(dir, 'no-rocm')]);
    expect(text.exitCode).toBe(3);
    expect(text.stdout).toMatch(/^MISSING +\/dev\/kfd/m);
    expect(text.stdout).toMatch(/not ready for target host: \d+ required items? missing \(.*suite kfdtest/);
    // QEMU with no suites of its own to find: what it needs here is QEMU and busybox, which CI installs.
    const qemu = join(dir, 'qemu.yaml');
    writeFileSync(qemu, 'run:\n  target: qemu\n  suites: []\n');
    const ready = await svmtest(['doctor', '-c', qemu, '--json']);
    expect(ready.exitCode, ready.stdout).toBe(0);
    expect(JSON.parse(ready.stdout)).toMatchObject({ ready: true, target: 'qemu', missing: [] });
  });

  it('config --print shows each value with where it came from', async () => {
    const dir = tempDir();
    const config = join(dir, 'svmtest.yaml');
    writeFileSync(config, 'baseline: legacy\nrun:\n  retries: 4\n');
    const r = await svmtest(['config', '--print', '-c', config, '--json']);
    const rows = JSON.parse(r.stdout) as Array<{ key: string; value: unknown; source: string }>;
    expect(rows.find((x) => x.key === 'run.retries')).toEqual({ key: 'run.retries', value: 4, source: `${config}:3` });
    expect(rows.find((x) => x.key === 'run.jobs')).toEqual({ key: 'run.jobs', value: 1, source: 'default' });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'run:\n  retries: many\n');
    const e = await svmtest(['config', '-c', bad]);
    expect(e.exitCode).toBe(2);
    expect(e.stderr.trim()).toBe(`svmtest: ${bad}:2: run.retries: Expected number, received string`);
  });

  it('init writes a starter config that loads, from what this machine has', async () => {
    const dir = tempDir();
    const sys = fakeSysfs(join(dir, 'sys'), [
      { version: 90402, name: 'MI300X' },
      { version: 90402, name: 'MI300X' },
    ]);
    const out = join(dir, 'svmtest.yaml');
    const r = await svmtest(['init', '-o', out, '--sysfs-root', sys]);
    expect(r.exitCode, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# svmtest configuration written by `svmtest init`/);
    expect(text).toMatch(/gpus:\n\s+- gfx942/);
    expect(text).toMatch(/jobs: 2/);
    expect((await svmtest(['config', '-c', out])).exitCode).toBe(0);
    const again = await svmtest(['init', '-o', out, '--sysfs-root', sys]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already exists; use --force/);
  });
});
