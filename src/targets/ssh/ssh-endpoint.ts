import { InputError } from '../../model/errors.js';
import type { TargetFlagValues } from '../plugin.js';
import type { SshSection } from './ssh-config.js';
import type { SshEndpoint } from './ssh-settings.js';

/** The SSH target's flags, as given (TargetFlag keys of ./plugin.ts). */
export interface SshFlags {
  readonly ssh?: string;
  readonly sshIdentity?: string;
  readonly sshOption?: readonly string[];
  /** false: --no-ssh-host-key-check. */
  readonly sshHostKeyCheck?: boolean;
}

export function sshFlags(flags: TargetFlagValues): SshFlags {
  return flags as SshFlags;
}

const CONNECT_TIMEOUT_S = 10;

/** --ssh [USER@]HOST[:PORT] (an IPv6 address in brackets: [::1]:2222). */
export function parseSshFlag(value: string): { host: string; user?: string; port?: number } {
  const match = /^(?:([^@\s]+)@)?(\[[0-9a-fA-F:.]+\]|[^@:\s[\]]+)(?::(\d{1,5}))?$/.exec(value);
  const port = match?.[3] ? Number(match[3]) : undefined;
  if (!match || (port !== undefined && (port < 1 || port > 65535)))
    throw new InputError(`--ssh "${value}": expected [USER@]HOST[:PORT], e.g. ci@mi300-lab-03 or root@127.0.0.1:2222`);
  const host = match[2]!.replace(/^\[(.*)\]$/, '$1');
  if (host.startsWith('-')) throw new InputError(`--ssh "${value}": a host name cannot start with -`);
  return { host, ...(match[1] ? { user: match[1] } : {}), ...(port !== undefined ? { port } : {}) };
}

/** --ssh-option KEY=VALUE (ssh_config syntax). */
function parseOption(value: string): [string, string] {
  const match = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(value);
  if (!match) throw new InputError(`--ssh-option "${value}": expected KEY=VALUE, e.g. ProxyJump=bastion`);
  return [match[1]!, match[2]!];
}

/**
 * ssh options that switch host-key checking off as surely as --no-ssh-host-key-check: the run must
 * say so in the same words. (accept-new trusts whatever key a first connection meets.)
 */
function weakensHostKeyCheck(options: Readonly<Record<string, string>>): string | undefined {
  for (const [key, value] of Object.entries(options)) {
    const k = key.toLowerCase();
    const v = value.trim().toLowerCase();
    if (k === 'stricthostkeychecking' && ['no', 'off', 'accept-new', 'false'].includes(v)) return `${key}=${value}`;
    if ((k === 'userknownhostsfile' || k === 'globalknownhostsfile') && v === '/dev/null') return `${key}=${value}`;
  }
  return undefined;
}

/** The DUT's address from flags over the config; undefined when neither names one. */
export function sshEndpoint(ssh: SshSection, request: SshFlags, path: (p: string | undefined) => string | undefined): SshEndpoint | undefined {
  const flag = request.ssh ? parseSshFlag(request.ssh) : undefined;
  const host = flag?.host ?? ssh.host;
  if (!host) return undefined;
  // Whatever reaches ssh's command line as the destination must not be read as an option.
  if (!flag && host.startsWith('-')) throw new InputError(`ssh.host "${host.slice(0, 60)}": a host name cannot start with -`);
  const user = flag?.user ?? ssh.user;
  if (user?.startsWith('-')) throw new InputError(`${flag?.user ? '--ssh' : 'ssh.user'} "${user.slice(0, 60)}": a user name cannot start with -`);
  const port = flag?.port ?? ssh.port;
  const identityFile = request.sshIdentity ?? path(ssh.identityFile);
  const options = { ...ssh.options, ...Object.fromEntries((request.sshOption ?? []).map(parseOption)) };
  const knownHosts = path(ssh.knownHosts);
  return {
    host,
    ...(user ? { user } : {}),
    ...(port ? { port } : {}),
    ...(identityFile ? { identityFile } : {}),
    ...(knownHosts ? { knownHosts } : {}),
    ...hostKeyPolicy(ssh, request, options),
    options,
    connectTimeoutS: CONNECT_TIMEOUT_S,
  };
}

/**
 * Whether svmtest switches host-key checking off itself (the flag, the config key), and what left
 * the host key unchecked — those, or an ssh option the user passes on as given — for the warning.
 */
function hostKeyPolicy(ssh: SshSection, request: SshFlags, options: Readonly<Record<string, string>>): Pick<SshEndpoint, 'checkHostKey' | 'hostKeyOff'> {
  if (request.sshHostKeyCheck === false) return { checkHostKey: false, hostKeyOff: '--no-ssh-host-key-check' };
  if (!ssh.checkHostKey) return { checkHostKey: false, hostKeyOff: 'ssh.checkHostKey: false' };
  const weakening = weakensHostKeyCheck(options);
  const given = weakening && (request.sshOption ?? []).some((o) => o.toLowerCase() === weakening.toLowerCase());
  if (weakening) return { checkHostKey: true, hostKeyOff: given ? `--ssh-option ${weakening}` : `ssh.options ${weakening}` };
  return { checkHostKey: true };
}
