import { isFailing } from '../model/status.js';
import { neutralize } from '../model/untrusted-text.js';
import type { Reporter } from './types.js';
import { describeEvents, firstLine, notableEntries, VERDICT_LABEL } from './view.js';

/**
 * Workflow-command data must have %, CR and LF escaped, properties also : and , — after which
 * nothing in it can end the command or start another; control characters are made visible first.
 */
export function escapeData(text: string): string {
  return neutralize(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const MAX_ANNOTATIONS = 50; // GitHub shows at most 50 annotations of a kind per step

export const githubReporter: Reporter = {
  name: 'github',
  description: '::error / ::warning annotations for GitHub Actions (only when GITHUB_ACTIONS=true)',
  render(result, { screen }) {
    if (screen.env.GITHUB_ACTIONS !== 'true') return [];
    const lines: string[] = [];
    if (result.kind === 'comparison') {
      for (const w of result.comparison.warnings ?? []) lines.push(`::warning title=${escapeProperty('svmtest comparison')}::${escapeData(w)}`);
      for (const e of result.comparison.errors) lines.push(`::error title=${escapeProperty(`svmtest ${e.side} ${e.stage}`)}::${escapeData(e.message)}`);
      for (const entry of notableEntries(result.comparison.entries).slice(0, MAX_ANNOTATIONS)) {
        const level = entry.verdict === 'fixed' || entry.verdict === 'gap-closed' ? 'notice' : entry.verdict === 'flaky' ? 'warning' : 'error';
        const events = describeEvents(entry.candidate?.kernelEvents);
        const says = entry.verdict === 'gap-closed' ? entry.note : (entry.candidate?.message ?? entry.note);
        const body = [firstLine(says, 500), events ? `kernel: ${events}` : ''].filter(Boolean).join('\n');
        lines.push(
          `::${level} title=${escapeProperty(`${VERDICT_LABEL[entry.verdict]}: ${entry.suite}/${entry.name}`)}::${escapeData(body || VERDICT_LABEL[entry.verdict])}`,
        );
      }
    } else {
      for (const w of result.run.run.warnings ?? []) lines.push(`::warning title=${escapeProperty('svmtest run')}::${escapeData(w)}`);
      for (const e of result.run.errors) lines.push(`::error title=${escapeProperty(`svmtest ${e.stage}`)}::${escapeData(e.message)}`);
      for (const t of result.run.tests.filter((x) => isFailing(x.status)).slice(0, MAX_ANNOTATIONS)) {
        lines.push(`::error title=${escapeProperty(`${t.status}: ${t.suite}/${t.name}`)}::${escapeData(firstLine(t.message, 500) || t.status)}`);
      }
    }
    for (const line of lines) screen.command(line);
    return [];
  },
};
