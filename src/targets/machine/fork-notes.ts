import { basename } from 'node:path';

/** What a run's reader must know of its fork servers: which programs' tests were forked, and which could not be, and why. */
export class ForkNotes {
  private readonly forked = new Map<string, number>();
  private readonly refused = new Map<string, string>();
  private unavailableWhy: string | undefined;

  forkedFrom(program: string): void {
    const name = basename(program);
    this.forked.set(name, (this.forked.get(name) ?? 0) + 1);
  }

  refusedBy(program: string, why: string): void {
    this.refused.set(basename(program), why);
  }

  unavailable(why: string): void {
    this.unavailableWhy = why;
  }

  notes(): string[] {
    const notes = [...this.forked].map(
      ([program, count]) =>
        `${program}: ${count} test process(es) forked from a warm start of the program (fork server); --no-fork-server starts each with its own exec`,
    );
    for (const [program, why] of this.refused) notes.push(`${program}: no fork server (${why}); each of its test processes was started with its own exec`);
    if (this.unavailableWhy) notes.push(`no fork server on this machine (${this.unavailableWhy}); each test process was started with its own exec`);
    return notes;
  }
}
