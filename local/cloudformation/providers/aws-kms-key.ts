import { createHash } from 'node:crypto';
import { type ResourceProvider, resourceArn } from '../provider.ts';

/**
 * A KMS key: its id and ARN, for the resources that name it (an encrypted topic). Nothing is
 * encrypted with it on one machine; fauxqs keeps messages as they are.
 */
export const awsKmsKey: ResourceProvider = {
  type: 'AWS::KMS::Key',
  async create(id, _props, previous, s) {
    const hex = createHash('sha256').update(`${s.stackName}/${id}`).digest('hex');
    const keyId =
      previous?.physicalId ??
      `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    return {
      physicalId: keyId,
      attributes: { Arn: resourceArn(s, 'kms', `key/${keyId}`), KeyId: keyId },
    };
  },
};
