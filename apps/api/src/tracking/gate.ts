import { rateLimited } from '../errors';

/**
 * At most `limit` heavy requests (history exports, reports) at a time in this process: each holds a
 * database connection for its duration, and the pool is shared with every other route. Over the
 * limit the client is told to retry shortly instead of queueing behind a long export.
 */
export class Gate {
  private active = 0;

  constructor(
    private readonly limit: number,
    private readonly what: string,
  ) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) throw rateLimited(`too many ${this.what} in progress; retry shortly`, 2);
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
    }
  }
}
