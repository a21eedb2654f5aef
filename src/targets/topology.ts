import type { Gpu } from '../model/run.js';
import type { Target } from './target.js';

const NODES = '/sys/class/kfd/kfd/topology/nodes';

// GPU families whose XNACK (retry on page fault) is supported; RDNA parts have none.
const XNACK_FAMILIES = /^gfx(90[68a]|94\d|95\d)$/;

/** gfx_target_version 90402 → gfx942, 90010 → gfx90a (minor and stepping printed in hex). */
export function gfxName(version: number): string {
  const major = Math.floor(version / 10000);
  const minor = Math.floor(version / 100) % 100;
  const step = version % 100;
  return `gfx${major}${minor.toString(16)}${step.toString(16)}`;
}

export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s*$/.exec(line);
    if (m) props.set(m[1]!, m[2]!);
  }
  return props;
}

/** GPUs from the KFD topology, read through the target; CPU nodes (simd_count 0) are left out. */
export async function discoverGpus(target: Target): Promise<Gpu[]> {
  const nodes = await target.readDir(NODES);
  if (!nodes) return [];
  const gpus: Gpu[] = [];
  for (const node of nodes.filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b))) {
    const text = await target.readFile(`${NODES}/${node}/properties`);
    if (!text) continue;
    const props = parseProperties(text);
    if (Number(props.get('simd_count') ?? '0') === 0) continue;
    const version = Number(props.get('gfx_target_version') ?? '0');
    const gfx = version > 0 ? gfxName(version) : 'unknown';
    const name = (await target.readFile(`${NODES}/${node}/name`))?.trim() || gfx;
    gpus.push({ node: Number(node), gfx, name, xnack: gfx === 'unknown' ? null : XNACK_FAMILIES.test(gfx) });
  }
  return gpus;
}
