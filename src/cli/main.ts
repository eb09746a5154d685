#!/usr/bin/env node
// The `segface` command. Each subcommand lives in its own file and registers itself here.
import { Command } from 'commander';
import { registerCommands } from './commands.js';
import { reportAndExit } from './exit.js';
import { VERSION } from '../version.js';

const program = new Command();
program
  .name('segface')
  .description('SegFace face parsing: parse photos, train and evaluate, export, serve.')
  .version(VERSION, '-V, --version', 'print the segface version')
  .showHelpAfterError();
registerCommands(program);
program.parseAsync(process.argv).catch(reportAndExit);
