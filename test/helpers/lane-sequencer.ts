import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The kernel builds first in their lane: the one cold kernel build of the run starts at once, and
// the tests after it start from its objects. Files that need a service .ci/run starts in the
// background (LAVA takes minutes to come up) last, so their lane works while the service starts.
const FIRST = /\/e2e\/(bisect|kernel-build)\.test\.ts$/;
const LAST = /\/(lava|start-scripts)\.test\.ts$/;

export default class LaneSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => (FIRST.test(file.moduleId) ? 0 : LAST.test(file.moduleId) ? 2 : 1);
    return sorted
      .map((file, index) => ({ file, index }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.index - b.index)
      .map(({ file }) => file);
  }
}
