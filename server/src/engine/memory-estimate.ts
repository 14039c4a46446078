// Up-front memory estimate of a run, so a size that cannot fit is refused with the figure instead of running out.
import { totalmem } from 'node:os';
import { UserError } from '../errors';
import { rowsPerBlock } from '../gemm/probe-objective';

export interface RunSize {
  images: number;
  classes: number;
  dim: number;
  labelFree: boolean;
  /** The user's fine-tuned model: its N × K logits, then N × C in the dataset's class order. */
  finetuned?: boolean;
}

const MiB = 2 ** 20;
/** The runtime itself: Node, ONNX Runtime and the text tower's session. */
const BASELINE = 400 * MiB;

/**
 * Bytes a run holds at its peak: the N × D float32 features (and as much again while they are read), the
 * probe's C × D parameters and L-BFGS memory in float64, row blocks of C logits, and, label-free only, one N × C
 * float32 zero-shot matrix; with the user's fine-tuned model, its logits (N × C float32, twice while reordered).
 */
export function estimateRunBytes(size: RunSize): number {
  const { images, classes, dim } = size;
  const features = 2 * images * dim * 4;
  const probe = (2 * 10 + 8) * (classes * (dim + 1)) * 8;
  const blocks = 6 * rowsPerBlock(classes) * classes * 4;
  const labelFree = size.labelFree ? 2 * images * classes * 4 : 0;
  const finetuned = size.finetuned ? 2 * images * classes * 4 : 0;
  return BASELINE + features + probe + blocks + labelFree + finetuned;
}

/** Refuses a run whose estimate exceeds 80% of this machine's memory, naming the estimate. */
export function checkRunFits(size: RunSize, available = totalmem()): void {
  const need = estimateRunBytes(size);
  if (need > 0.8 * available) {
    throw new UserError(
      `${size.images} images × ${size.classes} classes × ${size.dim}-d needs about ${(need / 2 ** 30).toFixed(1)} GiB, ` +
        `more than 80% of this machine's ${(available / 2 ** 30).toFixed(1)} GiB; analyse a subset of the images or classes`,
    );
  }
}
