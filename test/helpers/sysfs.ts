import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A KFD topology tree like /sys/class/kfd/kfd/topology: node 0 a CPU, then the given GPUs. */
export function fakeSysfs(root: string, gpus: Array<{ version: number; name: string }>): string {
  const nodes = join(root, 'class', 'kfd', 'kfd', 'topology', 'nodes');
  const write = (id: number, props: Record<string, number>, name: string) => {
    mkdirSync(join(nodes, String(id)), { recursive: true });
    writeFileSync(
      join(nodes, String(id), 'properties'),
      Object.entries(props)
        .map(([k, v]) => `${k} ${v}`)
        .join('\n') + '\n',
    );
    writeFileSync(join(nodes, String(id), 'name'), `${name}\n`);
  };
  write(0, { cpu_cores_count: 16, simd_count: 0, gfx_target_version: 0 }, '');
  for (const [i, g] of gpus.entries()) write(i + 1, { cpu_cores_count: 0, simd_count: 304, gfx_target_version: g.version, drm_render_minor: 128 + i }, g.name);
  return root;
}
