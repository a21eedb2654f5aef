import type { TargetContext } from '../plugin.js';
import type { SshSection } from './ssh-config.js';
import { sshEndpoint, sshFlags } from './ssh-endpoint.js';
import type { SshSettings } from './ssh-settings.js';

/** Resolves the section and flags; ssh.restore waits for release() when runs follow one another (keepMachine). */
export function sshSettings(context: TargetContext): SshSettings {
  const ssh = context.section as SshSection;
  const fromConfig = context.configPath;
  const built = !context.kernel && !ssh.kernel && context.variant.defined ? context.latestBuild() : undefined;
  const kernel = context.kernel ?? fromConfig(ssh.kernel) ?? built?.kernel;
  const modules = context.modules ?? fromConfig(ssh.modules) ?? built?.modules;
  const initrd = fromConfig(ssh.initrd);
  const endpoint = sshEndpoint(ssh, sshFlags(context.flags), fromConfig);
  return {
    ...(endpoint ? { endpoint } : {}),
    boot: ssh.boot,
    ...(kernel ? { kernel } : {}),
    ...(modules ? { modules } : {}),
    ...(initrd ? { initrd } : {}),
    ...(ssh.initrdCommand ? { initrdCommand: ssh.initrdCommand } : {}),
    initrdPath: ssh.initrdPath,
    grubEntry: ssh.grubEntry,
    ...(ssh.cmdline ? { cmdline: ssh.cmdline } : {}),
    variantCmdline: context.variant.cmdline,
    otherCmdline: context.otherCmdlines,
    modprobe: context.variant.modprobe,
    kernelDir: ssh.kernelDir,
    restore: ssh.restore && !context.keepMachine,
    ...(ssh.powerCommand || ssh.powerOff
      ? {
          power: {
            ...(ssh.powerCommand ? { cycle: ssh.powerCommand } : {}),
            ...(ssh.powerOff ? { off: ssh.powerOff } : {}),
            ...(ssh.powerOn ? { on: ssh.powerOn } : {}),
            ...(ssh.powerStatus ? { status: ssh.powerStatus } : {}),
            offDelayS: ssh.powerOffDelay,
          },
        }
      : {}),
    ...(ssh.consoleCommand ? { consoleCommand: ssh.consoleCommand } : {}),
    ...(ssh.consoleStop ? { consoleStop: ssh.consoleStop } : {}),
    bootTimeoutS: ssh.bootTimeout,
    watchdogS: context.watchdogS ?? ssh.watchdog,
    maxReboots: context.maxReboots ?? ssh.maxReboots,
  };
}
