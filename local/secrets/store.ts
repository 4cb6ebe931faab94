import { randomBytes, randomInt } from 'node:crypto';
import { AwsError } from '../aws/errors.ts';
import { ACCOUNT_ID } from '../constants.ts';

export interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  secretString: string;
  versionId: string;
  readonly createdDate: number;
}

/** Secrets Manager's data; the deployment state persists it. */
export class SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();
  private readonly region: string;

  constructor(region: string, saved: StoredSecret[] = []) {
    this.region = region;
    for (const secret of saved) this.secrets.set(secret.arn, secret);
  }

  create(name: string, secretString: string): StoredSecret {
    const existing = this.byName(name);
    if (existing) return existing;
    const arn = `arn:aws:secretsmanager:${this.region}:${ACCOUNT_ID}:secret:${name}-${randomBytes(3).toString('hex')}`;
    const secret = {
      arn,
      name,
      secretString,
      versionId: crypto.randomUUID(),
      createdDate: Date.now() / 1000,
    };
    this.secrets.set(arn, secret);
    return secret;
  }

  update(arn: string, secretString: string): void {
    const secret = this.get(arn);
    if (secret.secretString === secretString) return;
    secret.secretString = secretString;
    secret.versionId = crypto.randomUUID();
  }

  get(id: string): StoredSecret {
    const secret = this.secrets.get(id) ?? this.byName(id) ?? this.byPartialArn(id);
    if (!secret)
      throw new AwsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    return secret;
  }

  all(): StoredSecret[] {
    return [...this.secrets.values()];
  }

  private byName(name: string) {
    return [...this.secrets.values()].find((s) => s.name === name);
  }

  /** An ARN without the random suffix names the secret too. */
  private byPartialArn(arn: string) {
    return [...this.secrets.values()].find((s) => s.arn.startsWith(`${arn}-`));
  }
}

/** A password as CloudFormation's GenerateSecretString makes it. */
export function generatePassword(
  length: number,
  exclude: string,
  excludePunctuation = false,
): string {
  const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
  let alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  if (!excludePunctuation) alphabet += punctuation;
  const allowed = [...alphabet].filter((c) => !exclude.includes(c));
  return Array.from({ length }, () => allowed[randomInt(allowed.length)]).join('');
}
