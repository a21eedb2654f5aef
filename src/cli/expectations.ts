import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { updateExpectationFiles } from '../pipeline/expectations-update.js';
import { note, writeOut } from './screen.js';

export async function expectationsUpdateCommand(runs: string[], flags: { out: string; perGfx?: boolean; json?: boolean }): Promise<ExitCode> {
  const written = updateExpectationFiles({ runs, out: flags.out, perGfx: flags.perGfx === true, now: new Date() });
  if (flags.json) writeOut(`${JSON.stringify({ schemaVersion: 1, kind: 'expectations-update', items: written.map(({ text: _text, ...w }) => w) }, null, 1)}\n`);
  for (const w of written) note(`wrote ${w.file}: ${w.kept} kept, ${w.added} added, ${w.removed} removed`);
  if (written.length === 0) note('nothing failed or flaked in these runs: no expectation file written');
  note('skips and known gaps (-skips.txt, -gaps.txt) are never rewritten: they say what the setup or the series cannot do');
  return EXIT.ok;
}
