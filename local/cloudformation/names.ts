import { randomInt } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A physical name as CloudFormation makes one: `<stack>-<logical id>-<random>`, within a length. */
export function physicalName(
  stackName: string,
  logicalId: string,
  maxLength: number,
  lowerCase = false,
): string {
  const suffix = Array.from(
    { length: 12 },
    () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)],
  ).join('');
  const room = maxLength - suffix.length - 2;
  const stackPart = stackName.slice(0, Math.floor(room / 2));
  const idPart = logicalId.slice(0, room - stackPart.length);
  const name = `${stackPart}-${idPart}-${suffix}`;
  return lowerCase ? name.toLowerCase() : name;
}
