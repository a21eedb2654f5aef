import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nightRuns } from '../history/night-runs.js';
import { InfraError, InputError } from '../model/errors.js';
import { writeJsonAtomic } from '../model/json-file.js';
import { readResult } from '../model/run-file.js';
import { neutralizeLine } from '../model/untrusted-text.js';
import { type KcidbDocument, type KcidbRun, toKcidb } from '../reporters/kcidb.js';
import { recheckComparison } from './comparison-inputs.js';
import { withHistory } from './history.js';

export interface KcidbExportRequest {
  /** Run directories, run.json or comparison.json files. */
  readonly inputs: readonly string[];
  /** Or a night of the history store. */
  readonly db?: string;
  readonly night?: string;
  readonly origin: string;
  /** Where run directories are published by run id (log URLs). */
  readonly logBase?: string;
  readonly out: string;
  /** A kcidb submission endpoint to POST the export to. */
  readonly submit?: string;
  /** The environment variable holding the submission token. */
  readonly tokenEnv: string;
}

const SUBMIT_TIMEOUT_MS = 60_000;

function checkRequest(request: KcidbExportRequest): void {
  if (!/^[a-z0-9_]+$/.test(request.origin))
    throw new InputError(`--origin "${request.origin.slice(0, 60)}": expected lower-case letters, digits and _ (kcidb's origin)`);
  if (request.logBase !== undefined && !/^https?:\/\/[^\s]+$/.test(request.logBase)) {
    throw new InputError('--links: expected an http(s) URL under which run directories are published by run id');
  }
  if (request.db !== undefined && request.night === undefined) throw new InputError('--db needs --night DATE: which night of the store to export');
  if (request.night !== undefined && request.inputs.length > 0) throw new InputError('give runs and comparisons, or --night with the store — not both');
  if (request.night === undefined && request.inputs.length === 0)
    throw new InputError('nothing to export: give run directories, run.json or comparison.json files, or --night DATE');
}

/** The runs a path names, with verdicts when it is a comparison (whose runs must still be there, unchanged). */
function runsOf(path: string): KcidbRun[] {
  const result = readResult(path);
  if (result.kind === 'run') return [{ run: result.run }];
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'comparison.json') : path;
  const { comparison, runs } = recheckComparison(result.comparison, file);
  if (!runs) throw new InputError(`${file}: its runs cannot be read (${comparison.warnings?.[0] ?? 'moved or changed'}); export the run directories instead`);
  const verdicts = new Map(comparison.entries.map((e) => [`${e.suite}/${e.name}`, e.verdict]));
  return [
    { run: runs.baseline.run, role: 'baseline' },
    { run: runs.candidate.run, role: 'candidate', verdicts },
  ];
}

/** The endpoint without credentials, for messages. */
function shownUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** POSTs the document; the token goes in the Authorization header and never into a message. */
async function submit(document: KcidbDocument, endpoint: string, tokenEnv: string): Promise<number> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new InputError('--submit: not a URL; expected https://… (http:// only to this machine)');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InputError(`--submit ${shownUrl(url)}: the token is sent only over https (http:// only to this machine)`);
  }
  if (url.username || url.password) throw new InputError('--submit: a URL with credentials; put the token in the environment variable instead');
  const token = process.env[tokenEnv];
  if (!token) throw new InputError(`--submit: $${tokenEnv} is not set; it holds the kcidb submission token`);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(document),
      signal: AbortSignal.timeout(SUBMIT_TIMEOUT_MS),
    });
  } catch (error) {
    throw new InfraError(
      `--submit ${shownUrl(url)}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
    );
  }
  if (!response.ok) {
    const body = (await response.text().catch(() => '')).replaceAll(token, '***');
    throw new InfraError(
      `--submit ${shownUrl(url)}: the endpoint answered ${response.status}${body ? `: ${neutralizeLine(body.split('\n')[0]!.slice(0, 300))}` : ''}`,
    );
  }
  return response.status;
}

/** `svmtest export kcidb`: the document written to `out`, and posted when asked. */
export async function exportKcidb(request: KcidbExportRequest): Promise<{ file: string; tests: number; builds: number; submitted?: number }> {
  checkRequest(request);
  const runs: KcidbRun[] =
    request.night !== undefined && request.db !== undefined
      ? await withHistory(request.db, (store) => nightRuns(store, request.night!))
      : request.inputs.flatMap((p) => runsOf(p));
  const document = toKcidb(runs, { origin: request.origin, ...(request.logBase ? { logBase: request.logBase.replace(/\/+$/, '') } : {}) });
  writeJsonAtomic(request.out, document);
  const submitted = request.submit ? await submit(document, request.submit, request.tokenEnv) : undefined;
  return { file: request.out, tests: document.tests.length, builds: document.builds.length, ...(submitted !== undefined ? { submitted } : {}) };
}
