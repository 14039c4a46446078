import type { Command } from './command';
import { UserError } from '../errors';

// Placeholder until this command lands; it fails loudly rather than pretending.
export const ensembleCommand: Command = {
  name: 'ensemble',
  summary: '(not yet available)',
  usage: 'gla ensemble',
  async run(): Promise<number> {
    throw new UserError('gla ensemble: not yet available in this build');
  },
};
