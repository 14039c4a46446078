import type { Command } from './command';
import { UserError } from '../errors';

// Placeholder until this command lands; it fails loudly rather than pretending.
export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: '(not yet available)',
  usage: 'gla evaluate',
  async run(): Promise<number> {
    throw new UserError('gla evaluate: not yet available in this build');
  },
};
