import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { QueueNotification } from '../s3/notifications.ts';
import type { StoredSecret } from '../secrets/store.ts';
import { writeFileAtomic } from '../shared/atomic-file.ts';

export interface ResourceState {
  readonly type: string;
  readonly physicalId: string;
  readonly attributes: Record<string, unknown>;
  /** Resolved properties, to tell an update from a no-op on the next deploy. */
  readonly properties: unknown;
}

export interface CloudState {
  stackName?: string;
  /** When the first deploy on this state created the stack (ISO time). */
  createdAt?: string;
  resources: Record<string, ResourceState>;
  secrets: StoredSecret[];
  notifications: Record<string, QueueNotification[]>;
}

/** What the embedded cloud remembers between runs, in `.local/stack.json`. */
export class StateFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  load(): CloudState {
    if (!existsSync(this.path)) return { resources: {}, secrets: [], notifications: {} };
    return JSON.parse(readFileSync(this.path, 'utf8')) as CloudState;
  }

  save(state: CloudState): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`);
  }
}
