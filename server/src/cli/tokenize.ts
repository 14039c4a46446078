import type { Command } from './command';
import { UserError } from '../errors';

// Placeholder until this command lands; it fails loudly rather than pretending.
export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: '(not yet available)',
  usage: 'gla tokenize',
  async run(): Promise<number> {
    throw new UserError('gla tokenize: not yet available in this build');
  },
};
