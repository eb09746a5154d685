// One line per subcommand; each file exports `register(program)`.
import type { Command } from 'commander';
import { register as registerTrain } from './train.js';

export function registerCommands(program: Command): void {
  registerTrain(program);
  // Subcommands are added here as they land: parse, classes, test, train, data, export, serve.
}
