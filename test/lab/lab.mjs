import { execa } from 'execa';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The built modules (npm run build): this file serves the tests and the benchmark alike.
import { buildInitramfs } from '../../dist/targets/qemu/initramfs.js';
import { modulesWithIndex } from '../../dist/targets/qemu/module-tree.js';
import { qemuArgv } from '../../dist/targets/qemu/qemu-command.js';
import { bootImage } from '../../dist/targets/qemu/boot-image.js';
import { bzImageRelease } from '../../dist/targets/ssh/kernel-image.js';
import { freePort } from '../helpers/ports.mjs';

// A lab in a box: a QEMU guest running Debian's kernel with this machine's root over 9p (as the
// QEMU target boots it) and Debian's openssh-server on a forwarded port, keys made here and a
// strict known_hosts. Its "BMC" is lab-dut.mjs: power cycle = kill QEMU and start it again.

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAB_DUT = join(REPO_ROOT, 'test', 'lab', 'lab-dut.mjs');

/** Debian's kernel, extracted by scripts/fetch-debian-kernel.sh (install-deps.sh runs it). */
function debianKernel() {
  const dir = process.env.SVMTEST_TEST_KERNEL_DIR ?? join(REPO_ROOT, '.cache', 'debian-kernel');
  const kernel = join(dir, 'vmlinuz');
  if (!existsSync(kernel)) throw new Error(`no test kernel at ${dir}: run bash scripts/fetch-debian-kernel.sh ${dir}`);
  return { kernel, modules: join(dir, 'modules'), release: readFileSync(join(dir, 'release'), 'utf8').trim() };
}

/**
 * @typedef {object} Lab
 * @property {string} dir
 * @property {(program: string) => string} share a copy of a program that every user on the DUT can run
 * @property {number} port
 * @property {string} identity
 * @property {string} knownHosts
 * @property {string} kernel the kernel the lab boots by default (what a kexec into "another" kernel uses here)
 * @property {string} initramfs
 * @property {string} release
 * @property {string[]} powerCommand
 * @property {{ powerOff: string[], powerOn: string[], powerStatus: string[], consoleStop: string[] }} bmc the same lab as a BMC's separate commands
 * @property {string[]} consoleCommand
 * @property {string} console
 * @property {(extra?: Record<string, unknown>) => Record<string, unknown>} sshConfig the ssh: section for svmtest
 * @property {(command: string) => Promise<{exitCode: number | undefined, stdout: string, stderr: string}>} ssh a command on the DUT, straight through ssh
 * @property {(timeoutMs: number) => Promise<void>} waitForSsh
 * @property {() => Promise<void>} cycle
 * @property {() => Promise<void>} stop
 */

/**
 * @param {string} name
 * @param {{ kernel?: string }} [options] kernel: a bzImage the DUT boots by default instead of Debian's
 *   (a bisect's base kernel: measured here, a tinyconfig kernel kexec'd from Debian's gets no traffic through
 *   virtio-net, while one kexec'd from its own kind does)
 * @returns {Promise<Lab>}
 */
export async function startLab(name, options = {}) {
  const dir = join(REPO_ROOT, 'test', '.tmp', 'lab', name);
  rmSync(dir, { recursive: true, force: true });
  const keys = join(dir, 'keys');
  const agentDir = join(dir, 'run', '.agent');
  // What the DUT's non-root login must read (its authorized_keys, the programs it runs) lives in a
  // directory made for it: the checkout may sit under a mode-0700 directory (/root, mktemp -d).
  const shared = mkdtempSync('/var/tmp/svmtest-lab-');
  chmodSync(shared, 0o755);
  mkdirSync(keys, { recursive: true });
  mkdirSync(join(agentDir, 'boot-1'), { recursive: true });
  const port = await freePort();
  for (const key of ['host', 'client']) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `svmtest-lab-${key}`, '-f', join(keys, key)]);
  const authorizedKeys = join(shared, 'authorized_keys');
  copyFileSync(join(keys, 'client.pub'), authorizedKeys);
  chmodSync(authorizedKeys, 0o644);
  const hostKey = readFileSync(join(keys, 'host.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const knownHosts = join(keys, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      'Port 22',
      `HostKey ${join(keys, 'host')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PidFile /run/sshd.pid',
      'MaxSessions 64',
      'MaxStartups 64',
      // Only commands on the DUT have it: the fixture's kernel-crashing tests refuse to run elsewhere.
      'SetEnv SVMTEST_GUEST=1',
      '',
    ].join('\n'),
  );
  const agent = readFileSync(join(REPO_ROOT, 'test', 'lab', 'dut-agent.sh'), 'utf8').replaceAll('@LAB@', dir);
  writeFileSync(join(agentDir, 'agent.sh'), agent);
  chmodSync(join(agentDir, 'agent.sh'), 0o755);

  const k = debianKernel();
  const cacheDir = join(homedir(), '.cache', 'svmtest');
  const modules = await modulesWithIndex(k.modules, k.release, cacheDir, () => undefined);
  const initramfs = await buildInitramfs({ cacheDir, modulesDir: modules, release: k.release });
  const kernel = options.kernel ?? k.kernel;
  // Powered on as svmtest's QEMU target boots: the kernel's ELF through its PVH entry when it has one.
  const argv = qemuArgv({
    kernel: (await bootImage(kernel, cacheDir)).path,
    initramfs,
    runDir: join(dir, 'run'),
    agentDir,
    modulesTree: join(modules, 'lib', 'modules'),
    accel: 'tcg',
    memoryMiB: 1024,
    cpus: 2,
    boot: 1,
    cmdline: [],
    vfio: [],
    network: true,
  });
  argv.push('-nic', `user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:${port}-:22`);
  writeFileSync(join(dir, 'qemu.json'), JSON.stringify(argv));
  const identity = join(keys, 'client');
  const consoleLog = join(dir, 'console.log');
  const sshArgs = [
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'ConnectTimeout=5',
    '-i',
    identity,
    '-p',
    String(port),
    'root@127.0.0.1',
  ];
  /** @type {Lab} */
  const lab = {
    dir,
    share: (program) => {
      const copy = join(shared, program.split('/').pop() ?? 'program');
      copyFileSync(program, copy);
      chmodSync(copy, 0o755);
      return copy;
    },
    port,
    identity,
    knownHosts,
    kernel,
    initramfs,
    release: options.kernel ? bzImageRelease(options.kernel) : k.release,
    powerCommand: [process.execPath, LAB_DUT, 'cycle', dir],
    bmc: {
      powerOff: [process.execPath, LAB_DUT, 'off', dir],
      powerOn: [process.execPath, LAB_DUT, 'on', dir],
      powerStatus: [process.execPath, LAB_DUT, 'status', dir],
      consoleStop: [process.execPath, LAB_DUT, 'console-stop', dir],
    },
    consoleCommand: ['tail', '-n', '0', '-F', consoleLog],
    console: consoleLog,
    // The DUT's disk: the lab's writable share, so deployed kernels survive a kexec and a power cycle as on a real machine.
    sshConfig: (extra = {}) => ({ host: '127.0.0.1', user: 'root', port, identityFile: identity, knownHosts, kernelDir: join(dir, 'run', 'disk'), ...extra }),
    ssh: async (command) => {
      const r = await execa('ssh', [...sshArgs, command], { reject: false, timeout: 60_000 });
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
    waitForSsh: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if ((await lab.ssh('true')).exitCode === 0) return;
        if (Date.now() > deadline) throw new Error(`the lab DUT did not answer over SSH within ${timeoutMs / 1000} s; console: ${consoleLog}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
    cycle: async () => void (await execa(process.execPath, [LAB_DUT, 'cycle', dir])),
    stop: async () => {
      await execa(process.execPath, [LAB_DUT, 'stop', dir], { reject: false });
      rmSync(shared, { recursive: true, force: true });
    },
  };
  await execa(process.execPath, [LAB_DUT, 'start', dir]);
  return lab;
}
