// A fix computed on one version of a document is sent pinned to that version, so the client refuses it once the text
// has changed (LSP's TextDocumentEdit); `changes` is only for clients without documentChanges, and cannot say which.
import type { TextEdit, WorkspaceEdit } from 'vscode-languageserver';

/** The open document a fix was computed on. */
export interface EditedDocument {
  readonly uri: string;
  readonly version: number;
}

/** One document's edits: a versioned TextDocumentEdit when the client supports documentChanges, else plain `changes`. */
export function documentEdit(doc: EditedDocument, edits: TextEdit[], versioned: boolean): WorkspaceEdit {
  if (!versioned) return { changes: { [doc.uri]: edits } };
  return { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits }] };
}
