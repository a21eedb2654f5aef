import { EXIT, type ExitCode } from '../model/exit-codes.js';
import { buildVariants } from '../pipeline/build-variants.js';
import { formatDuration } from '../reporters/view.js';
import { note, statusLine, writeOut } from './screen.js';

export interface BuildFlags {
  config?: string;
  variant?: string;
  json?: boolean;
}

/** `svmtest build`: the steps as lines; in a terminal, the build log's tail on one line below them. */
export async function buildCommand(flags: BuildFlags): Promise<ExitCode> {
  const live = process.stderr.isTTY === true && !process.env.CI;
  let lastShown = 0;
  const results = await buildVariants(flags.config, flags.variant, {
    step: (variant, title) => {
      if (live) statusLine('');
      note(`[build ${variant}] ${title}`);
    },
    // The tail of the build log, live in a terminal; CI logs get the steps only (the full log is saved).
    logLine: (line) => {
      const now = Date.now();
      if (!live || now - lastShown < 200) return;
      statusLine(`  ${line.slice(0, (process.stderr.columns ?? 100) - 4)}`);
      lastShown = now;
    },
    built: ({ variant, kernel, userspace, ms }) => {
      if (live) statusLine('');
      const parts = [
        ...(kernel ? [`kernel ${kernel.release} ${kernel.cacheHit ? '(cache hit)' : '(built)'} → ${kernel.dir}`] : []),
        ...(userspace.view
          ? [`userspace ${userspace.components.map((c) => `${c.component}${c.cacheHit ? ' (cache hit)' : ''}`).join(', ')} → {build} ${userspace.view}`]
          : []),
      ];
      note(`[build ${variant}] done in ${formatDuration(Math.round(ms))}: ${parts.join('; ')}`);
    },
  });
  if (flags.json) writeOut(`${JSON.stringify(results, null, 1)}\n`);
  return EXIT.ok;
}
