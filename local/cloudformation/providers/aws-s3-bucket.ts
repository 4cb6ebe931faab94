import { CreateBucketCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';

export const awsS3Bucket: ResourceProvider = {
  type: 'AWS::S3::Bucket',
  async create(id, props, previous, s) {
    const name =
      (props.BucketName as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 63, true);
    await s.s3.send(new CreateBucketCommand({ Bucket: name })).catch((error: Error) => {
      if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
    });
    const versioning = (props.VersioningConfiguration as { Status?: string } | undefined)?.Status;
    // Absent, a bucket keeps what it had: CloudFormation cannot turn versioning off either.
    if (versioning === 'Enabled' || versioning === 'Suspended')
      await s.s3.send(
        new PutBucketVersioningCommand({
          Bucket: name,
          VersioningConfiguration: { Status: versioning },
        }),
      );
    return {
      physicalId: name,
      attributes: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${s.region}.amazonaws.com`,
      },
    };
  },
};
