import type { Target } from './target.js';

/**
 * A target is a plug-in: its folder under targets/ declares its config section, its flags, how it
 * resolves its settings, its doctor checks and its machine-death signals; the registry is how the
 * pipeline and the CLI learn of it.
 */
export interface TargetPlugin {
  readonly name: string;
  readonly description: string;
  /** It boots the kernel under test itself (a bisect needs one that does: each step is a kernel). */
  readonly bootsKernel: boolean;
  /**
   * A machine it opened can run the next run of the same variant (a QEMU guest): `--repeat` rounds
   * in a row run on one boot (pipeline/kept-machines.ts).
   */
  readonly reusableAcrossRuns?: boolean;
  /** Its command-line flags on run, list, ci, doctor and bisect; their values reach it as TargetFlagValues. */
  readonly flags: readonly TargetFlag[];
  /** Loaded on demand: QEMU's modules cost start-up that a host run does not need. */
  load(): Promise<TargetFactory>;
}

export interface TargetFlag {
  /** As commander spells it: `--accel <kind>`, `--no-ssh-host-key-check`. */
  readonly flags: string;
  /** The key its value is saved under (commander's camelCase of the flag). */
  readonly key: string;
  readonly description: string;
  readonly choices?: readonly string[];
  /** Given once per value, collected into a list. */
  readonly repeatable?: boolean;
  /** A file or directory: saved absolute, so a resume from another directory finds it. */
  readonly path?: boolean;
  /** How to reach the machine may change when a run continues; what is run may not. */
  readonly mayChangeOnResume?: boolean;
}

export type TargetFlagValue = string | boolean | readonly string[];
/** The values of the target flags that were given, by TargetFlag.key. */
export type TargetFlagValues = Readonly<Record<string, TargetFlagValue>>;

/** What a target is given to resolve its settings: its config section, its flags and the run's common facts. */
export interface TargetContext {
  /** Its own section of svmtest.yaml (validated by its schema), or undefined when it has none. */
  readonly section: unknown;
  readonly flags: TargetFlagValues;
  /** A path from the config, resolved from the config file's directory (~ is the home directory). */
  readonly configPath: (path: string | undefined) => string | undefined;
  readonly variant: {
    readonly name: string;
    /** Defined in the config (not the default of a run without --variant). */
    readonly defined: boolean;
    readonly cmdline: readonly string[];
    readonly modprobe: readonly string[];
  };
  /** Every other variant's kernel arguments: never carried over from a boot of another variant. */
  readonly otherCmdlines: readonly string[];
  /** --kernel and --modules, as given. */
  readonly kernel?: string;
  readonly modules?: string;
  /** The variant's latest `svmtest build`, when there is one. */
  readonly latestBuild: () => { readonly kernel: string; readonly modules?: string } | undefined;
  /** --guest-watchdog and --max-reboots, as given. */
  readonly watchdogS?: number;
  readonly maxReboots?: number;
  /** Runs follow one another on the machine (a bisect): put it back once, with TargetFactory.release. */
  readonly keepMachine?: boolean;
  /** Where a target keeps its files in the run directory. */
  readonly files: { readonly runDir: string; readonly console: string; readonly agent: string };
  readonly cacheDir: string;
  /** A copied /sys tree standing in for the machine's (host). */
  readonly sysfsRoot?: string;
  /** Host paths the run needs on the machine under test at the same path. */
  readonly expose: readonly string[];
  readonly note: (message: string) => void;
}

/** This machine as a target; `path` maps a path into a copied /sys tree (--sysfs-root) when there is one. */
export interface LocalMachine extends Target {
  path(path: string): string;
}

export type AddCheck = (area: string, ok: boolean, found: string, fix?: string, required?: boolean) => void;

/** What a target's doctor is given: its settings' inputs, a way to add checks, and the machine checks to run where the suites run. */
export interface DoctorContext extends Pick<TargetContext, 'section' | 'flags' | 'configPath' | 'sysfsRoot'> {
  readonly add: AddCheck;
  /** The machine svmtest runs on, for what a target needs here (QEMU, ssh, a BMC's tools). */
  readonly localMachine: LocalMachine;
  /** The kernel, GPUs, ROCm and suites of a machine, through its target (`runsTests`: the suites run there). */
  readonly machineChecks: (target: Target, runsTests: boolean) => Promise<void>;
}

export interface OpenedTarget {
  readonly target: Target;
  /** A host file holding the config of the kernel svmtest booted (read on the host, not through the target). */
  readonly kernelConfigFile?: string;
  /** The manifest of `svmtest build` beside the booted kernel, when it built it. */
  readonly kernelManifest?: string;
  /** What every report of this run must say first (e.g. a DUT whose host key was not checked). */
  readonly warnings?: readonly string[];
}

/**
 * A target whose machine runs svmtest's engine itself, in jobs of a lab's scheduler (LAVA): the run
 * is handed over whole, and what the engine there journals comes back on the job's console.
 */
export interface RemoteTarget {
  readonly remote: RemoteRun;
  readonly warnings?: readonly string[];
  /** The manifest of `svmtest build` beside the kernel the jobs boot, when it built it. */
  readonly kernelManifest?: string;
}

export interface RemoteRun {
  /** Jobs a variant's run is spread over (its shards) when the run names no shard itself. */
  readonly parallel: number;
  /** Print the job definitions, submit nothing (--dry-run). */
  readonly dryRun: boolean;
  /** The job definition `run` would submit. */
  definition(job: RemoteJob): Promise<string>;
  /** Submits one job, follows it to its end (cancelled when `signal` aborts) and hands back its console line by line. */
  run(job: RemoteJob): Promise<RemoteJobEnd>;
}

export interface RemoteJob {
  readonly name: string;
  /** `svmtest run` flags for the engine in the job; paths as on this machine (the files are packed at the same paths). */
  readonly argv: readonly string[];
  /** Host files and directories the run needs in the job. */
  readonly files: readonly string[];
  /** An earlier session of this job's run: its request.json and journal, for the engine there to continue. */
  readonly resume?: { readonly request: string; readonly journal: string };
  /** Each console line of the job, as it arrives. */
  readonly onLine: (line: string) => void;
  /** The job's state as the lab reports it (queued, running on which device). */
  readonly onState: (state: string) => void;
  /** The job was submitted: its id and page, known before it ends (or before following it fails). */
  readonly onSubmitted?: (job: { readonly id: string; readonly url?: string }) => void;
  readonly signal: AbortSignal;
}

export interface RemoteJobEnd {
  readonly job: { readonly id: string; readonly url?: string; readonly device?: string };
  /** What the lab says went wrong when the job did not complete (a boot that failed, a device lost). */
  readonly failure?: string;
  readonly canceled?: boolean;
}

export interface TargetFactory {
  /**
   * Resolves and checks its settings before anything starts, and returns how to open the target:
   * a bad setting fails here, not after a VM booted.
   */
  prepare(context: TargetContext): Promise<() => Promise<OpenedTarget | RemoteTarget>>;
  /** `svmtest doctor --target NAME`: what this target needs, checked without changing the machine. */
  doctor(context: DoctorContext): Promise<void>;
  /** After runs with keepMachine: the machine put back as it was (a DUT rebooted into its default kernel). */
  release?(context: TargetContext): Promise<void>;
}
