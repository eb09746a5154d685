// One line per subcommand; each file exports `register(program)`.
import type { Command } from 'commander';
import { register as registerTrain } from './train.js';
import { register as registerParse } from './parse.js';
import { register as registerClasses } from './classes.js';
import { register as registerTest } from './test.js';
import { register as registerData } from './data.js';
import { register as registerExport } from './export.js';
import { register as registerServe } from './serve.js';

export function registerCommands(program: Command): void {
  registerTrain(program);
  registerParse(program);
  registerClasses(program);
  registerTest(program);
  registerData(program);
  registerExport(program);
  registerServe(program);
  // Subcommands are added here as they land: parse, classes, test, train, data, export, serve.
}
