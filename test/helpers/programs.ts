import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

// Real test programs, compiled from test/fixtures/programs on first use and cached by source hash.
// Compiling is setup: call these from beforeAll with SETUP_TIMEOUT_MS, never inside a timed test.
export const SETUP_TIMEOUT_MS = 600_000;
const PROGRAMS = join(REPO_ROOT, 'test', 'fixtures', 'programs');
const BUILD = join(REPO_ROOT, 'test', '.tmp', 'programs');

function hashOf(...files: string[]): string {
  const h = createHash('sha1');
  for (const f of files) h.update(readFileSync(f));
  return h.digest('hex').slice(0, 12);
}

/** g++ of one gtest program in test/fixtures/programs, cached by its source hash. */
async function gtestBinary(name: string, flags: readonly string[]): Promise<string> {
  const source = join(PROGRAMS, `${name}.cc`);
  const out = join(BUILD, `${name}-${hashOf(source)}`);
  if (!existsSync(out)) {
    mkdirSync(BUILD, { recursive: true });
    // Both test lanes may compile the same program at once: each into its own file, then an atomic rename.
    const tmp = `${out}.${process.pid}.tmp`;
    await execa('g++', [...flags, '-o', tmp, source, '-lgtest', '-pthread']);
    await execa('mv', [tmp, out]);
  }
  return out;
}

/** engine_tests.cc: the gtest program the engine tests drive (its own main). */
export const gtestProgram = () => gtestBinary('engine_tests', ['-O1']);

/** forge_tests.cc: tests that print forged results (the verdict-integrity tests). */
export const forgeProgram = () => gtestBinary('forge_tests', ['-O0', '-lgtest_main']);

/** bisect_tests.cc: tests of what the bisect test's kernel series changes. */
export const bisectProgram = () => gtestBinary('bisect_tests', ['-O1', '-lgtest_main']);

/** cmake + build of the hip-like Catch2/CTest project; returns its build directory. */
export async function ctestProject(): Promise<string> {
  const dir = join(PROGRAMS, 'hip-like');
  const build = join(BUILD, `hip-like-${hashOf(join(dir, 'CMakeLists.txt'), join(dir, 'unit_tests.cc'))}`);
  if (!existsSync(join(build, '.built'))) {
    await execa('cmake', ['-S', dir, '-B', build, '-DCMAKE_BUILD_TYPE=Release']);
    await execa('cmake', ['--build', build, '-j2']);
    writeFileSync(join(build, '.built'), '');
  }
  return build;
}

/** A generated gtest program with `count` trivial tests (benchmarks). */
export async function trivialGtestProgram(count: number): Promise<string> {
  const out = join(BUILD, `trivial-${count}`);
  if (!existsSync(out)) {
    mkdirSync(BUILD, { recursive: true });
    const source = join(BUILD, `trivial-${count}.cc`);
    const lines = ['#include <gtest/gtest.h>'];
    for (let i = 0; i < count; i++) lines.push(`TEST(Trivial${i % 20}, Case${i}) { EXPECT_EQ(${i}, ${i}); }`);
    writeFileSync(source, `${lines.join('\n')}\n`);
    await execa('g++', ['-O0', '-o', out, source, '-lgtest', '-lgtest_main', '-pthread']);
  }
  return out;
}

/** perf_tests.cc: one test 30 % slower when SVMTEST_FIXTURE_SLOW_FAULTS=1 (the performance verdict). */
export const perfProgram = () => gtestBinary('perf_tests', ['-O1', '-lgtest_main']);

/**
 * A generated gtest program with `count` tests (`Area<i % 10>.Case<i>`), each of which fails when
 * its name is in SVMTEST_FIXTURE_FAIL (comma-separated): nightly histories for --order history.
 */
export async function nightlyProgram(count: number): Promise<string> {
  const out = join(BUILD, `nightly-${count}`);
  if (!existsSync(out)) {
    mkdirSync(BUILD, { recursive: true });
    const source = join(BUILD, `nightly-${count}.cc`);
    const lines = [
      '#include <gtest/gtest.h>',
      '#include <cstdlib>',
      '#include <string>',
      'static bool told_to_fail(const char* name) {',
      '  const char* list = getenv("SVMTEST_FIXTURE_FAIL");',
      '  return list && (std::string(",") + list + ",").find(std::string(",") + name + ",") != std::string::npos;',
      '}',
    ];
    for (let i = 0; i < count; i++) lines.push(`TEST(Area${i % 10}, Case${i}) { EXPECT_FALSE(told_to_fail("Area${i % 10}.Case${i}")) << "injected failure"; }`);
    writeFileSync(source, `${lines.join('\n')}\n`);
    await execa('g++', ['-O0', '-o', `${out}.tmp`, source, '-lgtest', '-lgtest_main', '-pthread']);
    await execa('mv', [`${out}.tmp`, out]);
  }
  return out;
}

/** fork_probe.c, for the fork server's tests: `threaded` starts a thread before main(), `static` links statically. */
export async function forkProbe(variant: 'plain' | 'threaded' | 'static'): Promise<string> {
  const source = join(PROGRAMS, 'fork_probe.c');
  const out = join(BUILD, `fork_probe-${variant}-${hashOf(source)}`);
  if (!existsSync(out)) {
    mkdirSync(BUILD, { recursive: true });
    const flags = variant === 'threaded' ? ['-DSTART_THREAD', '-pthread'] : variant === 'static' ? ['-static'] : [];
    const tmp = `${out}.${process.pid}.tmp`;
    await execa('cc', ['-O1', ...flags, '-o', tmp, source]);
    await execa('mv', [tmp, out]);
  }
  return out;
}
