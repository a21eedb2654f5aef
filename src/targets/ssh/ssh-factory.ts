import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InfraError, InputError } from '../../model/errors.js';
import type { TargetFactory } from '../plugin.js';
import type { SshSection } from './ssh-config.js';
import { sshDoctor } from './ssh-doctor.js';
import { sshEndpoint, sshFlags } from './ssh-endpoint.js';
import { rebootIntoDefault } from './kernel-boot.js';
import { sshSettings } from './ssh-resolve.js';
import { DutSupervisor } from './dut-supervisor.js';
import { identityFileProblem } from './ssh-connection.js';
import { SshTarget } from './ssh-target.js';

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${program}`));
}

export const sshFactory: TargetFactory = {
  async prepare(settings) {
    const ssh = sshSettings(settings);
    const endpoint = ssh.endpoint;
    if (!endpoint) throw new InputError('--target ssh needs the machine: --ssh [USER@]HOST[:PORT], or ssh.host in the config');
    if (!onPath('ssh')) throw new InfraError('ssh not found: sudo apt-get install -y openssh-client');
    for (const [what, file] of [
      ['identity file', endpoint.identityFile],
      ['known_hosts file', endpoint.knownHosts],
      ['kernel', ssh.kernel],
      ['initrd', ssh.initrd],
    ] as const) {
      if (file && !existsSync(file)) throw new InputError(`ssh ${what} ${file}: no such file`);
    }
    const identityProblem = endpoint.identityFile ? identityFileProblem(endpoint.identityFile) : undefined;
    if (identityProblem) throw new InputError(identityProblem);
    if (ssh.kernel && !statSync(ssh.kernel).isFile()) throw new InputError(`--kernel ${ssh.kernel}: not a file`);
    if (ssh.modules && !existsSync(resolve(ssh.modules, 'lib', 'modules')))
      throw new InputError(`--modules ${ssh.modules}: expected a directory holding lib/modules/<release>`);
    if (ssh.kernel && ssh.boot === 'none') settings.note(`ssh.boot is none: the DUT's running kernel is under test, ${ssh.kernel} is not deployed`);
    const warnings = endpoint.hostKeyOff
      ? [`the DUT's SSH host key was not checked (${endpoint.hostKeyOff}): the machine tested may not be ${endpoint.host}`]
      : [];
    return async () => {
      const dut = new DutSupervisor({ endpoint, settings: ssh, consoleLog: settings.files.console, note: settings.note });
      const who = `${endpoint.user ? `${endpoint.user}@` : ''}${endpoint.host}${endpoint.port ? `:${endpoint.port}` : ''}`;
      const target = new SshTarget(dut, `DUT ${who} over SSH`);
      try {
        await dut.current();
      } catch (error) {
        await dut.close();
        throw error;
      }
      const config = dut.kernel?.localConfig;
      const manifest = ssh.kernel ? resolve(ssh.kernel, '..', 'manifest.json') : undefined;
      return {
        target,
        ...(config ? { kernelConfigFile: config } : {}),
        ...(dut.kernel && manifest && existsSync(manifest) ? { kernelManifest: manifest } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    };
  },
  doctor: sshDoctor,
  /** ssh.restore after a series of runs (a bisect): the DUT rebooted into its default kernel, once. */
  async release(context) {
    const section = context.section as SshSection;
    const endpoint = sshEndpoint(section, sshFlags(context.flags), context.configPath);
    if (!section.restore || !endpoint) return;
    context.note('rebooting the DUT into its default kernel (ssh.restore)');
    await rebootIntoDefault(endpoint, endpoint.connectTimeoutS * 1000 + 5000);
  },
};
