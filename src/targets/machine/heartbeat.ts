import { readFileSync } from 'node:fs';
import { monotonicSeconds } from './clock.js';

export interface HeartbeatWatch {
  stop(): void;
}

/**
 * Follows the agent's heartbeat file (the guest's uptime, rewritten every 50 ms while requests come
 * and go, every 250 ms when idle). Each new beat updates the estimate of the guest clock; no new beat
 * for `seconds` means the guest hangs.
 */
export function watchHeartbeat(file: string, seconds: number, onOffset: (offset: number) => void, onHang: () => void): HeartbeatWatch {
  let last = '';
  let lastChange = Date.now();
  let hung = false;
  const samples: Array<{ at: number; offset: number }> = [];
  const timer = setInterval(() => {
    let beat = '';
    try {
      beat = readFileSync(file, 'utf8');
    } catch {
      // not written yet
    }
    if (beat !== last) {
      last = beat;
      lastChange = Date.now();
      // Guest uptime seen now: a lower bound of the clock offset. The best of the last few
      // seconds follows an emulated guest's clock as it drifts from the host's.
      const uptime = Number.parseFloat(beat);
      if (beat.endsWith('\n') && Number.isFinite(uptime)) {
        const now = monotonicSeconds();
        samples.push({ at: now, offset: uptime - now });
        while (samples.length > 0 && samples[0]!.at < now - 3) samples.shift();
        onOffset(Math.max(...samples.map((s) => s.offset)));
      }
    } else if (!hung && Date.now() - lastChange > seconds * 1000) {
      hung = true;
      onHang();
    }
  }, 100);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
