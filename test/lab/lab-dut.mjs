#!/usr/bin/env node
// The lab in a box's "BMC": starts, power-cycles and stops the QEMU guest that plays the DUT.
//   node lab-dut.mjs start|cycle|stop|off|on|status|console-stop LAB_DIR
// (off, on and status as a BMC's chassis power commands; console-stop as its `sol deactivate`,
// recorded in LAB_DIR/console-stops so a test can see it ran).
// LAB_DIR/qemu.json holds QEMU's argument vector; the serial console is appended to
// LAB_DIR/console.log (what a console server would stream); LAB_DIR/qemu.pid names the guest.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [command, lab] = process.argv.slice(2);
if (!['start', 'cycle', 'stop', 'off', 'on', 'status', 'console-stop'].includes(command ?? '') || !lab) {
  console.error('usage: lab-dut.mjs start|cycle|stop|off|on|status|console-stop LAB_DIR');
  process.exit(2);
}
const pidFile = join(lab, 'qemu.pid');

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop() {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (pid > 0 && alive(pid)) {
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  }
  rmSync(pidFile, { force: true });
}

function start() {
  const argv = JSON.parse(readFileSync(join(lab, 'qemu.json'), 'utf8'));
  const console = openSync(join(lab, 'console.log'), 'a');
  const child = spawn('qemu-system-x86_64', argv, { detached: true, stdio: ['ignore', console, console] });
  closeSync(console);
  writeFileSync(pidFile, String(child.pid));
  child.unref();
}

const running = () => existsSync(pidFile) && alive(Number(readFileSync(pidFile, 'utf8')));
if (command === 'stop' || command === 'cycle' || command === 'off') await stop();
if (command === 'start' || command === 'cycle' || (command === 'on' && !running())) start();
if (command === 'status') console.log(`Chassis Power is ${running() ? 'on' : 'off'}`);
if (command === 'console-stop') appendFileSync(join(lab, 'console-stops'), `${new Date().toISOString()}\n`);
