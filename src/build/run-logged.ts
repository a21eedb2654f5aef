import { execa } from 'execa';
import { createWriteStream } from 'node:fs';
import { InfraError } from '../model/errors.js';

export interface LoggedCommand {
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

// Lines that carry a build failure's reason: compiler and linker errors, make and CMake complaints.
const ERROR_LINE = /error|Error|undefined reference|No rule to make|fatal|CMake Error|not found/;

/** A build command that did not end by itself (a signal: Ctrl-C, the OOM killer): says nothing about the source. */
export class BuildKilled extends InfraError {
  constructor(message: string) {
    super(message);
    this.name = 'BuildKilled';
  }
}

/**
 * Runs one build command (an argument vector), appending its output to the log and handing each
 * line on. A failure carries the lines that say why — not 500 lines of make — and where the log is.
 */
export async function runLogged(command: LoggedCommand, log: string, what: string, onLine: (line: string) => void = () => undefined): Promise<void> {
  const stream = createWriteStream(log, { flags: 'a' });
  stream.write(`\n$ ${command.argv.join(' ')}\n`);
  const [file, ...args] = command.argv;
  const child = execa(file!, args, {
    reject: false,
    all: true,
    buffer: false,
    stdin: 'ignore',
    ...(command.cwd ? { cwd: command.cwd } : {}),
    ...(command.env ? { env: command.env } : {}),
  });
  const tail: string[] = [];
  child.all?.on('data', (chunk: Buffer) => {
    stream.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 400) tail.shift();
      onLine(line);
    }
  });
  const result = await child;
  await new Promise((r) => stream.end(r));
  if (result.exitCode !== 0) {
    const relevant = tail.filter((l) => ERROR_LINE.test(l)).slice(-12);
    const why = result.exitCode === undefined ? ` (${result.shortMessage ?? 'could not start'})` : '';
    if (result.signal) throw new BuildKilled(`${what} was killed by ${result.signal} (full log: ${log})`);
    throw new InfraError(`${what} failed${why} (full log: ${log}):\n${(relevant.length > 0 ? relevant : tail.slice(-12)).join('\n')}`);
  }
}
