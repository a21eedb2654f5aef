#!/usr/bin/env node
import '../dist/cli/github-action.js';
