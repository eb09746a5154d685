// One line per subcommand; each file exports `register(program)`.
import type { Command } from 'commander';

export function registerCommands(_program: Command): void {
  // Subcommands are added here as they land: parse, classes, test, train, data, export, serve.
}
