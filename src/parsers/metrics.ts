import type { Metric, MetricBetter } from '../model/run.js';

/**
 * How a suite finds a number in its tests' output (svmtest.yaml or a suite file, `metrics:`):
 * `pattern` is matched against each output line and its `value` group (else its first group) is
 * the number; `name` may use the pattern's other named groups, `{size}`, and `{section}`, the
 * `section` group of the last line that matched `section` (rocrtst prints one table per copy path).
 */
export interface MetricSpec {
  readonly name: string;
  readonly pattern: string;
  readonly unit: string;
  readonly better: MetricBetter;
  readonly section?: string;
}

/** A metric name stays short and printable whatever the output held. */
const MAX_NAME = 120;

interface CompiledSpec {
  readonly spec: MetricSpec;
  readonly pattern: RegExp;
  readonly section?: RegExp;
}

/** Reads one test's output line by line into named metrics; a name seen twice keeps its first value. */
export class MetricScanner {
  private readonly specs: readonly CompiledSpec[];
  private readonly sections = new Map<CompiledSpec, string>();
  private readonly found = new Map<string, Metric>();

  constructor(specs: readonly MetricSpec[]) {
    this.specs = specs.map((spec) => ({
      spec,
      pattern: new RegExp(spec.pattern),
      ...(spec.section ? { section: new RegExp(spec.section) } : {}),
    }));
  }

  line(text: string): void {
    for (const compiled of this.specs) {
      const section = compiled.section?.exec(text);
      if (section) {
        this.sections.set(compiled, (section.groups?.section ?? section[1] ?? section[0]).trim());
        continue;
      }
      const match = compiled.pattern.exec(text);
      if (!match) continue;
      const value = Number(match.groups?.value ?? match[1]);
      if (!Number.isFinite(value)) continue;
      const name = metricName(compiled.spec.name, match.groups ?? {}, this.sections.get(compiled));
      if (name && !this.found.has(name)) this.found.set(name, { value, unit: compiled.spec.unit, better: compiled.spec.better });
    }
  }

  /** The metrics found, or undefined when there were none (run.json then has no `metrics`). */
  result(): Record<string, Metric> | undefined {
    return this.found.size > 0 ? Object.fromEntries(this.found) : undefined;
  }
}

function metricName(template: string, groups: Record<string, string | undefined>, section: string | undefined): string {
  const name = template
    .replace(/\{(\w+)\}/g, (whole, key: string) => (key === 'section' ? (section ?? '') : (groups[key]?.trim() ?? whole)))
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return name.slice(0, MAX_NAME);
}

/** Metrics of a whole output (a test whose output arrived at once). */
export function scanMetrics(specs: readonly MetricSpec[], output: string): Record<string, Metric> | undefined {
  const scanner = new MetricScanner(specs);
  for (const line of output.split('\n')) scanner.line(line);
  return scanner.result();
}
