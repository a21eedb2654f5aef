import { existsSync } from 'node:fs';

// Where distributions install coreutils' stdbuf library (Debian and Fedora, Arch, a source build).
const LIBSTDBUF = [
  '/usr/libexec/coreutils/libstdbuf.so',
  '/usr/lib/coreutils/libstdbuf.so',
  '/usr/lib64/coreutils/libstdbuf.so',
  '/usr/local/libexec/coreutils/libstdbuf.so',
];

let found: string | null | undefined;

/** coreutils' stdbuf library on this machine's root, looked up once; undefined when it is not installed. */
export function libstdbuf(): string | undefined {
  if (found === undefined) found = LIBSTDBUF.find((path) => existsSync(path)) ?? null;
  return found ?? undefined;
}

/**
 * The environment that makes a program's stdout and stderr line-buffered, as `stdbuf -oL -eL`
 * sets it before it execs the program: the same library, preloaded after any the environment
 * already preloads. Set directly, the test process starts without stdbuf's own exec (measured on
 * this machine kind: ~8 ms of CPU per process under load; every exec is slower in an emulated guest).
 */
export function lineBufferedEnv(library: string, env: Readonly<Record<string, string>>, inherited?: string): Record<string, string> {
  return { ...env, LD_PRELOAD: preloading(library, env.LD_PRELOAD ?? inherited), _STDBUF_O: 'L', _STDBUF_E: 'L' };
}

/** LD_PRELOAD with `library` preloaded after what it already preloads. */
export function preloading(library: string, preload: string | undefined): string {
  return preload ? `${preload}:${library}` : library;
}
