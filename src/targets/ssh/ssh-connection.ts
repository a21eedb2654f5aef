import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError } from '../../model/errors.js';
import { startGroup, type StartedGroup } from '../machine/process-group.js';
import { processReaper } from '../reaper.js';
import { type ChannelResult, CommandChannel } from './command-channel.js';
import { quoteArgv } from './remote-shell.js';
import type { SshEndpoint } from './ssh-settings.js';

/** The ssh options for an endpoint: the system's OpenSSH client, so ssh_config, agents and ProxyJump all apply. */
export function sshOptions(endpoint: SshEndpoint, controlPath: string): string[] {
  const o = (key: string, value: string) => ['-o', `${key}=${value}`];
  return [
    ...o('BatchMode', 'yes'), // never a password prompt in a CI job
    ...o('ControlPath', controlPath),
    ...o('ConnectTimeout', String(endpoint.connectTimeoutS)),
    // -o forms only: scp and rsync's ssh take the same options (scp's -p and -l mean other things).
    ...(endpoint.port ? o('Port', String(endpoint.port)) : []),
    ...(endpoint.user ? o('User', endpoint.user) : []),
    ...(endpoint.identityFile ? [...o('IdentityFile', endpoint.identityFile), ...o('IdentitiesOnly', 'yes')] : []),
    ...(endpoint.knownHosts ? o('UserKnownHostsFile', endpoint.knownHosts) : []),
    // Only when asked (ssh.checkHostKey: false, --no-ssh-host-key-check); the run then says so.
    ...(endpoint.checkHostKey ? [] : [...o('StrictHostKeyChecking', 'no'), ...o('UserKnownHostsFile', '/dev/null'), ...o('LogLevel', 'ERROR')]),
    ...Object.entries(endpoint.options).flatMap(([key, value]) => o(key, value)),
  ];
}

/** The last line of ssh's own complaint, for messages ("Host key verification failed.", "Connection refused"). */
export function sshComplaint(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('Warning: Permanently added') && !/^debug\d: /.test(l));
  const last = lines.at(-1) ?? 'no message from ssh';
  // ssh's reason is lines above its last one: say it, and how to fix it.
  const unprotected = /^Permissions (0\d+) for '(.+)' are too open\.$/m.exec(stderr);
  if (unprotected)
    return `${last} — ssh ignored the identity file ${unprotected[2]}: mode ${unprotected[1]} lets others read it; fix: chmod 600 ${unprotected[2]}`;
  return last;
}

/**
 * An identity file ssh would refuse: a private key others can read (ssh then says only "Permission
 * denied (publickey)"). Returns why and the fix, or undefined when it is usable.
 */
export function identityFileProblem(file: string): string | undefined {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch {
    return `ssh identity file ${file}: no such file`;
  }
  if (!stat.isFile()) return `ssh identity file ${file}: not a regular file`;
  const mode = stat.mode & 0o777;
  // ssh checks this only for keys the user owns (root's keys included).
  if (stat.uid === process.getuid?.() && (mode & 0o077) !== 0) {
    return `ssh identity file ${file}: mode 0${mode.toString(8)} lets others read the private key, so ssh refuses it ("Permission denied (publickey)"); fix: chmod 600 ${file}`;
  }
  return undefined;
}

/**
 * One multiplexed SSH connection to the DUT: a master process svmtest owns (a child of this
 * process, known to the reaper), and every command a client of it over a private socket, so a
 * command costs a round trip, not a handshake.
 */
export class SshConnection {
  private master: StartedGroup | undefined;
  private channel: CommandChannel | undefined;
  private readonly socketDir = mkdtempSync(join(tmpdir(), 'svmtest-sshmux-'));
  readonly controlPath = join(this.socketDir, 'master');

  constructor(readonly endpoint: SshEndpoint) {
    // A kill -9 of svmtest leaves no control directory behind: the reaper removes it.
    processReaper.removeOnExit(this.socketDir);
  }

  get options(): string[] {
    return sshOptions(this.endpoint, this.controlPath);
  }

  get alive(): boolean {
    return this.master !== undefined && this.master.child.exitCode === null && this.master.child.signalCode === null;
  }

  /** Set (by an open that watches for it) once the server's SSH banner came: something answers, however slowly. */
  answered = false;

  /**
   * Connects (authenticating once); rejects with ssh's own reason when it cannot. watchBanner: ssh
   * says (-v) when the server's banner arrives, which sets `answered`.
   */
  async open(timeoutMs: number, watchBanner = false): Promise<void> {
    const master = startGroup({ argv: ['ssh', ...(watchBanner ? ['-v'] : []), '-M', '-N', ...this.options, '-o', 'ControlPersist=no', this.endpoint.host] });
    this.master = master;
    let stderr = '';
    master.child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096);
      if (watchBanner && !this.answered && /^debug1: Remote protocol version /m.test(stderr)) this.answered = true;
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) {
        await master.done;
        throw new InfraError(`ssh ${this.endpoint.host}: ${sshComplaint(stderr)}`);
      }
      if ((await this.control('check')) === 0) return;
      if (Date.now() > deadline) {
        master.kill('SIGKILL');
        throw new InfraError(`ssh ${this.endpoint.host}: no connection within ${Math.round(timeoutMs / 1000)} s (${sshComplaint(stderr)})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private control(command: 'check' | 'exit'): Promise<number | null> {
    return new Promise((resolve) => {
      const child = spawn('ssh', ['-O', command, ...this.options, this.endpoint.host], { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(null));
      child.once('close', (code) => resolve(code));
    });
  }

  /**
   * A remote forward on the open connection: connections to the DUT's loopback port (chosen by
   * sshd, returned) reach localPort on this machine. Returns undefined when sshd refuses.
   */
  async forwardToLocal(localPort: number): Promise<{ remotePort: number; cancel: () => Promise<void> } | undefined> {
    const spec = `0:127.0.0.1:${localPort}`;
    const result = await this.runControl(['-O', 'forward', '-R', spec]);
    const remotePort = Number(result.stdout.trim());
    if (result.code !== 0 || !Number.isInteger(remotePort) || remotePort <= 0) return undefined;
    return { remotePort, cancel: async () => void (await this.runControl(['-O', 'cancel', '-R', `${remotePort}:127.0.0.1:${localPort}`])) };
  }

  private runControl(args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
    return new Promise((resolve) => {
      // Out of the foreground group, like every ssh svmtest starts: a terminal's Ctrl-C is svmtest's to handle.
      const child = spawn('ssh', [...args, ...this.options, this.endpoint.host], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.once('error', () => resolve({ code: null, stdout }));
      child.once('close', (code) => resolve({ code, stdout }));
    });
  }

  /** The argv that runs a remote command line through the master. */
  argv(remoteLine: string): string[] {
    return ['ssh', ...this.options, '-o', 'ControlMaster=no', '-T', this.endpoint.host, '--', remoteLine];
  }

  /** Starts a remote command line; its local ssh client is in its own group, known to the reaper. */
  start(remoteLine: string, options: { stdin?: boolean } = {}): StartedGroup {
    return startGroup({ argv: this.argv(remoteLine) }, options);
  }

  /**
   * Runs an argument vector on the DUT and collects its output (binary-safe stdout): through the
   * command channel, or `alone` in its own session — for what must not wait behind another
   * command (a heartbeat, a kill) or would hold the channel for long (a deploy step).
   */
  async run(argv: readonly string[], options: { timeoutMs?: number; alone?: boolean } = {}): Promise<ChannelResult> {
    if (options.alone) return this.runAlone(argv, options.timeoutMs);
    this.channel ??= new CommandChannel((line) => this.start(line, { stdin: true }));
    return this.channel.run(argv, options.timeoutMs);
  }

  /** Nothing queued on the command channel (or none yet). */
  get channelIdle(): boolean {
    return this.channel?.idle ?? true;
  }

  private async runAlone(argv: readonly string[], timeoutMs?: number): Promise<ChannelResult> {
    const started = this.start(quoteArgv(argv));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    started.child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    started.child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = timeoutMs ? setTimeout(() => started.kill('SIGKILL'), timeoutMs) : undefined;
    const exit = await started.done;
    if (timer) clearTimeout(timer);
    const bytes = Buffer.concat(out);
    return {
      exitCode: exit.exitCode,
      signal: exit.signal,
      stdout: bytes.toString('utf8'),
      stderr: exit.startError ?? Buffer.concat(err).toString('utf8'),
      bytes,
    };
  }

  async close(): Promise<void> {
    this.channel?.close();
    this.channel = undefined;
    if (this.alive) {
      await this.control('exit');
      this.master?.kill('SIGTERM');
      await this.master?.done;
    }
    this.master = undefined;
    rmSync(this.socketDir, { recursive: true, force: true });
    processReaper.forget(this.socketDir);
  }
}

/** When the tries of openFirst start, in ms after the first: a try waits a whole ConnectTimeout when it knocked too early. */
const TRY_STARTS_MS = [0, 3000, 9000];

/**
 * Opens a connection to a DUT that is coming back up. A try made while it was still down can wait a
 * whole ConnectTimeout for an answer that never comes (a routed or forwarded port swallows the
 * connection; measured on the lab, 7 s lost per boot), so later tries start beside it while no try
 * has had the server's banner (a slow sshd that answered gets no rival logins), and the first to
 * open wins; the others are closed. Rejects with the last failure once every try has failed.
 */
export function openFirst(endpoint: SshEndpoint, timeoutMs: number, startsMs: readonly number[] = TRY_STARTS_MS): Promise<SshConnection> {
  return new Promise((resolve, reject) => {
    const pending = new Set<SshConnection>();
    const timers = startsMs.slice(1).map((at) => setTimeout(tryOnce, at));
    let settled = false;
    let lastError: unknown;
    function settle(): void {
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      for (const other of pending) void other.close();
    }
    function tryOnce(): void {
      if (settled || [...pending].some((p) => p.answered)) return;
      const conn = new SshConnection(endpoint);
      pending.add(conn);
      conn.open(timeoutMs, true).then(
        () => {
          pending.delete(conn);
          if (settled) return void conn.close();
          settle();
          resolve(conn);
        },
        async (error: unknown) => {
          pending.delete(conn);
          await conn.close();
          if (settled) return;
          lastError = error;
          // Refused at once (nothing listens yet): the caller waits and knocks again.
          if (pending.size === 0) {
            settle();
            reject(lastError);
          }
        },
      );
    }
    tryOnce();
  });
}
