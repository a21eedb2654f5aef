import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR } from './seed-build.js';

export type KconfigValue = string; // y, m, n, or a string/number value

export function fragmentText(options: ReadonlyMap<string, KconfigValue>): string {
  return (
    [...options].map(([k, v]) => (v === 'n' ? `# CONFIG_${k} is not set` : `CONFIG_${k}=${/^[ymn]$|^-?\d+$|^0x/.test(v) ? v : `"${v}"`}`)).join('\n') + '\n'
  );
}

export interface KconfigProblem {
  readonly option: string;
  readonly requested: KconfigValue;
  readonly got: KconfigValue;
  readonly dependsOn?: string;
  readonly unmet: readonly string[];
}

function kconfigFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    // Not the build directory (inside the worktree; its `source` link points back at the tree).
    if (name === '.git' || name === BUILD_DIR || name === 'Documentation' || name === 'tools') continue;
    const path = join(dir, name);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory()) kconfigFiles(path, out);
    else if (name.startsWith('Kconfig')) out.push(path);
  }
  return out;
}

/** `depends on` of each option, read from the tree's Kconfig files (joined with &&). */
export function dependencies(sourceDir: string, options: readonly string[]): Map<string, string> {
  const wanted = new Set(options);
  const found = new Map<string, string[]>();
  for (const file of kconfigFiles(sourceDir)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    let current: string | undefined;
    for (const line of lines) {
      const head = /^\s*(?:menu)?config\s+(\w+)\s*$/.exec(line);
      if (head) {
        current = wanted.has(head[1]!) ? head[1]! : undefined;
        continue;
      }
      if (/^\s*(?:endmenu|endif|endchoice|choice|menu\s|if\s|comment\s|source\s)/.test(line)) current = undefined;
      const dep = current ? /^\s+depends on\s+(.+?)\s*$/.exec(line) : undefined;
      if (dep && current) found.set(current, [...(found.get(current) ?? []), `(${dep[1]!})`]);
    }
  }
  return new Map([...found].map(([k, v]) => [k, v.join(' && ')]));
}

/** Symbols of a dependency expression that are off in the resulting config. */
export function unmetSymbols(expression: string, config: ReadonlyMap<string, string>): string[] {
  const symbols = [...new Set(expression.match(/\b[A-Z][A-Z0-9_]+\b/g) ?? [])];
  return symbols.filter((s) => !/^(y|m|n)$/i.test(s) && (config.get(s) ?? 'n') === 'n' && !new RegExp(`!\\s*${s}\\b`).test(expression));
}

/**
 * Every requested option must have survived `make olddefconfig`: a Kconfig dependency that is
 * not met drops an option silently, and a kernel without the feature under test must not be built.
 */
export function verifyKconfig(requested: ReadonlyMap<string, KconfigValue>, result: ReadonlyMap<string, string>, sourceDir: string): KconfigProblem[] {
  const mismatched = [...requested].filter(([option, value]) => (result.get(option) ?? 'n') !== value);
  if (mismatched.length === 0) return [];
  const deps = dependencies(
    sourceDir,
    mismatched.map(([o]) => o),
  );
  return mismatched.map(([option, value]) => {
    const dependsOn = deps.get(option);
    return {
      option,
      requested: value,
      got: result.get(option) ?? 'n',
      ...(dependsOn ? { dependsOn } : {}),
      unmet: dependsOn ? unmetSymbols(dependsOn, result) : [],
    };
  });
}

export function describeProblem(p: KconfigProblem): string {
  const base = `CONFIG_${p.option}=${p.requested} was requested but the resulting config has CONFIG_${p.option}=${p.got}`;
  if (!p.dependsOn) return `${base} (no Kconfig entry found for it: a misspelt option, or not in this tree)`;
  return `${base}: it depends on ${p.dependsOn}${p.unmet.length > 0 ? `, and ${p.unmet.map((s) => `CONFIG_${s}`).join(', ')} ${p.unmet.length > 1 ? 'are' : 'is'} not set` : ''}`;
}
