import { InfraError, InputError, type SvmtestError } from './errors.js';

// A file-system error is said in one line naming the path and what is wrong. Whose fault it is
// decides the exit: a path the user gave that cannot be used is bad input (2); a disk that is full,
// read-only or failing is the machine (3).

const USER_PATH: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory (or a directory on the way is missing)',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ELOOP: 'too many symbolic links (or a symbolic link where none is allowed)',
  ENAMETOOLONG: 'the name is too long',
  ENXIO: 'is a FIFO or device with no reader',
};
const MACHINE: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/** The one-line error for a Node file-system error, or undefined when `error` is not one. */
export function fileSystemError(error: unknown, path?: string): SvmtestError | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  if (!code) return undefined;
  const where = path ?? e.path;
  const detail = e.syscall ? `${code}, ${e.syscall}` : code;
  if (code in USER_PATH) return new InputError(`${where ?? 'a file'}: ${USER_PATH[code]} (${detail})`, { cause: error });
  if (code in MACHINE) return new InfraError(`${MACHINE[code]}: cannot write ${where ?? 'a file'} (${code})`, { cause: error });
  return undefined;
}
