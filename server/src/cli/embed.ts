import type { Command } from './command';
import { UserError } from '../errors';

// Placeholder until this command lands; it fails loudly rather than pretending.
export const embedCommand: Command = {
  name: 'embed',
  summary: '(not yet available)',
  usage: 'gla embed',
  async run(): Promise<number> {
    throw new UserError('gla embed: not yet available in this build');
  },
};
