#!/usr/bin/env node
// The bundle `npm run build` makes (scripts/bundle.mjs) starts faster; the modules tsc wrote are the same code.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/svmtest.mjs', import.meta.url);
await import(existsSync(bundle) ? bundle.href : '../dist/cli/index.js');
