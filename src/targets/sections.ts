import { lavaSection } from './lava/lava-config.js';
import { qemuSection } from './qemu/qemu-config.js';
import { sshSection } from './ssh/ssh-config.js';

/** Each target's section of svmtest.yaml, under the target's name: the config schema is built from these. */
export const targetSections = { qemu: qemuSection, ssh: sshSection, lava: lavaSection };
