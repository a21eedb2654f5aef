import { z } from 'zod';

const URL_SHAPE = /^https?:\/\/[^\s/]+(\/\S*)?$/;

/** svmtest.yaml's `lava:` section (`--target lava`): svmtest's work submitted as jobs to a LAVA lab. */
export const lavaSection = z
  .object({
    /** The LAVA server, e.g. https://lava.example.org/ (--lava-url overrides). */
    url: z.string().regex(URL_SHAPE, 'expected an http(s) URL, e.g. https://lava.example.org/').optional(),
    /** The environment variable holding the API token: the token itself never belongs in a file. */
    tokenEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name')
      .default('SVMTEST_LAVA_TOKEN'),
    /** The device type the jobs ask for. */
    deviceType: z
      .string()
      .regex(/^[\w.-]+$/)
      .default('qemu'),
    /** Device tags every job requires (e.g. [mi300x]). */
    tags: z.array(z.string().regex(/^[\w.-]+$/)).default([]),
    /** Minutes a job may take, deploy and boot included. */
    jobTimeout: z.number().int().positive().max(10_080).default(60),
    /** Minutes the boot to the shell prompt may take. */
    bootTimeout: z.number().int().positive().max(600).default(10),
    priority: z.union([z.enum(['high', 'medium', 'low']), z.number().int().min(0).max(100)]).default('medium'),
    visibility: z.enum(['public', 'personal']).default('public'),
    /** Jobs per variant: its tests split into this many shards, spread by LAVA over the devices of the type. */
    parallel: z.number().int().min(1).max(64).default(1),
    /** The job kernel's command line (the variant's arguments are added). */
    cmdline: z.array(z.string().regex(/^[^\s"'\\]+$/, 'one argument, without quotes or backslashes')).default(['console=ttyS0,115200']),
    /** Guest memory in MiB (qemu devices). */
    memory: z.number().int().min(256).default(1024),
    /** The shell prompt of svmtest's initramfs (what LAVA waits for after the boot). */
    prompt: z.string().default('/ # '),
    /** Kernel image to deploy (default: --kernel, else the variant's latest `svmtest build`). */
    kernel: z.string().optional(),
    /** Directory holding lib/modules/<release> for that kernel. */
    modules: z.string().optional(),
    /**
     * Where the worker fetches the kernel and the initramfs: files copied under dir, fetched at url
     * (default: file:// URLs, for a worker on this machine).
     */
    artifacts: z
      .object({ dir: z.string(), url: z.string().regex(URL_SHAPE, 'expected an http(s) URL') })
      .strict()
      .optional(),
    /**
     * A device type whose deploy and boot are not QEMU's: the job's deploy and boot actions as LAVA
     * takes them, with {kernel} and {ramdisk} standing for the artifacts' URLs.
     */
    deploy: z.record(z.unknown()).optional(),
    boot: z.record(z.unknown()).optional(),
    /** Seconds between two looks at the jobs' state and logs. */
    poll: z.number().positive().max(60).default(2),
  })
  .strict()
  .default({});

export type LavaSection = z.infer<typeof lavaSection>;
