import { execa } from 'execa';
import { InfraError } from '../../model/errors.js';
import { quoteWord } from './remote-shell.js';
import { sshComplaint, type SshConnection } from './ssh-connection.js';

// rsync -e takes one string that rsync itself splits (honouring quotes): each ssh option is
// quoted as one word, so a control path or identity file with spaces stays one argument.
function rsyncShell(conn: SshConnection): string {
  return ['ssh', ...conn.options, '-o', 'ControlMaster=no'].map(quoteWord).join(' ');
}

function remote(conn: SshConnection, path: string): string {
  return `${conn.endpoint.host}:${path}`;
}

/**
 * Copies host files (or a directory's contents, with a trailing /) to a directory on the DUT over
 * the connection: rsync when both ends have it (only what changed is sent), else scp. With sudo,
 * rsync runs as root on the DUT; scp copies to a staging directory that root then moves.
 */
export async function copyToDut(
  conn: SshConnection,
  sources: readonly string[],
  dest: string,
  options: { sudo: boolean; mirror?: boolean },
): Promise<'rsync' | 'scp'> {
  const hasRsync = (await conn.run(['sh', '-c', 'command -v rsync'])).exitCode === 0;
  const local = await execa('rsync', ['--version'], { reject: false });
  if (hasRsync && local.exitCode === 0) {
    const args = ['-rlt', '--partial', ...(options.mirror ? ['--delete'] : []), '-e', rsyncShell(conn)];
    if (options.sudo) args.push('--rsync-path', 'sudo -n rsync');
    const result = await execa('rsync', [...args, ...sources, remote(conn, `${dest}/`)], { reject: false });
    if (result.exitCode !== 0) throw new InfraError(`copying to the DUT with rsync failed: ${sshComplaint(result.stderr)}`);
    return 'rsync';
  }
  const staging = options.sudo ? (await conn.run(['mktemp', '-d'])).stdout.trim() : dest;
  if (!staging) throw new InfraError('copying to the DUT: mktemp -d failed there');
  const result = await execa('scp', ['-r', '-p', ...conn.options, '-o', 'ControlMaster=no', ...sources, remote(conn, `${staging}/`)], { reject: false });
  if (result.exitCode !== 0) throw new InfraError(`copying to the DUT with scp failed: ${sshComplaint(result.stderr)}`);
  if (options.sudo) {
    const moved = await conn.run(['sudo', '-n', 'cp', '-a', `${staging}/.`, `${dest}/`]);
    await conn.run(['rm', '-rf', staging]);
    if (moved.exitCode !== 0) throw new InfraError(`copying to the DUT: sudo cp into ${dest} failed: ${sshComplaint(moved.stderr)}`);
  }
  return 'scp';
}
