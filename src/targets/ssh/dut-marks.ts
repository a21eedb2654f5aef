import type { StartedGroup } from '../machine/process-group.js';
import type { KernelMarkWriter } from '../kernel-marks.js';
import { privileged } from './kernel-boot.js';
import { quoteArgv } from './remote-shell.js';
import type { SshConnection } from './ssh-connection.js';

// One record per line, each written through its own open of /dev/kmsg (the kernel rate-limits
// writes per open file): a shell loop on the DUT, fed over one SSH session.
const WRITER = 'while IFS= read -r l; do printf "%s\\n" "$l" > /dev/kmsg; done';

/**
 * svmtest's marks in the DUT's kernel log: one writer process per connection, started on the
 * first mark. While the DUT is down nothing is written: its records stay with the running test.
 */
export class DutMarks implements KernelMarkWriter {
  private writer: StartedGroup | undefined;
  private writerConn: SshConnection | undefined;

  constructor(
    private readonly connection: () => SshConnection | undefined,
    private readonly root: boolean,
  ) {}

  /** Starts the writer on a (new) connection at once, so the first mark of a test is not late. */
  attach(conn: SshConnection): void {
    if (this.writerConn === conn && this.writer) return;
    this.writer?.kill('SIGTERM');
    this.writer = conn.start(quoteArgv(privileged(this.root, ['sh', '-c', WRITER])), { stdin: true });
    this.writer.child.stdin!.on('error', () => undefined); // a writer that died with its connection
    this.writerConn = conn;
  }

  write(text: string): void {
    const conn = this.connection();
    if (!conn?.alive) return;
    this.attach(conn);
    this.writer!.child.stdin!.write(`<6>${text}\n`);
  }

  async close(): Promise<void> {
    this.writer?.child.stdin?.end();
    this.writer?.kill('SIGTERM');
    this.writer = undefined;
  }
}
