#!/usr/bin/env node
// The `nexus` executable: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
const command = process.argv[2] ?? '';
const code = await main(process.argv.slice(2));
if (code !== 0 || !['serve', 'worker'].includes(command)) process.exit(code);
