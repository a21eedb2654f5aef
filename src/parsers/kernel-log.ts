import type { KernelEvent, KernelEventKind } from '../model/kernel-event.js';
import { parseKernelLine, type KernelRecord } from './kernel-record.js';
import { splitLines } from './text.js';

const CUT_HERE = /-{6,}\[ cut here \]-{6,}/;
const END_TRACE = /---\[ end (trace|Kernel panic)/;
const KASAN_RULE = /^={40,}$/;
const PAGE_FAULT = /\[(?:gfx|mm|vm)hub\d*\] (?:no-)?(?:retry )?page fault|GPU fault detected:|VM fault \(0x/;
const FAULT_CONTINUATION =
  /^(?:\s|[A-Z0-9_]+_(?:FAULT|STATUS|ADDR)\w*:?|for process|in page|Faulty|MORE_FAULTS|WALKER_ERROR|PERMISSION_FAULTS|MAPPING_ERROR|RW:)/;
const AMDGPU_PREFIX = /^(.*?\bamdgpu:)\s?(.*)$/;
const RING_TIMEOUT = /ring \S+ timeout|amdgpu_job_timedout|\bjob timed ?out\b/i;
const GPU_RESET = /GPU reset|gpu_recover|GPU recovery|MODE[12] reset|BACO reset|ASIC reset|reset (?:succeeded|failed)/i;
const EVICTION = /\b(?:evict(?:ing|ion|ed)?|Evicting)\b.*(?:queue|PASID|process|bo|svm|range)|kfd.*evict/i;
const HUNG_TASK = /INFO: task .+ blocked for more than \d+ seconds/;
const RCU_STALL = /rcu:?.*(?:self-)?detected stalls?|rcu_\w+ (?:self-)?detected stall/i;
const PANIC = /Kernel panic - not syncing/;
const OOPS = /BUG: unable to handle|Oops: |general protection fault|BUG: kernel NULL pointer|Unable to handle kernel/;
const BUG = /kernel BUG at|^BUG: /;
const WARNING = /^WARNING: (?:CPU: \d+|at )/;
const KASAN = /BUG: KASAN:|KASAN: /;
const TRACE_PART =
  /^(?:\s|Call Trace:|<\/?(?:TASK|IRQ|NMI)>|RIP:|RSP:|RAX:|RDX:|RBP:|R\d\d?:|FS:|CS:|CR2:|Code:|Modules linked in:|CPU: |Hardware name:|Workqueue:|task:|"echo 0|\? |irq event stamp:|hardirqs|softirqs|Tainted:|Stack:|---\[|Kernel Offset:|note: |Memory state|The buggy address|Allocated by|Freed by|Last potentially|Second to last)/;
const OTHER_ERROR = /\*ERROR\*|\b(?:amdgpu|amdkfd|kfd|drm|hmm|ttm)\b.*\b(?:failed|failure|error|fail)\b/i;
const SUPPRESSED = /callbacks suppressed$/;
// The kernel reporting a user process that crashed, not a fault of its own: "prog[123]: segfault at 0
// ip … error 6 in prog[…]", "traps: kfdtest[123] general protection fault ip:… error:0 in libhsakmt.so".
const USER_FAULT = /^(?:traps: )?[^\s[]+\[\d+\]:? (?:segfault at|general protection fault|trap )/;
const MAX_BLOCK_LINES = 400;
// The process a record names: the task of a user fault ("prog[123]: segfault"), the process of a GPU
// page fault ("for process prog pid 123 thread prog pid 124").
const USER_FAULT_TASK = /^(?:traps: )?[^\s[]+\[(\d+)\]/;
const GPU_FAULT_PROCESS = /for process .*? pid (\d+) thread /;

// A console line after which a machine's kernel may not answer again: a panic, or an oops that can take it down.
const MACHINE_DOWN = /Kernel panic - not syncing|Oops: |BUG: kernel NULL pointer|general protection fault/;

/**
 * The process a user fault or a GPU page fault names, as the kernel gave it: the pid of a GPU
 * fault's process; a user fault's task id (a thread's own id, the pid of a single-threaded program).
 */
export function processIdOf(event: KernelEvent): number | undefined {
  const found =
    event.kind === 'user-fault'
      ? USER_FAULT_TASK.exec(event.summary)
      : event.kind === 'gpu-page-fault'
        ? event.lines.map((line) => GPU_FAULT_PROCESS.exec(line)).find((m) => m !== null)
        : undefined;
  return found ? Number(found[1]) : undefined;
}

/** The kernel itself failing (never a user process's crash, which it only reports): the machine may be down. */
export function isKernelDown(text: string): boolean {
  return MACHINE_DOWN.test(text) && !USER_FAULT.test(text);
}

type BlockMode = 'until-end-trace' | 'trace' | 'fault' | 'rule' | 'reset' | 'errors';

interface Block {
  kind: KernelEventKind;
  mode: BlockMode;
  timestamp: number | null;
  summary: string;
  lines: string[];
  devicePrefix?: string;
}

function refineFromLine(block: Block, text: string): void {
  const severity: KernelEventKind[] = ['panic', 'kasan', 'oops', 'bug', 'warning'];
  let found: KernelEventKind | undefined;
  if (PANIC.test(text)) found = 'panic';
  else if (KASAN.test(text)) found = 'kasan';
  else if (OOPS.test(text)) found = 'oops';
  else if (BUG.test(text)) found = 'bug';
  else if (WARNING.test(text)) found = 'warning';
  if (!found) return;
  const current = severity.indexOf(block.kind);
  if (current < 0 || severity.indexOf(found) < current || block.summary === '') {
    block.kind = found;
    block.summary = text.trim();
  }
}

/**
 * Turns kernel log records into classified events, grouping multi-line records (WARNING blocks,
 * oopses, page-fault dumps). Incremental, so a live log can be fed line by line.
 */
export class KernelLogClassifier {
  private block: Block | undefined;
  private previous: KernelRecord | undefined;
  private readonly done: KernelEvent[] = [];

  push(record: KernelRecord): void {
    const step = this.block ? this.continues(this.block, record) : 'no';
    if (step !== 'no') {
      this.block!.lines.push(record.raw);
      if (step === 'end' || this.block!.lines.length >= MAX_BLOCK_LINES) this.close();
    } else {
      if (this.block) this.close();
      this.start(record);
    }
    this.previous = record;
  }

  /** The kind of the block still open (its lines may go on), if any. */
  get pendingKind(): KernelEventKind | undefined {
    return this.block?.kind;
  }

  /** Events completed so far; they are handed out once. */
  take(): KernelEvent[] {
    return this.done.splice(0, this.done.length);
  }

  /** Ends any open block (end of input, or end of a test). */
  flush(): KernelEvent[] {
    if (this.block) this.close();
    return this.take();
  }

  private close(): void {
    const b = this.block!;
    this.done.push({ kind: b.kind, timestamp: b.timestamp, summary: b.summary || (b.lines[0] ?? ''), lines: b.lines });
    this.block = undefined;
  }

  private open(record: KernelRecord, kind: KernelEventKind, mode: BlockMode, extra: Partial<Block> = {}): void {
    this.block = { kind, mode, timestamp: record.timestamp, summary: record.text.trim(), lines: [record.raw], ...extra };
  }

  private continues(block: Block, record: KernelRecord): 'continue' | 'end' | 'no' {
    const text = record.text;
    switch (block.mode) {
      case 'until-end-trace':
        refineFromLine(block, text);
        return END_TRACE.test(text) ? 'end' : 'continue';
      case 'trace':
        if (CUT_HERE.test(text)) return 'no';
        if (END_TRACE.test(text)) return 'end';
        if (PANIC.test(text)) {
          block.kind = 'panic';
          block.summary = text.trim();
          return 'continue';
        }
        return TRACE_PART.test(text) || (block.kind === 'rcu-stall' && /^rcu:/.test(text)) ? 'continue' : 'no';
      case 'rule':
        return KASAN_RULE.test(text) ? 'end' : 'continue';
      case 'fault': {
        const m = AMDGPU_PREFIX.exec(text);
        return m && m[1] === block.devicePrefix && !PAGE_FAULT.test(text) && FAULT_CONTINUATION.test(m[2]!) ? 'continue' : 'no';
      }
      case 'reset':
        // A ring timeout and the reset it triggers are kept apart, so both kinds are visible.
        if (block.kind === 'ring-timeout') return RING_TIMEOUT.test(text) || /Process information:/.test(text) ? 'continue' : 'no';
        return GPU_RESET.test(text) && !RING_TIMEOUT.test(text) ? 'continue' : 'no';
      case 'errors':
        return classifySingle(record) === 'other-error' && sameMoment(block.timestamp, record.timestamp) ? 'continue' : 'no';
    }
  }

  private start(record: KernelRecord): void {
    const text = record.text;
    if (SUPPRESSED.test(text) || text.trim() === '') return;
    if (CUT_HERE.test(text)) return this.open(record, 'warning', 'until-end-trace', { summary: '' });
    if (KASAN.test(text)) {
      const lines = this.previous && KASAN_RULE.test(this.previous.text) ? [this.previous.raw, record.raw] : [record.raw];
      this.open(record, 'kasan', 'rule', { lines });
      return;
    }
    if (PANIC.test(text)) return this.open(record, 'panic', 'trace');
    if (USER_FAULT.test(text)) return this.open(record, 'user-fault', 'trace');
    if (OOPS.test(text)) return this.open(record, 'oops', 'until-end-trace');
    if (BUG.test(text)) return this.open(record, 'bug', 'until-end-trace');
    if (WARNING.test(text)) return this.open(record, 'warning', 'until-end-trace');
    if (HUNG_TASK.test(text)) return this.open(record, 'hung-task', 'trace');
    if (RCU_STALL.test(text)) return this.open(record, 'rcu-stall', 'trace');
    if (PAGE_FAULT.test(text)) {
      const prefix = AMDGPU_PREFIX.exec(text)?.[1];
      return this.open(record, 'gpu-page-fault', 'fault', prefix !== undefined ? { devicePrefix: prefix } : {});
    }
    if (RING_TIMEOUT.test(text)) return this.open(record, 'ring-timeout', 'reset');
    if (GPU_RESET.test(text)) return this.open(record, 'gpu-reset', 'reset');
    if (/^svmtest: (guest hang|DUT down)/.test(text)) return this.open(record, 'hung-task', 'trace');
    if (/^(?:Code:|RIP:|Call Trace:|RSP:)/.test(text)) {
      // The log starts in the middle of a record: keep the dump, say the header was not captured.
      return this.open(record, 'other-error', 'trace', { summary: 'kernel register dump / call trace (its header was not captured)' });
    }
    const single = classifySingle(record);
    if (single === 'kfd-eviction') {
      this.open(record, 'kfd-eviction', 'errors');
      this.close();
      return;
    }
    if (single === 'other-error') return this.open(record, 'other-error', 'errors');
  }
}

function classifySingle(record: KernelRecord): KernelEventKind | undefined {
  if (EVICTION.test(record.text) && /amdgpu|kfd/i.test(record.text)) return 'kfd-eviction';
  if (record.priority !== undefined && record.priority <= 3) return 'other-error';
  if (OTHER_ERROR.test(record.text)) return 'other-error';
  return undefined;
}

function sameMoment(a: number | null, b: number | null): boolean {
  return a === null || b === null || Math.abs(a - b) < 1;
}

export interface KernelLogOptions {
  /** Serial console: lines without a kernel timestamp are userspace output, not kernel records. */
  readonly serial?: boolean;
}

/** A whole kernel log (dmesg, journalctl -k, /dev/kmsg records, serial console) → events. */
export function parseKernelLog(text: string, options: KernelLogOptions = {}): KernelEvent[] {
  const classifier = new KernelLogClassifier();
  for (const line of splitLines(text)) {
    const record = parseKernelLine(line, options.serial ?? false);
    if (record) classifier.push(record);
  }
  return classifier.flush();
}
