import { AwsError } from '../../aws/errors.ts';
import type { SecretsAction } from '../service.ts';
import { generatePassword } from '../store.ts';

/** A password as Secrets Manager generates one (`aws secretsmanager get-random-password`). */
export const GetRandomPassword: SecretsAction = (input) => {
  const length = input.PasswordLength === undefined ? 32 : Number(input.PasswordLength);
  if (!Number.isInteger(length) || length < 1 || length > 4096)
    throw new AwsError('InvalidParameterException', 'PasswordLength must be from 1 to 4096');
  const exclude = [
    typeof input.ExcludeCharacters === 'string' ? input.ExcludeCharacters : '',
    input.ExcludeNumbers === true ? '0123456789' : '',
    input.ExcludeUppercase === true ? 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' : '',
    input.ExcludeLowercase === true ? 'abcdefghijklmnopqrstuvwxyz' : '',
    input.IncludeSpace === true ? '' : ' ',
  ].join('');
  return {
    RandomPassword: generatePassword(length, exclude, input.ExcludePunctuation === true),
  };
};
