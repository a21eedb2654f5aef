import type { Config } from '../config/schema.js';
import { InputError } from '../model/errors.js';
import type { SshEndpoint } from '../targets/ssh/ssh-settings.js';
import type { RunRequest } from './run-request.js';

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

/** The DUT's address from flags over the config; undefined when neither names one. */
export function sshEndpoint(ssh: Config['ssh'], request: RunRequest, path: (p: string | undefined) => string | undefined): SshEndpoint | undefined {
  const flag = request.ssh ? parseSshFlag(request.ssh) : undefined;
  const host = flag?.host ?? ssh.host;
  if (!host) return undefined;
  const user = flag?.user ?? ssh.user;
  const port = flag?.port ?? ssh.port;
  const identityFile = request.sshIdentity ?? path(ssh.identityFile);
  const knownHosts = path(ssh.knownHosts);
  return {
    host,
    ...(user ? { user } : {}),
    ...(port ? { port } : {}),
    ...(identityFile ? { identityFile } : {}),
    ...(knownHosts ? { knownHosts } : {}),
    checkHostKey: request.sshNoHostKeyCheck ? false : ssh.checkHostKey,
    options: { ...ssh.options, ...Object.fromEntries((request.sshOptions ?? []).map(parseOption)) },
    connectTimeoutS: CONNECT_TIMEOUT_S,
  };
}
