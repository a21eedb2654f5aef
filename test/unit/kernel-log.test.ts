import { describe, expect, it } from 'vitest';
import { isKernelDown, KernelLogClassifier, parseKernelLog } from '../../src/parsers/kernel-log.js';
import { parseKernelLine } from '../../src/parsers/kernel-record.js';

describe('kernel log', () => {
  it('reads /dev/kmsg records with priority and microsecond timestamps, skipping dictionary lines', () => {
    const events = parseKernelLog(
      '3,812,4778915423,-;amdgpu 0000:03:00.0: amdgpu: [gfxhub] page fault (src_id:0 ring:24 vmid:3 pasid:32769)\n SUBSYSTEM=pci\n',
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'gpu-page-fault', timestamp: 4778.915423 });
  });

  it('groups an oops through its end trace and escalates to panic', () => {
    const text = [
      '[  10.000001] BUG: kernel NULL pointer dereference, address: 0000000000000000',
      '[  10.000002] Oops: 0002 [#1] PREEMPT SMP NOPTI',
      '[  10.000003] RIP: 0010:sysrq_handle_crash+0x16/0x20',
      '[  10.000004] Call Trace:',
      '[  10.000005]  <TASK>',
      '[  10.000006]  __handle_sysrq+0x8b/0x170',
      '[  10.000007] ---[ end trace 0000000000000000 ]---',
      '[  10.000008] Kernel panic - not syncing: Fatal exception',
      '[  10.000009] ---[ end Kernel panic - not syncing: Fatal exception ]---',
    ].join('\n');
    const events = parseKernelLog(text);
    expect(events.map((e) => [e.kind, e.lines.length])).toEqual([
      ['oops', 7],
      ['panic', 2],
    ]);
  });

  it('classifies hung tasks, RCU stalls, KASAN, ring timeouts, resets and evictions', () => {
    const text = [
      '[ 1.0] INFO: task kworker/0:1:12 blocked for more than 120 seconds.',
      '[ 1.1]       Not tainted 6.1.0 #1',
      '[ 1.2] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
      '[ 2.0] rcu: INFO: rcu_preempt self-detected stall on CPU',
      '[ 2.1] rcu: \t0-....: (2100 ticks this GP)',
      '[ 3.0] ==================================================================',
      '[ 3.0] BUG: KASAN: use-after-free in svm_range_free+0x2c/0x90 [amdgpu]',
      '[ 3.1] Read of size 8 at addr ffff888100000000 by task kfdtest/42',
      '[ 3.2] ==================================================================',
      '[ 4.0] [drm:amdgpu_job_timedout [amdgpu]] *ERROR* ring sdma0 timeout, signaled seq=1, emitted seq=2',
      '[ 4.1] amdgpu 0000:03:00.0: amdgpu: GPU reset begin!',
      '[ 5.0] amdgpu: Evicting PASID 0x8001 queues',
    ].join('\n');
    expect(parseKernelLog(text).map((e) => e.kind)).toEqual(['hung-task', 'rcu-stall', 'kasan', 'ring-timeout', 'gpu-reset', 'kfd-eviction']);
  });

  it('in serial-console mode, un-prefixed lines are userspace output, not kernel records', () => {
    expect(parseKernelLine('random error from a program', true)).toBeUndefined();
    expect(parseKernelLine('[    1.5] amdgpu: Failed to init', true)?.timestamp).toBe(1.5);
  });

  it('feeds incrementally: an event is handed out once its block is complete', () => {
    const c = new KernelLogClassifier();
    c.push(parseKernelLine('[ 1.0] ------------[ cut here ]------------')!);
    c.push(parseKernelLine('[ 1.0] WARNING: CPU: 0 PID: 1 at drivers/gpu/drm/drm_gpusvm.c:100 x+0x1/0x2')!);
    expect(c.take()).toEqual([]);
    c.push(parseKernelLine('[ 1.1] ---[ end trace 0000000000000000 ]---')!);
    const events = c.take();
    expect(events).toHaveLength(1);
    expect(events[0]!.summary).toMatch(/^WARNING: CPU: 0/);
  });
});

describe('user-space faults are not kernel oopses', () => {
  it('a segfault or a trap of a user process is user-fault; a general protection fault of the kernel stays oops', () => {
    const events = parseKernelLog(
      [
        '[  101.000000] kfdtest[1234]: segfault at 0 ip 000055d0c0de0000 sp 00007ffd00000000 error 6 in kfdtest[55d0c0d00000+100000]',
        '[  102.000000] traps: kfdtest[1235] general protection fault ip:7f00deadbeef sp:7ffd00000000 error:0 in libhsakmt.so.1[7f0000000000+20000]',
        '[  103.000000] traps: hip_test[77] trap divide error ip:401000 sp:7ffd00000000 error:0 in hip_test[400000+1000]',
        '[  104.000000] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI',
        '[  104.000100] CPU: 0 PID: 1 Comm: kworker/0:1 Not tainted 6.1.0 #1',
      ].join('\n'),
    );
    expect(events.map((e) => e.kind)).toEqual(['user-fault', 'user-fault', 'user-fault', 'oops']);
    // A DUT's console watch takes only the kernel's own failure for the machine going down.
    expect(isKernelDown('traps: kfdtest[1235] general protection fault ip:7f00deadbeef sp:7ffd00000000 error:0')).toBe(false);
    expect(isKernelDown('general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP')).toBe(true);
  });
});
