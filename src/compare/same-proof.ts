import type { RunInfo } from '../model/run.js';

/**
 * Two runs whose recorded proof is the same — variant, kernel release and build, kernel config —
 * measured one thing twice: a comparison of them says "no regressions" for the wrong reason.
 * Returns why they look the same, or undefined when they differ.
 */
export function sameProof(baseline: RunInfo, candidate: RunInfo): string | undefined {
  if (baseline.variant !== candidate.variant) return undefined;
  const a = baseline.environment;
  const b = candidate.environment;
  if (a.kernelRelease !== b.kernelRelease || a.kernelVersion !== b.kernelVersion) return undefined;
  if (JSON.stringify(a.kernelConfig ?? {}) !== JSON.stringify(b.kernelConfig ?? {})) return undefined;
  const kernel = a.kernelRelease ? `kernel ${a.kernelRelease}${a.kernelVersion ? ` (${a.kernelVersion})` : ''}` : 'no recorded kernel';
  return `both runs are variant "${baseline.variant}" on ${kernel} with the same kernel config`;
}
