import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  truncateSync,
  type WriteStream,
} from 'node:fs';
import { join } from 'node:path';

export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly ingestionTime: number;
}

interface Stream {
  readonly name: string;
  readonly creationTime: number;
  readonly events: LogEvent[];
  readonly file: string;
  out?: WriteStream;
}

interface Group {
  readonly name: string;
  readonly creationTime: number;
  retentionInDays: number | null;
  readonly streams: Map<string, Stream>;
  readonly dir: string;
}

/**
 * CloudWatch Logs' data: groups of streams of events, kept in memory and appended to
 * `.local/logs/<group>/<stream>.jsonl`, so a restart finds yesterday's logs.
 */
export class LogStore {
  private readonly groups = new Map<string, Group>();
  private readonly listeners = new Set<
    (group: string, stream: string, events: LogEvent[]) => void
  >();
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.load();
  }

  createGroup(name: string, retentionInDays: number | null = null): void {
    const existing = this.groups.get(name);
    if (existing) {
      existing.retentionInDays = retentionInDays ?? existing.retentionInDays;
      return;
    }
    const dir = join(this.dir, encodeURIComponent(name));
    mkdirSync(dir, { recursive: true });
    this.groups.set(name, {
      name,
      creationTime: Date.now(),
      retentionInDays,
      streams: new Map(),
      dir,
    });
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  createStream(groupName: string, streamName: string): void {
    this.createGroup(groupName);
    const group = this.groups.get(groupName) as Group;
    if (group.streams.has(streamName)) return;
    group.streams.set(streamName, {
      name: streamName,
      creationTime: Date.now(),
      events: [],
      file: join(group.dir, `${encodeURIComponent(streamName)}.jsonl`),
    });
  }

  put(
    groupName: string,
    streamName: string,
    messages: { timestamp?: number; message: string }[],
  ): void {
    this.createStream(groupName, streamName);
    const stream = this.groups.get(groupName)?.streams.get(streamName) as Stream;
    const now = Date.now();
    const events = messages.map((m) => ({
      timestamp: m.timestamp ?? now,
      message: m.message,
      ingestionTime: now,
    }));
    stream.events.push(...events);
    stream.out ??= createWriteStream(stream.file, { flags: 'a', mode: 0o600 });
    stream.out.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    for (const listener of this.listeners) listener(groupName, streamName, events);
  }

  onEvents(listener: (group: string, stream: string, events: LogEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Flushes and closes the streams' files. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const group of this.groups.values()) {
      for (const stream of group.streams.values()) {
        const out = stream.out;
        if (!out) continue;
        stream.out = undefined;
        closing.push(new Promise((resolve) => out.end(() => resolve())));
      }
    }
    await Promise.all(closing);
  }

  groupsList(): Group[] {
    return [...this.groups.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  group(name: string): Group | undefined {
    return this.groups.get(name);
  }

  private load(): void {
    if (!existsSync(this.dir)) return;
    for (const encodedGroup of readdirSync(this.dir)) {
      const name = decodeURIComponent(encodedGroup);
      const dir = join(this.dir, encodedGroup);
      const group: Group = {
        name,
        creationTime: Date.now(),
        retentionInDays: null,
        streams: new Map(),
        dir,
      };
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
        const streamName = decodeURIComponent(file.slice(0, -'.jsonl'.length));
        const events = readEvents(join(dir, file));
        group.streams.set(streamName, {
          name: streamName,
          creationTime: events[0]?.ingestionTime ?? Date.now(),
          events,
          file: join(dir, file),
        });
      }
      this.groups.set(name, group);
    }
  }
}

/**
 * A stream's events. A process killed mid-append leaves a torn last line: it is cut off, so
 * that the next append starts on a line of its own, and the rest is kept.
 */
function readEvents(file: string): LogEvent[] {
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, end)));
  const events: LogEvent[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    if (line === '') continue;
    try {
      events.push(JSON.parse(line) as LogEvent);
    } catch {
      // a line torn by an earlier crash and appended to since: skipped
    }
  }
  return events;
}

export type { Group as LogGroup, Stream as LogStream };
