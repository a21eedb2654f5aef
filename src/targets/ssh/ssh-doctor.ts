import { InfraError } from '../../model/errors.js';
import type { DoctorContext } from '../plugin.js';
import { which } from '../which-program.js';
import { DutSupervisor } from './dut-supervisor.js';
import { powerState } from './power.js';
import type { SshSection } from './ssh-config.js';
import { identityFileProblem, sshComplaint } from './ssh-connection.js';
import { sshEndpoint, sshFlags } from './ssh-endpoint.js';
import { SshTarget } from './ssh-target.js';

const KERNEL_SPACE_KIB = 512 * 1024; // an image, an initramfs and a module tree

/**
 * `svmtest doctor --target ssh`: the DUT as svmtest will use it — the connection, root or sudo,
 * kexec-tools, the kernel log, room for a kernel — and then the same machine checks as on a host,
 * through the SSH target. The power and console commands are checked on this machine, never run:
 * a doctor does not power-cycle a lab machine.
 */
export async function sshDoctor(context: DoctorContext): Promise<void> {
  const { add } = context;
  const ssh = context.section as SshSection;
  const endpoint = sshEndpoint(ssh, sshFlags(context.flags), context.configPath);
  if (!endpoint) {
    add('DUT', false, 'no machine named', 'set ssh.host in the config, or give --ssh USER@HOST', true);
    return;
  }
  const host = context.localMachine;
  for (const [program, pkg] of [
    ['ssh', 'openssh-client'],
    ['rsync', 'rsync'],
  ] as const) {
    const found = await which(host, program);
    add(`${program} (here)`, found !== undefined, found ?? 'not installed', `sudo apt-get install -y ${pkg}`, program === 'ssh');
  }
  if (endpoint.hostKeyOff)
    add(
      'host key',
      false,
      `not checked (${endpoint.hostKeyOff})`,
      `ssh-keyscan -p ${endpoint.port ?? 22} ${endpoint.host} >> ~/.ssh/known_hosts, after checking the fingerprint`,
    );
  const identityProblem = endpoint.identityFile ? identityFileProblem(endpoint.identityFile) : undefined;
  if (identityProblem) {
    add('identity file', false, identityProblem, `chmod 600 ${endpoint.identityFile}`, true);
    return;
  }
  const dut = new DutSupervisor({
    endpoint,
    settings: {
      boot: 'none', // the doctor looks; it never deploys or boots a kernel
      initrdPath: ssh.initrdPath,
      grubEntry: ssh.grubEntry,
      variantCmdline: [],
      otherCmdline: [],
      modprobe: [],
      kernelDir: ssh.kernelDir,
      restore: false,
      bootTimeoutS: ssh.bootTimeout,
      watchdogS: ssh.watchdog,
      maxReboots: 0,
    },
    consoleLog: '/dev/null',
    note: () => undefined,
  });
  const who = `${endpoint.user ? `${endpoint.user}@` : ''}${endpoint.host}${endpoint.port ? `:${endpoint.port}` : ''}`;
  try {
    const conn = await dut.current();
    add('SSH connection', true, `${who} (multiplexed)`, undefined, true);
    const run = (argv: string[]) => conn.run(argv, { timeoutMs: 30_000 });
    const root = dut.isRoot;
    const sudo = root ? undefined : await run(['sudo', '-n', 'true']);
    add(
      'root or sudo',
      root || sudo?.exitCode === 0,
      root ? 'logged in as root' : sudo?.exitCode === 0 ? 'passwordless sudo' : `no passwordless sudo: ${sshComplaint(sudo?.stderr ?? '')}`,
      `on the DUT: echo '${endpoint.user ?? 'USER'} ALL=(root) NOPASSWD: ALL' | sudo tee /etc/sudoers.d/svmtest`,
      true,
    );
    const kexec = await run(['sh', '-c', 'command -v kexec']);
    const needsKexec = ssh.boot === 'kexec';
    add(
      'kexec-tools (DUT)',
      kexec.exitCode === 0 || !needsKexec,
      kexec.exitCode === 0 ? kexec.stdout.trim() : `not installed${needsKexec ? '' : ' (ssh.boot is not kexec)'}`,
      'on the DUT: sudo apt-get install -y kexec-tools',
      true,
    );
    if (ssh.boot === 'grub') {
      const grub = await run(['sh', '-c', 'command -v grub-reboot && command -v update-grub']);
      add(
        'grub-reboot (DUT)',
        grub.exitCode === 0,
        grub.exitCode === 0 ? 'installed' : 'missing',
        'on the DUT: sudo apt-get install -y grub2-common; set GRUB_DEFAULT=saved in /etc/default/grub, then sudo update-grub',
        true,
      );
    }
    const rsync = await run(['sh', '-c', 'command -v rsync']);
    add(
      'rsync (DUT)',
      rsync.exitCode === 0,
      rsync.exitCode === 0 ? rsync.stdout.trim() : 'not installed: kernels are copied with scp',
      'on the DUT: sudo apt-get install -y rsync',
    );
    const df = await run(['sh', '-c', 'd="$1"; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; df -Pk "$d" | tail -1', 'svmtest', ssh.kernelDir]);
    const freeKiB = Number(df.stdout.trim().split(/\s+/)[3]);
    add(
      'disk for kernels (DUT)',
      Number.isFinite(freeKiB) && freeKiB >= KERNEL_SPACE_KIB,
      Number.isFinite(freeKiB) ? `${Math.round(freeKiB / 1024)} MiB free under ${ssh.kernelDir}` : `cannot tell: ${sshComplaint(df.stderr)}`,
      `free at least ${KERNEL_SPACE_KIB / 1024} MiB under ${ssh.kernelDir}, or set ssh.kernelDir`,
      ssh.boot !== 'none',
    );
    await context.machineChecks(new SshTarget(dut, `DUT ${who}`), true);
  } catch (error) {
    if (!(error instanceof InfraError)) throw error;
    add(
      'SSH connection',
      false,
      `${who}: ${error.message}`,
      /Host key verification failed/.test(error.message)
        ? `check the DUT's fingerprint, then add it: ssh-keyscan -p ${endpoint.port ?? 22} ${endpoint.host} >> ${endpoint.knownHosts ?? '~/.ssh/known_hosts'}`
        : `check that ${who} is up and accepts your key: ssh ${endpoint.port ? `-p ${endpoint.port} ` : ''}${who.replace(/:\d+$/, '')} true`,
      true,
    );
  } finally {
    await dut.close();
  }
  const power = ssh.powerCommand
    ? [['power command', ssh.powerCommand]]
    : ssh.powerOff
      ? [['power off command', ssh.powerOff], ['power on command', ssh.powerOn], ...(ssh.powerStatus ? [['power status command', ssh.powerStatus]] : [])]
      : [['power command', undefined]];
  for (const [what, command] of [
    ...power,
    ['console command', ssh.consoleCommand],
    ...(ssh.consoleStop ? [['console stop command', ssh.consoleStop]] : []),
  ] as Array<[string, readonly string[] | undefined]>) {
    if (!command) {
      add(
        what,
        false,
        'not configured',
        what === 'power command'
          ? 'set ssh.powerCommand (e.g. [ipmitool, -I, lanplus, -H, BMC, chassis, power, cycle]), or ssh.powerOff, ssh.powerOn and ssh.powerStatus, so a dead DUT is recovered'
          : 'set ssh.consoleCommand (e.g. ipmitool … sol activate) to see panics on the console',
      );
      continue;
    }
    const found = command[0]!.includes('/') ? command[0] : await which(host, command[0]!);
    add(
      what,
      found !== undefined,
      found ? `${command.join(' ')} (not run by doctor)` : `${command[0]} not found here`,
      `install ${command[0]} on this machine`,
    );
  }
  // Reading the power state is harmless (doctor never switches a lab machine): it proves the BMC answers.
  if (ssh.powerStatus) {
    const state = await powerState(ssh.powerStatus);
    add(
      'DUT power (status)',
      state !== undefined,
      state ? `the power status command says ${state}` : 'the power status command did not say on or off',
      'check the BMC address and credentials',
    );
  }
}
