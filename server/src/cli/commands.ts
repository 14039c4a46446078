import type { Command } from './command';
import { priorCommand } from './prior';
import { ensembleCommand } from './ensemble';
import { evaluateCommand } from './evaluate';
import { tokenizeCommand } from './tokenize';
import { embedCommand } from './embed';
import { analyzeCommand } from './analyze';
import { classifyCommand } from './classify';
import { modelCommand } from './model';
import { exportCommand } from './export';

/** Every `gla` subcommand, in the order `gla --help` lists them. */
export const commands: Command[] = [
  analyzeCommand,
  classifyCommand,
  exportCommand,
  embedCommand,
  tokenizeCommand,
  modelCommand,
  priorCommand,
  ensembleCommand,
  evaluateCommand,
];
