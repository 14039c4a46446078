// "Edit the prompt of …": the code action on a bias finding runs this command, which asks the client to select the
// prompt's text (window/showDocument), since the better prompt is the user's to write.
import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver';
import { EditPromptCommand, type EditPromptArgs } from '../../protocol';
import { commandRoute, type CommandRoute } from '../custom-messages';

function isPosition(p: unknown): p is { line: number; character: number } {
  const q = p as { line?: unknown; character?: unknown } | null;
  return !!q && Number.isInteger(q.line) && Number.isInteger(q.character) && (q.line as number) >= 0 && (q.character as number) >= 0;
}

function editPromptArgs(raw: unknown): EditPromptArgs {
  const a = raw as Partial<EditPromptArgs> | null;
  if (!a || typeof a.uri !== 'string' || !isPosition(a.range?.start) || !isPosition(a.range?.end)) {
    throw new ResponseError(ErrorCodes.InvalidParams, 'GLA: gla.editPrompt takes [{uri, range}] (the code action supplies them)');
  }
  return { uri: a.uri, range: { start: a.range.start, end: a.range.end } };
}

export function editPromptRoute(connection: Connection): CommandRoute {
  return commandRoute(EditPromptCommand, async (raw) => {
    const { uri, range } = editPromptArgs(raw);
    const { success } = await connection.window.showDocument({ uri, selection: range, takeFocus: true });
    return { shown: success };
  });
}
