import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InfraError } from '../../model/errors.js';
import type { RemoteJob, RemoteJobEnd, RemoteRun } from '../plugin.js';
import type { LavaApi } from './lava-api.js';
import { jobDefinition, type JobArtifacts } from './job-definition.js';
import { buildJobInitramfs, JOB_ENTRY } from './job-bundle.js';
import type { JobOrder } from './job-entry.js';
import { failureOf, logEntry, type LogEntry } from './job-log.js';
import type { LavaSettings } from './lava-settings.js';

const CANCEL_WAIT_MS = 120_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Jobs on a LAVA lab, each running svmtest's engine on the device and echoing its records. */
export class LavaRemote implements RemoteRun {
  readonly parallel: number;
  readonly dryRun: boolean;

  constructor(
    private readonly settings: LavaSettings,
    private readonly api: LavaApi | undefined,
    private readonly cacheDir: string,
    private readonly note: (message: string) => void,
  ) {
    this.parallel = settings.section.parallel;
    this.dryRun = settings.dryRun;
  }

  /** Where the worker fetches a file: its own path (a worker on this machine), or a copy under lava.artifacts. */
  private publish(file: string): string {
    const artifacts = this.settings.section.artifacts;
    if (!artifacts) return pathToFileURL(file).href;
    mkdirSync(artifacts.dir, { recursive: true });
    const name = basename(file);
    const copy = join(artifacts.dir, name);
    if (!existsSync(copy)) copyFileSync(file, copy);
    return `${artifacts.url.replace(/\/+$/, '')}/${encodeURIComponent(name)}`;
  }

  // The jobs of a run share one initramfs: built once, whichever job asks first.
  private readonly built = new Map<string, Promise<JobArtifacts>>();

  private artifacts(job: RemoteJob): Promise<JobArtifacts> {
    const key = JSON.stringify(job.files);
    let artifacts = this.built.get(key);
    if (!artifacts) {
      artifacts = this.buildArtifacts(job);
      this.built.set(key, artifacts);
    }
    return artifacts;
  }

  private async buildArtifacts(job: RemoteJob): Promise<JobArtifacts> {
    const { kernel, modules, kernelConfig } = this.settings;
    if (!kernel) throw new InfraError('no kernel for the LAVA job');
    const ramdisk = await buildJobInitramfs({
      cacheDir: this.cacheDir,
      files: job.files,
      ...(modules ? { modules } : {}),
      ...(kernelConfig ? { kernelConfig } : {}),
      note: this.note,
    });
    return { kernel: this.publish(kernel), ramdisk: this.publish(ramdisk) };
  }

  async definition(job: RemoteJob): Promise<string> {
    const order: JobOrder = {
      argv: job.argv,
      modprobe: this.settings.modules?.load ?? [],
      ...(job.resume ? { resume: job.resume } : {}),
    };
    // The order travels as base64 (letters, digits, + / =): nothing in it passes through a shell,
    // and node's own path (packed at the same place) is checked to need no quoting either.
    const encoded = Buffer.from(JSON.stringify(order)).toString('base64');
    if (!/^\/[\w./+-]+$/.test(process.execPath))
      throw new InfraError(`${process.execPath}: node's path must be plain letters, digits and . _ + - / to run in a LAVA job`);
    return jobDefinition({
      name: job.name,
      section: this.settings.section,
      artifacts: await this.artifacts(job),
      cmdline: this.settings.cmdline,
      steps: [`${process.execPath} ${JOB_ENTRY} ${encoded}`],
    });
  }

  async run(job: RemoteJob): Promise<RemoteJobEnd> {
    const api = this.api;
    if (!api) throw new InfraError('no LAVA server to submit to');
    const id = await api.submit(await this.definition(job));
    const url = api.jobUrl(id);
    job.onSubmitted?.({ id: String(id), url });
    job.onState(`job ${id} submitted: ${url}`);
    let cancelSent: number | undefined;
    const cancel = () => {
      if (cancelSent !== undefined) return;
      cancelSent = Date.now();
      job.onState(`job ${id}: cancelling`);
      void api.cancel(id).catch((error: Error) => job.onState(`job ${id}: cancelling failed: ${error.message}`));
    };
    job.signal.addEventListener('abort', cancel, { once: true });
    if (job.signal.aborted) cancel();
    const entries: LogEntry[] = [];
    let lines = 0;
    let said = '';
    const follow = async () => {
      const fresh = await api.logLines(id, lines);
      lines += fresh.length;
      for (const line of fresh) {
        const entry = logEntry(line);
        if (!entry) continue;
        if (entry.level === 'target' && typeof entry.message === 'string') job.onLine(entry.message);
        else if (entry.level === 'error' || entry.level === 'results') entries.push(entry);
      }
    };
    try {
      for (;;) {
        const state = await api.job(id);
        const words = `job ${id}: ${state.state.toLowerCase()}${state.device ? ` on ${state.device}` : ''}`;
        if (words !== said) {
          said = words;
          job.onState(words);
        }
        await follow();
        if (state.state === 'Finished') {
          await follow();
          const end = { id: String(id), url, ...(state.device ? { device: state.device } : {}) };
          if (state.health === 'Canceled' || cancelSent !== undefined) return { job: end, canceled: true };
          if (state.health === 'Complete') return { job: end };
          return { job: end, failure: `${state.health}: ${state.failureComment ?? failureOf(entries) ?? 'LAVA gave no reason'}` };
        }
        if (cancelSent !== undefined && Date.now() - cancelSent > CANCEL_WAIT_MS) {
          return { job: { id: String(id), url }, canceled: true, failure: `LAVA did not finish cancelling job ${id} within ${CANCEL_WAIT_MS / 1000} s` };
        }
        await sleep(this.settings.section.poll * 1000);
      }
    } finally {
      job.signal.removeEventListener('abort', cancel);
    }
  }
}
