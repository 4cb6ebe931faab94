/**
 * Fault injection for the fault suite: `SHOPSTREAM_FAULT=<point>:<key part>` kills this
 * process with SIGKILL the first time code passes `<point>` for a key containing `<key part>`,
 * so a test can crash the cloud at a moment no signal from outside could pick. Unset, as
 * everywhere but in test/faults, a fault point costs one comparison.
 */
const [point, part] = splitOnce(process.env.SHOPSTREAM_FAULT ?? '');

export function faultPoint(name: string, key: string): void {
  if (point === name && key.includes(part)) process.kill(process.pid, 'SIGKILL');
}

function splitOnce(text: string): [string, string] {
  const at = text.indexOf(':');
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
