import { InfraError } from '../../model/errors.js';

const REQUEST_TIMEOUT_MS = 30_000;
// A server that closes a kept-alive connection under a request (gunicorn does) is asked again.
const NETWORK_TRIES = 3;

export interface LavaJobState {
  readonly id: number;
  /** Submitted, Scheduling, Scheduled, Running, Canceling, Finished. */
  readonly state: string;
  /** Unknown, Complete, Incomplete, Canceled: the infrastructure's word, not the tests'. */
  readonly health: string;
  readonly device?: string;
  readonly failureComment?: string;
}

export interface LavaDevice {
  readonly hostname: string;
  readonly state: string;
  readonly health: string;
}

/**
 * LAVA's REST API (v0.2), with the token in the Authorization header only: no message, URL or
 * file svmtest writes ever holds it. An unreachable server or a refused token is one line.
 */
export class LavaApi {
  readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
    /** Where the token comes from, for messages (e.g. $SVMTEST_LAVA_TOKEN). */
    private readonly tokenSource: string,
  ) {
    this.base = url.endsWith('/') ? url : `${url}/`;
  }

  /** A page of LAVA's own web interface for a job: where a person reads its log. */
  jobUrl(id: number): string {
    return `${this.base}scheduler/job/${id}`;
  }

  /** fetch with the token; a GET whose connection failed is tried again. Network errors are one line. */
  private async send(path: string, init: RequestInit = {}): Promise<Response> {
    const url = `${this.base}api/v0.2/${path}`;
    const tries = (init.method ?? 'GET') === 'GET' ? NETWORK_TRIES : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(url, {
          ...init,
          headers: { Authorization: `Token ${this.token}`, ...init.headers },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (error as Error).message;
        if (attempt >= tries || why === 'ECONNREFUSED') throw new InfraError(`LAVA server ${this.base}: unreachable (${why})`);
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await this.send(path, init);
    if (response.status === 401 || response.status === 403) {
      throw new InfraError(`LAVA server ${this.base} refused the token in ${this.tokenSource} (HTTP ${response.status}): check it, or make a new one`);
    }
    if (!response.ok) {
      const body = (await response.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300);
      throw new InfraError(`LAVA server ${this.base}: ${init.method ?? 'GET'} ${path} answered HTTP ${response.status}${body ? `: ${body}` : ''}`);
    }
    return response;
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await this.request(path, init);
    try {
      return (await response.json()) as T;
    } catch {
      throw new InfraError(`LAVA server ${this.base}: ${path} did not answer JSON (is this a LAVA server?)`);
    }
  }

  /** The user the token belongs to: the one request that proves both the server and the token. */
  async whoami(): Promise<string> {
    const { user } = await this.json<{ user?: string }>('system/whoami/');
    if (!user) throw new InfraError(`LAVA server ${this.base} does not know the token in ${this.tokenSource}: check it, or make a new one`);
    return user;
  }

  async version(): Promise<string> {
    return (await this.json<{ version?: string }>('system/version/')).version ?? 'unknown';
  }

  async deviceTypeExists(name: string): Promise<boolean> {
    const path = `devicetypes/${encodeURIComponent(name)}/`;
    const response = await this.send(path);
    if (response.status === 404) return false;
    if (!response.ok) await this.request(path); // says why, in one line
    return true;
  }

  async devices(deviceType: string): Promise<LavaDevice[]> {
    const page = await this.json<{ results: Array<{ hostname: string; state: string; health: string }> }>(
      `devices/?device_type=${encodeURIComponent(deviceType)}&limit=500`,
    );
    return page.results.map((d) => ({ hostname: d.hostname, state: d.state, health: d.health }));
  }

  async submit(definition: string): Promise<number> {
    // A POST is never sent twice (it would submit two jobs), so it must not meet a kept-alive
    // connection the server is closing (gunicorn's keep-alive is 2 s, undici's 4 s): a GET, retried
    // like any, leaves a fresh connection for it.
    await (await this.send('system/version/')).text();
    const body = new FormData();
    body.set('definition', definition);
    const answer = await this.json<{ job_ids?: number[]; message?: string }>('jobs/', { method: 'POST', body });
    const id = answer.job_ids?.[0];
    if (id === undefined) throw new InfraError(`LAVA server ${this.base} did not take the job: ${answer.message ?? 'no job id in its answer'}`);
    return id;
  }

  async job(id: number): Promise<LavaJobState> {
    const job = await this.json<{ state: string; health: string; actual_device: string | null; failure_comment: string | null }>(`jobs/${id}/`);
    return {
      id,
      state: job.state,
      health: job.health,
      ...(job.actual_device ? { device: job.actual_device } : {}),
      ...(job.failure_comment ? { failureComment: job.failure_comment } : {}),
    };
  }

  /** The job log's lines from `start` on (LAVA's YAML, a mapping a line); empty when there are none yet. */
  async logLines(id: number, start: number): Promise<string[]> {
    const path = `jobs/${id}/logs/?start=${start}`;
    const response = await this.send(path);
    if (response.status === 404) return []; // no log yet
    if (!response.ok) await this.request(path);
    const text = await response.text();
    return text.split('\n').filter((line) => line.startsWith('- '));
  }

  async cancel(id: number): Promise<void> {
    await this.request(`jobs/${id}/cancel/`);
  }
}
