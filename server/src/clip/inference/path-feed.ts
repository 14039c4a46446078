// Paths handed to the embedder while they are still being found: the cache lookup hashes file k + 1 while the
// pipeline already decodes file k, instead of hashing every file before the first decode.

export class PathFeed {
  private readonly items: string[] = [];
  private ended = false;
  private abandoned = false;
  private taken = 0;
  private waiters: (() => void)[] = [];
  /** Takes run one after another, so each gets the paths after the previous one's. */
  private turn: Promise<unknown> = Promise.resolve();

  /** A feed of `paths` that is already complete. */
  static of(paths: readonly string[]): PathFeed {
    const feed = new PathFeed();
    feed.items.push(...paths);
    feed.ended = true;
    return feed;
  }

  /** Adds a path; returns its index in the feed (-1 once the consumer has given up: nothing will embed it). */
  push(path: string): number {
    if (this.abandoned) return -1;
    if (this.ended) throw new Error('PathFeed: push after end');
    this.items.push(path);
    this.wakeAll();
    return this.items.length - 1;
  }

  /** No more paths: waiting takes get what is left (possibly nothing). */
  end(): void {
    this.ended = true;
    this.wakeAll();
  }

  /** The consumer stopped (an error or a cancel): waiting takes get nothing, later pushes are ignored. */
  abandon(): void {
    this.abandoned = true;
    this.end();
  }

  /** Paths pushed so far. */
  get length(): number {
    return this.items.length;
  }

  get complete(): boolean {
    return this.ended;
  }

  /**
   * The next `n` paths and the feed index of the first, once `n` are there or the feed has ended (then fewer; none
   * means the feed is exhausted). `onEach(path, k)` sees each as soon as it is this take's, so work on a batch can
   * start before the batch is full.
   */
  take(n: number, onEach?: (path: string, k: number) => void): Promise<{ start: number; paths: string[] }> {
    const next = this.turn.then(async () => {
      const start = this.taken;
      let got = 0;
      for (;;) {
        for (; got < n && this.taken < this.items.length && !this.abandoned; got++) {
          const path = this.items[this.taken++];
          onEach?.(path, got);
        }
        if (got >= n || this.ended) break;
        await new Promise<void>((wake) => this.waiters.push(wake));
      }
      return { start, paths: this.abandoned ? [] : this.items.slice(start, start + got) };
    });
    this.turn = next;
    return next;
  }

  private wakeAll(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }
}
