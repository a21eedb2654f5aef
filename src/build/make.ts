import { execa } from 'execa';
import { createWriteStream } from 'node:fs';
import { InfraError } from '../model/errors.js';

/** make -C source …, its output appended to the log; a failure carries the compiler's error lines, not the whole log. */
export async function runMake(source: string, args: readonly string[], log: string, context: { readonly logLine: (line: string) => void }): Promise<void> {
  const stream = createWriteStream(log, { flags: 'a' });
  stream.write(`\n$ make ${args.join(' ')}\n`);
  const child = execa('make', ['-C', source, ...args], { reject: false, all: true, buffer: false, stdin: 'ignore' });
  const tail: string[] = [];
  child.all?.on('data', (chunk: Buffer) => {
    stream.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > 400) tail.shift();
      context.logLine(line);
    }
  });
  const result = await child;
  await new Promise((r) => stream.end(r));
  if (result.exitCode !== 0) {
    // The compiler's error, not 500 lines of make.
    const relevant = tail.filter((l) => /error|Error|undefined reference|No rule to make|fatal/.test(l)).slice(-12);
    throw new InfraError(
      `make ${args.filter((a) => !a.startsWith('-j')).join(' ')} failed (full log: ${log}):\n${(relevant.length > 0 ? relevant : tail.slice(-12)).join('\n')}`,
    );
  }
}
