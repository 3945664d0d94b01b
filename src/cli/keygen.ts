/**
 * `dag keygen FILE`: an ed25519 key pair for signing remote cache entries. The private key (PEM,
 * mode 0600) goes to FILE, the public key to FILE.pub; teammates concatenate the .pub files of the
 * keys they trust into one file for --trusted-keys. openssl makes the same files:
 *   openssl genpkey -algorithm ed25519 -out FILE && openssl pkey -in FILE -pubout -out FILE.pub
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { keyIdOf } from '../cache/remote/signing.js';
import { DagUserError } from '../util/user-error.js';

export async function keygenCommand(file: string): Promise<number> {
  if (existsSync(file)) throw new DagUserError(`${file} exists; dag keygen does not overwrite keys`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(`${file}.pub`, publicKey.export({ type: 'spki', format: 'pem' }));
  process.stdout.write(`wrote ${file} (private, keep it secret) and ${file}.pub (key id ${keyIdOf(publicKey)})\n`);
  return 0;
}
