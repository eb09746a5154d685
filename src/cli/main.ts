#!/usr/bin/env node
// The `segface` command. Each subcommand lives in its own file and registers itself here.
import { Command } from 'commander';
import { registerCommands } from './commands.js';
import { reportAndExit } from './exit.js';

const program = new Command();
program
  .name('segface')
  .description('SegFace face parsing: parse photos, train and evaluate, export, serve.')
  .showHelpAfterError();
registerCommands(program);
program.parseAsync(process.argv).catch(reportAndExit);
