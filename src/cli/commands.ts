// One line per subcommand; each file exports `register(program)`.
import type { Command } from 'commander';
import { register as registerTrain } from './train.js';
import { register as registerParse } from './parse.js';
import { register as registerClasses } from './classes.js';

export function registerCommands(program: Command): void {
  registerTrain(program);
  registerParse(program);
  registerClasses(program);
  // Subcommands are added here as they land: parse, classes, test, train, data, export, serve.
}
