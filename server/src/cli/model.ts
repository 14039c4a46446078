import type { Command } from './command';
import { UserError } from '../errors';

// Placeholder until this command lands; it fails loudly rather than pretending.
export const modelCommand: Command = {
  name: 'model',
  summary: '(not yet available)',
  usage: 'gla model',
  async run(): Promise<number> {
    throw new UserError('gla model: not yet available in this build');
  },
};
