import { z } from 'zod';

/** svmtest.yaml's `ssh:` section: a machine under test reached over SSH (`--target ssh`); svmtest deploys and boots each variant's kernel on it. */
export const sshSection = z
  .object({
    host: z.string().optional(),
    user: z.string().optional(),
    port: z.number().int().positive().max(65535).optional(),
    identityFile: z.string().optional(),
    /** More ssh_config options, e.g. { ProxyJump: bastion, ServerAliveInterval: "5" }. */
    options: z.record(z.string()).default({}),
    /** A known_hosts file for this DUT (default: the user's). */
    knownHosts: z.string().optional(),
    /** false turns host-key checking off; every report then says so. Never off unless asked. */
    checkHostKey: z.boolean().default(true),
    /** How a variant's kernel is booted: kexec, a one-shot boot-loader entry (grub), or none (the running kernel is under test). */
    boot: z.enum(['kexec', 'grub', 'none']).default('kexec'),
    /** Kernel image to deploy (default: --kernel, else the variant's latest `svmtest build`). */
    kernel: z.string().optional(),
    /** Directory holding lib/modules/<release> for that kernel, installed on the DUT. */
    modules: z.string().optional(),
    /** An initramfs to deploy with the kernel; without it, initrdCommand makes one on the DUT. */
    initrd: z.string().optional(),
    /** Makes the initramfs on the DUT ({release} replaced), e.g. [update-initramfs, -c, -k, "{release}"]. */
    initrdCommand: z.array(z.string()).optional(),
    /** Where that command leaves it ({release} replaced). */
    initrdPath: z.string().default('/boot/initrd.img-{release}'),
    /** grub: the entry grub-reboot selects ({release} replaced). */
    grubEntry: z.string().default('Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux {release}'),
    /** Kernel command line for the deployed kernel; default: the DUT's own, without BOOT_IMAGE and initrd. */
    cmdline: z.array(z.string()).optional(),
    /** Directory on the DUT where deployed kernels are kept. */
    kernelDir: z.string().default('/var/lib/svmtest/kernels'),
    /** Reboot the DUT into its default kernel at the end of the run (and on Ctrl-C). */
    restore: z.boolean().default(false),
    /** Power-cycles a dead DUT (run on this machine), e.g. [ipmitool, -I, lanplus, -H, bmc1, chassis, power, cycle]. */
    powerCommand: z.array(z.string()).nonempty().optional(),
    /** Or, as in LAVA's device dictionaries: power off, wait powerOffDelay s, power on (e.g. [ipmitool, …, chassis, power, off]). */
    powerOff: z.array(z.string()).nonempty().optional(),
    powerOn: z.array(z.string()).nonempty().optional(),
    /** Proves the DUT went off and came back on: exit 0 and "on"/"off" in its output (e.g. [ipmitool, …, chassis, power, status]). */
    powerStatus: z.array(z.string()).nonempty().optional(),
    powerOffDelay: z.number().min(0).max(600).default(10),
    /** Streams the DUT's console (run on this machine), e.g. [ipmitool, -I, lanplus, -H, bmc1, sol, activate]. */
    consoleCommand: z.array(z.string()).nonempty().optional(),
    /** Run before the console is attached, ending a session another user left open (e.g. [ipmitool, …, sol, deactivate]). */
    consoleStop: z.array(z.string()).nonempty().optional(),
    /** Seconds to wait for SSH after a boot or a power cycle. */
    bootTimeout: z.number().positive().default(600),
    /** Seconds without a heartbeat over SSH before the DUT is declared dead (--guest-watchdog overrides). */
    watchdog: z.number().positive().default(120),
    /** Power cycles after a dead DUT before the run is given up as incomplete (--max-reboots overrides). */
    maxReboots: z.number().int().min(0).default(3),
  })
  .strict()
  .superRefine((ssh, ctx) => {
    if (ssh.powerCommand && (ssh.powerOff || ssh.powerOn)) {
      ctx.addIssue({ code: 'custom', path: ['powerOff'], message: 'give powerCommand, or powerOff and powerOn — not both' });
    } else if (Boolean(ssh.powerOff) !== Boolean(ssh.powerOn)) {
      ctx.addIssue({ code: 'custom', path: [ssh.powerOff ? 'powerOn' : 'powerOff'], message: 'powerOff and powerOn go together' });
    }
  })
  .default({});

export type SshSection = z.infer<typeof sshSection>;
