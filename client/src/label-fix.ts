// Where a suspected mislabelled image would go: the same path with its class folder swapped for the suggested
// class (train/cat/x.png → train/dog/x.png). No vscode import; the panel's host applies it as a WorkspaceEdit.

/** The dataset-relative path after the move, or undefined when the image does not sit in a folder named `given`. */
export function suggestedPath(path: string, given: string, suggested: string): string | undefined {
  const parts = path.split('/');
  if (parts.length < 2 || parts[parts.length - 2] !== given || !suggested || suggested.includes('/') || suggested === given) return undefined;
  parts[parts.length - 2] = suggested;
  return parts.join('/');
}
