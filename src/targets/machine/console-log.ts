import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseKernelLine, type KernelRecord } from '../../parsers/kernel-record.js';
import { cleanLine } from '../../parsers/text.js';

const TAIL_LINES = 200;
const BOOT_FAILED = 'SVMTEST-BOOT-FAILED';

/**
 * The guest's serial console: saved whole to console.log, its last lines kept for messages about
 * boots and crashes, and every kernel record on it (the panic that kills the agent included)
 * handed to whoever follows the kernel log.
 */
export class MachineConsole {
  private readonly lines: string[] = [];
  private readonly listeners = new Set<(record: KernelRecord) => void>();
  private bootFailure: string | undefined;

  constructor(private readonly file: string) {}

  /** A line of svmtest's own in console.log (e.g. the QEMU command of each boot). */
  mark(text: string): void {
    appendFileSync(this.file, `\n===== svmtest: ${text}\n`);
  }

  /** Reads one boot's console until QEMU closes it. */
  follow(stream: Readable): Promise<void> {
    this.bootFailure = undefined;
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    reader.on('line', (raw) => {
      appendFileSync(this.file, `${raw}\n`);
      const line = cleanLine(raw);
      this.lines.push(line);
      if (this.lines.length > TAIL_LINES) this.lines.splice(0, this.lines.length - TAIL_LINES);
      if (line.includes(BOOT_FAILED)) this.bootFailure = line;
      const record = parseKernelLine(line, true);
      if (record) this.emit(record);
    });
    return new Promise((resolve) => reader.once('close', () => resolve()));
  }

  /** The init script's own "the guest cannot come up" line, when it printed one this boot. */
  get failedBoot(): string | undefined {
    return this.bootFailure;
  }

  tail(lines: number): string[] {
    return this.lines.slice(-lines);
  }

  emit(record: KernelRecord): void {
    for (const listener of this.listeners) listener(record);
  }

  subscribe(listener: (record: KernelRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
