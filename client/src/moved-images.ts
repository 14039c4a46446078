// Which suspected label errors sit in their suggested class folder right now. The panel follows the disk, not its
// own clicks, so an undone move (Edit › Undo of the WorkspaceEdit) or a file moved by hand shows as it is. No vscode import.
import { dirname } from 'node:path';
import { datasetFile } from './dataset-file';
import { suggestedPath } from './label-fix';

export interface MovableImage {
  /** As report.json names it: relative to the dataset root. */
  path: string;
  /** Where the report saw it, and where "Move there" puts it (absolute). */
  from: string;
  to: string;
}

/** The label issues that "Move there" can move: inside the dataset, in a folder named after the given class. */
export function movableImages(datasetRoot: string, issues: readonly { path: string; given: string; other: string }[]): MovableImage[] {
  const out: MovableImage[] = [];
  for (const issue of issues) {
    const target = suggestedPath(issue.path, issue.given, issue.other);
    const from = datasetFile(datasetRoot, issue.path);
    const to = target ? datasetFile(datasetRoot, target) : undefined;
    if (from && to) out.push({ path: issue.path, from, to });
  }
  return out;
}

export class MovedImages {
  private readonly files = new Set<string>();
  private current = new Set<string>();

  constructor(private readonly images: readonly MovableImage[]) {
    for (const i of images) this.files.add(i.from).add(i.to);
  }

  /** The folders whose changes can move an image in or out of its suggested class. */
  get folders(): string[] {
    return [...new Set([...this.files].map((f) => dirname(f)))];
  }

  /** A created, changed or deleted file that may change some image's state. */
  concerns(file: string): boolean {
    return this.files.has(file);
  }

  /** Reads the state from the disk: moved when the image is in the suggested folder and no longer where it was. */
  refresh(exists: (file: string) => boolean): boolean {
    const next = new Set(this.images.filter((i) => exists(i.to) && !exists(i.from)).map((i) => i.path));
    const changed = next.size !== this.current.size || [...next].some((p) => !this.current.has(p));
    this.current = next;
    return changed;
  }

  /** Paths (as report.json names them) of the images now in their suggested folder, in the report's order. */
  get moved(): string[] {
    return this.images.filter((i) => this.current.has(i.path)).map((i) => i.path);
  }
}
