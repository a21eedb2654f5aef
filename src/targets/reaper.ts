import { spawn, type ChildProcess } from 'node:child_process';

// A `kill -9` of svmtest runs no cleanup of its own: a small shell reaper, started with svmtest
// and fed the process groups it starts (and the private directories it makes, such as the SSH
// control sockets'), sees its stdin close when svmtest dies, kills them and removes those.
// It ignores Ctrl-C (that reaches the whole foreground group) and only ever acts on EOF.
// (dash's kill takes no `--`: a group is given as its negative id directly.)
const REAPER_SCRIPT = `
trap '' INT TERM HUP QUIT
set -f
live=" "
dirs=" "
while IFS= read -r line; do
  case "$line" in
    +*) live="$live\${line#+} " ;;
    -*) rest=" "; for x in $live; do [ "$x" = "\${line#-}" ] || rest="$rest$x "; done; live=$rest ;;
    =*) dirs="$dirs\${line#=} " ;;
    ~*) rest=" "; for x in $dirs; do [ "$x" = "\${line#~}" ] || rest="$rest$x "; done; dirs=$rest ;;
  esac
done
if [ "$live" != " " ]; then
  for x in $live; do kill -TERM "$x" 2>/dev/null; done
  sleep 2
  for x in $live; do kill -KILL "$x" 2>/dev/null; done
fi
for x in $dirs; do rm -rf -- "$x"; done
`;

/** A process id, or a process group as its negative id, as kill(1) takes them. */
export type KillTarget = number;

export class Reaper {
  private child: ChildProcess | undefined;
  private readonly live = new Set<KillTarget>();

  private send(line: string): void {
    if (!this.child) {
      this.child = spawn('sh', ['-c', REAPER_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'] });
      this.child.on('error', () => undefined);
      this.child.stdin!.on('error', () => undefined);
      // Neither the reaper nor its pipe keeps svmtest alive.
      this.child.unref();
      (this.child.stdin as unknown as { unref?: () => void }).unref?.();
    }
    this.child.stdin!.write(`${line}\n`);
  }

  /** Kill this group (negative id) or process if svmtest dies before it ends. */
  track(target: KillTarget | undefined): void {
    if (target === undefined || target === 0) return;
    this.live.add(target);
    this.send(`+${target}`);
  }

  untrack(target: KillTarget | undefined): void {
    if (target === undefined || !this.live.delete(target)) return;
    this.send(`-${target}`);
  }

  /** Removes this directory if svmtest dies first: svmtest's own mkdtemp directories (no spaces or newlines). */
  removeOnExit(dir: string): void {
    if (!/\s/.test(dir)) this.send(`=${dir}`);
  }

  forget(dir: string): void {
    if (!/\s/.test(dir)) this.send(`~${dir}`);
  }

  /** Everything tracked, at once (a second Ctrl-C): the run still writes its results afterwards. */
  killAll(signal: NodeJS.Signals): void {
    for (const target of this.live) {
      try {
        process.kill(target, signal);
      } catch {
        // already gone
      }
    }
  }
}

/** One per svmtest process: whatever starts a process group registers it here. */
export const processReaper = new Reaper();
