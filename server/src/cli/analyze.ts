import type { Command } from './command';
import { UserError } from '../errors';

// Placeholder until this command lands; it fails loudly rather than pretending.
export const analyzeCommand: Command = {
  name: 'analyze',
  summary: '(not yet available)',
  usage: 'gla analyze',
  async run(): Promise<number> {
    throw new UserError('gla analyze: not yet available in this build');
  },
};
