/**
 * Signed action entries. Whoever can write to a shared cache could otherwise map a key to outputs
 * of their choosing (the cache poisoning of CVE-2025-36852): a client given trusted public keys
 * accepts only entries signed by one of them. Keys are ed25519, in PEM (`dag keygen` or openssl).
 * Blobs need no signature: they are named by their digest and checked against it on download.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DagUserError } from '../../util/user-error.js';

/** What the remote stores under `ac/<key>`: the result's exact JSON text and its signature. */
export interface ActionEnvelope {
  'dag-action': 1;
  /** The ActionResult as JSON text; the signature covers these bytes exactly. */
  result: string;
  signature?: { keyId: string; ed25519: string };
}

export interface SigningKey {
  keyId: string;
  key: KeyObject;
}

/** First 16 hex of the SHA-256 of the public key's DER: names a key in messages and envelopes. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function readKeyFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new DagUserError(`${what} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

export function loadSigningKey(file: string): SigningKey {
  const text = readKeyFile(file, 'signing key');
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw new DagUserError(`signing key ${file}: not a PEM private key (make one with \`dag keygen ${file}\`)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new DagUserError(`signing key ${file}: a ${key.asymmetricKeyType} key; dag signs with ed25519`);
  return { key, keyId: keyIdOf(createPublicKey(key)) };
}

/** Every `BEGIN PUBLIC KEY` block of the file, by key id. */
export function loadTrustedKeys(file: string): Map<string, KeyObject> {
  const text = readKeyFile(file, 'trusted keys');
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new DagUserError(`trusted keys ${file}: no "BEGIN PUBLIC KEY" block (concatenate the .pub files of \`dag keygen\`)`);
  const keys = new Map<string, KeyObject>();
  blocks.forEach((pem, i) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new DagUserError(`trusted keys ${file}: key ${i + 1} is not a valid public key`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new DagUserError(`trusted keys ${file}: key ${i + 1} is ${key.asymmetricKeyType}, not ed25519`);
    keys.set(keyIdOf(key), key);
  });
  return keys;
}

export function sealEntry(resultJson: string, signer?: SigningKey): Buffer {
  const envelope: ActionEnvelope = { 'dag-action': 1, result: resultJson };
  if (signer) envelope.signature = { keyId: signer.keyId, ed25519: sign(null, Buffer.from(resultJson), signer.key).toString('base64') };
  return Buffer.from(JSON.stringify(envelope));
}

export type OpenedEntry = { ok: true; resultJson: string; signedBy?: string } | { ok: false; reason: string };

/** Parses an envelope; with trusted keys, anything but a valid signature by one of them is refused. */
export function openEntry(bytes: Buffer, trusted: Map<string, KeyObject> | undefined): OpenedEntry {
  let envelope: ActionEnvelope;
  try {
    envelope = JSON.parse(bytes.toString('utf8')) as ActionEnvelope;
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (envelope?.['dag-action'] !== 1 || typeof envelope.result !== 'string') return { ok: false, reason: 'not a dag action entry' };
  if (!trusted) return { ok: true, resultJson: envelope.result };
  const sig = envelope.signature;
  if (!sig) return { ok: false, reason: 'unsigned, and trusted keys are required' };
  const key = trusted.get(sig.keyId);
  if (!key) return { ok: false, reason: `signed by key ${String(sig.keyId).slice(0, 16)}, which is not among the trusted keys` };
  let valid = false;
  try {
    valid = verify(null, Buffer.from(envelope.result), key, Buffer.from(sig.ed25519, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: `signature by key ${sig.keyId} does not match the entry (altered)` };
  return { ok: true, resultJson: envelope.result, signedBy: sig.keyId };
}
