import type { TargetPlugin } from '../plugin.js';

export const sshPlugin: TargetPlugin = {
  name: 'ssh',
  description: "a machine under test reached over SSH; each variant's kernel deployed and booted there",
  bootsKernel: true,
  flags: [
    { flags: '--ssh <[user@]host[:port]>', key: 'ssh', description: 'ssh: the machine under test (default: ssh.host in the config)' },
    {
      flags: '--ssh-identity <file>',
      key: 'sshIdentity',
      description: 'ssh: private key file (default: ssh.identityFile, else your ssh configuration)',
      path: true,
      mayChangeOnResume: true,
    },
    {
      flags: '--ssh-option <key=value>',
      key: 'sshOption',
      description: 'ssh: an ssh_config option, e.g. ProxyJump=bastion; repeatable',
      repeatable: true,
      mayChangeOnResume: true,
    },
    { flags: '--no-ssh-host-key-check', key: 'sshHostKeyCheck', description: "ssh: do not check the DUT's host key (every report then says so)" },
  ],
  load: async () => (await import('./ssh-factory.js')).sshFactory,
};
