import type { Command } from './command';
import { UserError } from '../errors';

// Placeholder until this command lands; it fails loudly rather than pretending.
export const priorCommand: Command = {
  name: 'prior',
  summary: '(not yet available)',
  usage: 'gla prior',
  async run(): Promise<number> {
    throw new UserError('gla prior: not yet available in this build');
  },
};
