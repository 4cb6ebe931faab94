import type { PoolClient } from 'pg';

/**
 * A pool client held through one transaction while other work runs between its queries (a
 * file's S3 body, the lake's puts and the stream's publishes). pg reports a connection lost
 * while nothing is asked of it as an 'error' event on the client, which, unheard, ends the
 * process. Here it is kept: the next query fails on its own, and the client is released with
 * that error so that the pool drops it rather than lending it again.
 */
export class HeldTransaction {
  readonly client: PoolClient;
  private released = false;
  private lost: Error | null = null;
  private readonly onError = (error: Error) => {
    this.lost = error;
  };

  constructor(client: PoolClient) {
    this.client = client;
    client.on('error', this.onError);
  }

  /** Runs the statements that end the transaction (ending with COMMIT), then releases. */
  async finish(sql: string): Promise<void> {
    await this.client.query(sql);
    this.release();
  }

  /** Rolls back and releases; a failed rollback releases the client broken, to be dropped. */
  async rollback(): Promise<void> {
    if (this.released) return;
    try {
      await this.client.query('ROLLBACK');
      this.release();
    } catch (error) {
      this.release(error as Error);
    }
  }

  release(error?: Error): void {
    if (this.released) return;
    this.released = true;
    this.client.off('error', this.onError);
    this.client.release(error ?? this.lost ?? undefined);
  }
}
