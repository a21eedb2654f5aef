// Loaded with `node --import` by the benchmarks: reports the peak resident set size at exit.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.SVMTEST_BENCH_RSS) writeFileSync(process.env.SVMTEST_BENCH_RSS, String(process.resourceUsage().maxRSS * 1024));
});
