import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../model/errors.js';
import { recordLatestUserspace, userspaceViewDir } from '../artifacts.js';
import { sha } from '../hash.js';
import { buildSourceComponent, type ComponentBuild, type ComponentContext, type SourceBuildSpec } from './build-component.js';

export type ComponentSpec = { readonly prebuilt: string } | SourceBuildSpec;

export interface UserspaceBuild {
  readonly components: readonly (ComponentBuild | { readonly component: string; readonly prefix: string; readonly cacheHit: true; readonly prebuilt: true })[];
  /** The variant's {build} tree, when any component was built from source. */
  readonly view?: string;
}

/** Links every file of `from` into `to` (absolute symlinks; a link stays a link). */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const target = join(to, name);
    const stat = lstatSync(source);
    if (stat.isDirectory()) linkTree(source, target);
    else {
      rmSync(target, { force: true });
      symlinkSync(stat.isSymbolicLink() ? readlinkSync(source) : source, target);
    }
  }
}

/** The variant's components' prefixes as one tree: the suites' {build}. Rebuilt only when a component changed. */
function assembleView(cacheDir: string, variant: string, configFile: string, built: readonly ComponentBuild[]): string {
  const view = userspaceViewDir(cacheDir, variant, sha(...built.map((b) => b.prefix)).slice(0, 16));
  if (!existsSync(view)) {
    const staging = `${view}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    for (const component of built) linkTree(component.prefix, staging);
    renameSync(staging, view);
  }
  recordLatestUserspace(cacheDir, variant, configFile, {
    view,
    digest: sha(...built.map((b) => b.key)).slice(0, 16),
    components: built.map((b) => ({ component: b.component, source: b.source, sourceHash: b.sourceHash, cmake: b.cmake })),
  });
  return view;
}

/**
 * A variant's ROCm userspace: installed prefixes as they are, source components built (cached)
 * with the component's and the variant's CMake options, then linked into the variant's {build} tree.
 */
export async function buildUserspace(
  variant: string,
  /** The config the variant comes from: its runs find this build, runs of another config do not. */
  configFile: string,
  components: Readonly<Record<string, ComponentSpec>>,
  variantCmake: Readonly<Record<string, Readonly<Record<string, string>>>>,
  context: ComponentContext,
): Promise<UserspaceBuild> {
  const results: UserspaceBuild['components'][number][] = [];
  const built: ComponentBuild[] = [];
  for (const [name, spec] of Object.entries(components)) {
    if ('prebuilt' in spec) {
      if (!existsSync(spec.prebuilt))
        throw new InfraError(`userspace.${name}.prebuilt ${spec.prebuilt}: not found; install ROCm there, or build ${name} from source`);
      results.push({ component: name, prefix: spec.prebuilt, cacheHit: true, prebuilt: true });
      continue;
    }
    const build = await buildSourceComponent(name, spec, variantCmake[name] ?? {}, context);
    results.push(build);
    built.push(build);
  }
  return built.length > 0 ? { components: results, view: assembleView(context.cacheDir, variant, configFile, built) } : { components: results };
}
