// The SSH target: what one command costs over the multiplexed connection (a real sshd on this
// machine's loopback, against the host target's own process start), a 2,000-test run over SSH
// against the same run with --target host inside the DUT, and a kexec into the variant's kernel
// against a cold boot of the same DUT (the lab in a box: a QEMU guest with sshd, TCG here).
import { execa } from 'execa';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HostTarget } from '../dist/targets/host.js';
import { quoteArgv } from '../dist/targets/ssh/remote-shell.js';
import { SshConnection } from '../dist/targets/ssh/ssh-connection.js';
import { startLab } from '../test/lab/lab.mjs';
import { trivialProgram } from './engine.js';
import { fmtMs, row } from './measure.js';

const COMMANDS = 200;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function perCommand(run) {
  for (let i = 0; i < 10; i++) await run(); // warm up
  const times = [];
  for (let i = 0; i < COMMANDS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** A real sshd on 127.0.0.1, in its own mount namespace where root's shell startup files are empty (a lean DUT login). */
async function loopbackSshd(dir) {
  mkdirSync(dir, { recursive: true });
  for (const key of ['host', 'client']) {
    rmSync(join(dir, key), { force: true });
    rmSync(join(dir, `${key}.pub`), { force: true });
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)]);
  }
  const port = 20000 + (process.pid % 20000);
  const hostKey = (await execa('cat', [join(dir, 'host.pub')])).stdout.split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'client.pub')}`,
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'MaxSessions 64',
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true });
  const script = 'for f in /root/.bashrc /root/.profile; do [ -f "$f" ] && mount --bind /dev/null "$f"; done; exec /usr/sbin/sshd -D -e -f "$1"';
  const sshd = execa('unshare', ['-m', 'sh', '-c', script, 'sh', config], { reject: false });
  await new Promise((r) => setTimeout(r, 1000));
  return {
    endpoint: {
      host: '127.0.0.1',
      user: 'root',
      port,
      identityFile: join(dir, 'client'),
      knownHosts: join(dir, 'known_hosts'),
      checkHostKey: true,
      options: {},
      connectTimeoutS: 10,
    },
    stop: () => sshd.kill('SIGTERM'),
  };
}

export async function sshBench(bin, dataDir) {
  mkdirSync(dataDir, { recursive: true });
  const lines = ['### SSH target', '', row(['what', 'figure', 'goal']), row(['---', '---:', '---:'])];

  const sshd = await loopbackSshd(join(dataDir, 'loopback'));
  const conn = new SshConnection(sshd.endpoint);
  await conn.open(15_000);
  const overSsh = await perCommand(() => conn.run(['true']));
  await conn.close();
  sshd.stop();
  const host = new HostTarget();
  const onHost = await perCommand(() => host.exec({ argv: ['true'] }));
  lines.push(row(['one command over the multiplexed connection (loopback sshd, median of 200)', fmtMs(overSsh), `≤ 20 ms ${overSsh <= 20 ? '✓' : '✗'}`]));
  lines.push(row(['the same command with the host target', fmtMs(onHost), '']));

  const lab = await startLab('bench');
  try {
    const coldStart = performance.now();
    await lab.waitForSsh(300_000);
    const coldBoot = performance.now() - coldStart;
    const program = await trivialProgram(dataDir);
    const suite = join(dataDir, 'trivial.yaml');
    writeFileSync(suite, stringify({ name: 'trivial', kind: 'gtest', command: [program] }));
    const config = join(dataDir, 'svmtest.yaml');
    writeFileSync(config, stringify({ run: { retries: 0 }, ssh: lab.sshConfig({ boot: 'none' }) }));
    const viaSsh = async () => {
      const start = performance.now();
      const r = await execa(process.execPath, [bin, 'run', '-c', config, '--suite-file', suite, '--target', 'ssh', '-o', join(dataDir, `ssh-${Date.now()}`)], {
        reject: false,
      });
      if (r.exitCode !== 0) throw new Error(`svmtest run --target ssh exited ${r.exitCode}: ${r.stderr}`);
      return performance.now() - start;
    };
    // The same run by svmtest inside the DUT (the host's node and checkout over the guest's 9p root).
    const inGuest = async () => {
      const start = performance.now();
      const r = await lab.ssh(
        quoteArgv([process.execPath, bin, 'run', '-c', config, '--suite-file', suite, '--target', 'host', '-o', `/tmp/run-${Date.now()}`]),
      );
      if (r.exitCode !== 0) throw new Error(`svmtest run --target host in the DUT exited ${r.exitCode}: ${r.stderr}`);
      return performance.now() - start;
    };
    const ssh = Math.min(await viaSsh(), await viaSsh());
    const guest = Math.min(await inGuest(), await inGuest());
    lines.push(
      row([
        '2,000 trivial tests: `svmtest run --target ssh` (this machine → the DUT)',
        fmtMs(ssh),
        `≤ 1.5× ${ssh / guest <= 1.5 ? '✓' : '✗'} (${(ssh / guest).toFixed(2)}×)`,
      ]),
    );
    lines.push(row(['the same run with `--target host` inside the DUT', fmtMs(guest), '']));

    const kexecConfig = join(dataDir, 'svmtest-kexec.yaml');
    writeFileSync(
      kexecConfig,
      stringify({
        run: { retries: 0 },
        ssh: lab.sshConfig({ kernel: lab.kernel, initrd: lab.initramfs, bootTimeout: 300 }),
        variants: { gpusvm: { cmdline: ['svmtest.bench=1'], expect: { kfd: false } } },
      }),
    );
    const runKexec = async () => {
      const r = await execa(
        process.execPath,
        [
          bin,
          'run',
          '-c',
          kexecConfig,
          '--suite-file',
          suite,
          '--target',
          'ssh',
          '--variant',
          'gpusvm',
          '-f',
          'trivial/Trivial0.Case0',
          '-o',
          join(dataDir, `kexec-${Date.now()}`),
        ],
        {
          reject: false,
          env: { SVMTEST_TRACE: '1' },
        },
      );
      if (r.exitCode !== 0) throw new Error(`svmtest run with kexec exited ${r.exitCode}: ${r.stderr}`);
      const at = (phase) => Number(new RegExp(`trace: ${phase} at (\\d+) ms`).exec(r.stderr)?.[1]);
      return at('kernel log followed') - at('prepared');
    };
    await runKexec(); // the first copies the kernel to the DUT's disk; the second measures the boot
    const kexec = await runKexec();
    lines.push(row(["kexec into the variant's kernel (already on the DUT) to the first test", fmtMs(kexec), `${(kexec / coldBoot).toFixed(2)}× cold boot`]));
    lines.push(row(['cold boot of the same DUT to SSH answering', fmtMs(coldBoot), '']));
  } finally {
    await lab.stop();
  }
  return lines.join('\n');
}
