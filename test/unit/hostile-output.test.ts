import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/compare/compare-runs.js';
import { NO_EXPECTATIONS } from '../../src/compare/expectations.js';
import { guardOutput, isWorkflowCommand, neutralize, neutralizeLine } from '../../src/model/untrusted-text.js';
import { githubReporter } from '../../src/reporters/github.js';
import { cdataText, junitReporter } from '../../src/reporters/junit.js';
import { fitSummary, markdownReporter, STEP_SUMMARY_LIMIT } from '../../src/reporters/markdown.js';
import { terminalReporter } from '../../src/reporters/terminal.js';
import type { SavedResult } from '../../src/reporters/types.js';
import { captureScreen, HOSTILE, HOSTILE_NAMES, hostileRuns, workflowCommandLines } from '../helpers/hostile.js';

const { baseline, candidate } = hostileRuns();
const comparison = compareRuns(baseline, candidate, { expectations: NO_EXPECTATIONS, now: new Date(0), toolVersion: '0.0.0' });
const results: SavedResult[] = [
  { kind: 'comparison', comparison },
  { kind: 'run', run: candidate },
];
const tmp = () => mkdtempSync(join(tmpdir(), 'svmtest-hostile-'));

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/;

describe('untrusted text', () => {
  it('makes every control character and escape visible, keeping tabs and (in multi-line text) newlines', () => {
    expect(neutralize(`${HOSTILE.osc}${HOSTILE.clearScreen}${HOSTILE.c1}\tx\ny`)).toBe('\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\tx\ny');
    expect(neutralizeLine(HOSTILE.newline)).toBe('first\\n::error::second');
    expect(neutralizeLine(HOSTILE.loneCr)).toBe('left\\x0dright');
    expect(neutralizeLine(HOSTILE.bidi)).toBe('abc\\u{202e}dcba');
  });

  it('makes invisible characters and bidi marks visible: zero-width space and joiners, LRM, RLM, ALM, word joiner', () => {
    const invisible = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u061c', '\u2060', '\u180e', '\ufeff'];
    for (const c of invisible) {
      const shown = neutralizeLine(`Test${c}.Name`);
      expect(shown, `U+${c.codePointAt(0)!.toString(16)}`).toBe(`Test\\u{${c.codePointAt(0)!.toString(16)}}.Name`);
    }
    // Ordinary non-ASCII text stays as it is.
    expect(neutralizeLine('Größe/テスト.é')).toBe('Größe/テスト.é');
  });

  it('no line can start a workflow command after neutralising, however it is indented', () => {
    for (const text of [HOSTILE.stopCommands, HOSTILE.addMask, HOSTILE.forgedError, HOSTILE.legacyCommand, `\u00a0\u2003::warning::x`, HOSTILE.newline]) {
      expect(workflowCommandLines(neutralize(text)), text).toEqual([]);
      expect(workflowCommandLines(neutralizeLine(text)), text).toEqual([]);
    }
  });

  it("guardOutput keeps svmtest's own colours and defuses everything else", () => {
    const out = guardOutput(`\x1b[31mred\x1b[39m ${HOSTILE.osc}${HOSTILE.clearScreen}\n${HOSTILE.stopCommands}\n${HOSTILE.legacyCommand}\n`);
    expect(out).toContain('\x1b[31mred\x1b[39m');
    expect(out).toContain('\\x1b]0;owned\\x07\\x1b[2J');
    expect(workflowCommandLines(out)).toEqual([]);
    expect(isWorkflowCommand('  ::error::x')).toBe(true);
  });
});

describe('reporters fed hostile names and outputs', () => {
  it('terminal: nothing raw reaches the screen, with or without colour', async () => {
    for (const color of [false, true]) {
      for (const result of results) {
        const screen = captureScreen({}, color);
        await terminalReporter.render(result, { screen, outDir: undefined });
        const text = screen.text().replace(/\x1b\[[0-9;]*m/g, ''); // svmtest's own colours
        expect(text).not.toMatch(RAW_CONTROL);
        expect(workflowCommandLines(text)).toEqual([]);
        expect(text).toContain('suite/Hostile4.\\x1b]0;owned\\x07');
      }
    }
  });

  it("github: only svmtest's own annotations, one per line, their data escaped", async () => {
    for (const result of results) {
      const screen = captureScreen({ GITHUB_ACTIONS: 'true' });
      await githubReporter.render(result, { screen, outDir: undefined });
      expect(screen.text()).toBe('');
      const commands = screen.commands();
      expect(commands.length).toBeGreaterThanOrEqual(HOSTILE_NAMES.length);
      for (const line of commands) {
        expect(line).toMatch(/^::(error|warning|notice) title=[^:]*::/);
        expect(line).not.toMatch(RAW_CONTROL);
        expect(line).not.toMatch(/[\r\n]/);
        expect(line.slice(2).includes('##[')).toBe(false);
      }
    }
  });

  it('markdown: a lone CR or newline in a name never breaks a table row', async () => {
    for (const result of results) {
      const dir = tmp();
      await markdownReporter.render(result, { screen: captureScreen(), outDir: dir });
      const text = readFileSync(join(dir, 'summary.md'), 'utf8');
      expect(text).not.toMatch(RAW_CONTROL);
      const rows = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('|---'));
      const cells = (row: string) => row.split(/(?<!\\)\|/).length;
      const header = rows.find((r) => r.includes('first failure'))!;
      for (const row of rows.filter((r) => r.includes('Hostile'))) expect(cells(row)).toBe(cells(header));
      expect(rows.filter((r) => r.includes('Hostile'))).toHaveLength(HOSTILE_NAMES.length);
    }
  });

  it("markdown: the step summary stays under GitHub's 1 MiB with what was there before, and says where the rest is", async () => {
    const dir = tmp();
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, 'x'.repeat(STEP_SUMMARY_LIMIT - 20_000));
    await markdownReporter.render(results[0]!, { screen: captureScreen({ GITHUB_STEP_SUMMARY: summary }), outDir: dir });
    const text = readFileSync(summary, 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(STEP_SUMMARY_LIMIT);
    const cut = fitSummary('line\n'.repeat(100_000), 4096, '/runs/x/summary.md');
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(4096);
    expect(cut).toMatch(/Summary cut at 4 KiB .* the full report is \/runs\/x\/summary\.md/);
  });

  it('junit: well-formed XML for any message, read back by a real parser with the text intact', async () => {
    for (const result of results) {
      const dir = tmp();
      await junitReporter.render(result, { screen: captureScreen(), outDir: dir });
      const xml = readFileSync(join(dir, 'junit.xml'), 'utf8');
      expect(XMLValidator.validate(xml)).toBe(true);
      const parsed = new XMLParser({ ignoreAttributes: false, cdataPropName: '#cdata' }).parse(xml) as unknown;
      expect(JSON.stringify(parsed)).toContain('"@_name":"Hostile7.a]]>b]]>c"');
    }
    // Every `]]>` survives a CDATA round trip, however many there are.
    const text = 'x]]>y]]>z]]>';
    const xml = `<a><![CDATA[${cdataText(text).replace(']]>', ']]]]><![CDATA[>')}]]></a>`;
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(new XMLParser().parse(xml).a).toBe(text);
  });
});
