import type { ComparisonFile } from '../model/comparison.js';
import type { RunFile } from '../model/run.js';

export type SavedResult = { kind: 'run'; run: RunFile } | { kind: 'comparison'; comparison: ComparisonFile };

/** The terminal and environment a reporter writes to: passed in, never read from globals. */
export interface Screen {
  /** Text for the reader; the screen makes escapes visible and defuses workflow commands. */
  readonly write: (text: string) => void;
  /** One of svmtest's own GitHub workflow commands, written as is (its data already escaped). */
  readonly command: (line: string) => void;
  readonly color: boolean;
  readonly width: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ReportContext {
  readonly screen: Screen;
  /** Where files go (junit.xml, summary.md); undefined → print to the screen instead. */
  readonly outDir: string | undefined;
}

export interface Reporter {
  readonly name: string;
  readonly description: string;
  /** Returns the files it wrote. */
  render(result: SavedResult, context: ReportContext): Promise<string[]> | string[];
}
