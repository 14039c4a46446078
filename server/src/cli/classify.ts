import type { Command } from './command';
import { UserError } from '../errors';

// Placeholder until this command lands; it fails loudly rather than pretending.
export const classifyCommand: Command = {
  name: 'classify',
  summary: '(not yet available)',
  usage: 'gla classify',
  async run(): Promise<number> {
    throw new UserError('gla classify: not yet available in this build');
  },
};
