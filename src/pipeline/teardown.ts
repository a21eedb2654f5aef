/**
 * Cleanups registered when a resource is acquired (a lock, a VM, a signal handler) and run in
 * reverse on every exit path: normal end, error, interruption, deadline.
 */
export class Teardowns {
  private readonly stack: Array<{ readonly what: string; readonly run: () => unknown }> = [];

  add(what: string, run: () => unknown): void {
    this.stack.push({ what, run });
  }

  /** Runs every cleanup, newest first; one that fails does not stop the others. */
  async runAll(onError: (message: string) => void): Promise<void> {
    while (this.stack.length > 0) {
      const { what, run } = this.stack.pop()!;
      try {
        await run();
      } catch (error) {
        onError(`cleanup "${what}" failed: ${(error as Error).message}`);
      }
    }
  }
}
