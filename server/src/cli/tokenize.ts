import type { Command } from './command';
import { parseCommandArgs, required } from './args';
import { UserError } from '../errors';
import { CONTEXT_LENGTH, loadTokenizer } from '../clip/text/tokenizer';

const USAGE = 'gla tokenize --vocab FILE|MODEL_DIR [--json] [--context-length N] -- TEXT...';

/** `gla tokenize`: CLIP token ids for each text, start … end of text, cut to the context with the end kept last. */
export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'print the CLIP token ids of texts (start … end of text, at most 77)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const { options, positionals, rest } = parseCommandArgs('tokenize', argv, {
      vocab: 'string',
      json: 'boolean',
      'context-length': 'number',
    });
    const vocab = required('tokenize', 'vocab', options.vocab);
    const texts = [...positionals, ...rest];
    if (texts.length === 0) throw new UserError(`gla tokenize: no text given; put the texts after --, as in: ${USAGE}`);
    const contextLength = options['context-length'] ?? CONTEXT_LENGTH;
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new UserError(`gla tokenize: --context-length must be an integer of at least 2, got ${contextLength}`);
    }
    const tokenizer = await loadTokenizer(vocab);
    const rows = texts.map((text) => tokenizer.tokenize(text, contextLength));
    const out = options.json ? JSON.stringify(rows) : rows.map((ids) => ids.join(' ')).join('\n');
    process.stdout.write(out + '\n');
    return 0;
  },
};
