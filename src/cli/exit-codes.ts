// The exit codes are a contract for CI (design.md); this file is the only place they are spelled.
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  infra: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
