// svmtest's exit codes are a contract for CI (README, "Exit codes"; `svmtest help exit-codes`).
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  infra: 3,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
