import { DEFAULT_PERF_SETTINGS } from '../compare/performance.js';
import type { PerfSettings } from '../model/comparison.js';

export interface PerfFlags {
  perfThreshold?: number;
  perfMinMs?: number;
  perfAlpha?: number;
  perfCorrection?: 'holm' | 'bh';
}

/** The performance verdict's settings from `--perf-threshold`, `--perf-min-ms`, `--perf-alpha`, `--perf-correction`. */
export function perfSettingsOf(flags: PerfFlags): PerfSettings {
  return {
    ...DEFAULT_PERF_SETTINGS,
    ...(flags.perfThreshold !== undefined ? { threshold: flags.perfThreshold } : {}),
    ...(flags.perfMinMs !== undefined ? { minDurationChangeMs: flags.perfMinMs } : {}),
    ...(flags.perfAlpha !== undefined ? { alpha: flags.perfAlpha } : {}),
    ...(flags.perfCorrection !== undefined ? { correction: flags.perfCorrection } : {}),
  };
}
