import type { Reporter } from './types.js';

export const jsonReporter: Reporter = {
  name: 'json',
  description: 'the result as JSON on standard output, for machines (the files are saved anyway)',
  render(result, { screen }) {
    screen.write(`${JSON.stringify(result.kind === 'comparison' ? result.comparison : result.run, null, 1)}\n`);
    return [];
  },
};
