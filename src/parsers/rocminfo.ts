import { cleanLines } from './text.js';

export interface RocmAgent {
  readonly name: string;
  readonly marketingName?: string;
  readonly deviceType: string;
  readonly node?: number;
}

export interface RocminfoReport {
  /** rocminfo found a loaded KFD ("ROCk module is loaded"). */
  readonly kfdLoaded: boolean;
  readonly xnackQueryUnsupported: boolean;
  readonly agents: readonly RocmAgent[];
}

/** `rocminfo` output → whether KFD is up and which HSA agents (CPU, GPU) it sees. */
export function parseRocminfo(text: string): RocminfoReport {
  const agents: RocmAgent[] = [];
  let current: { name?: string; marketingName?: string; deviceType?: string; node?: number } | undefined;
  const flush = () => {
    if (current?.name && current.deviceType) {
      agents.push({
        name: current.name,
        deviceType: current.deviceType,
        ...(current.marketingName ? { marketingName: current.marketingName } : {}),
        ...(current.node !== undefined ? { node: current.node } : {}),
      });
    }
  };
  let kfdLoaded = false;
  let xnackQueryUnsupported = false;
  for (const line of cleanLines(text)) {
    if (/ROCk module is loaded/.test(line)) kfdLoaded = true;
    if (/does not support xnack mode query/.test(line)) xnackQueryUnsupported = true;
    if (/^Agent \d+\s*$/.test(line.trim())) {
      flush();
      current = {};
      continue;
    }
    const m = /^ {2}(Name|Marketing Name|Device Type|Node):\s+(.*?)\s*$/.exec(line);
    if (!m || !current) continue;
    if (m[1] === 'Name' && current.name === undefined) current.name = m[2]!;
    else if (m[1] === 'Marketing Name') current.marketingName = m[2]!;
    else if (m[1] === 'Device Type') current.deviceType = m[2]!;
    else if (m[1] === 'Node') current.node = Number(m[2]);
  }
  flush();
  return { kfdLoaded, xnackQueryUnsupported, agents };
}
