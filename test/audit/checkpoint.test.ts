/** Signed checkpoints: round trip on both backends and both algorithms, tampering, strict parsing, nextCheckpoint. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeBackend } from '../../host/src/crypto/native.ts';
import { nobleBackend } from '../../host/src/crypto/noble.ts';
import type { CryptoBackend, SigAlg } from '../../host/src/crypto/types.ts';
import { concatBytes, fromBase64, toBase64, utf8 } from '../../host/src/bytes.ts';
import { KapsuleError } from '../../host/src/errors.ts';
import { pae, SIGNING_TYPES } from '../../host/src/pae.ts';
import {
  CHECKPOINT_SIG_TYPES, formatCheckpoint, keyId, nextCheckpoint, parseCheckpoint, signCheckpoint, verifyCheckpoint,
  type Checkpoint,
} from '../../host/src/audit/checkpoint.ts';
import { emptyRoot, MemoryNodeStore, MerkleLog } from '../../host/src/audit/merkle.ts';

const isAudit = (e: unknown) => e instanceof KapsuleError && e.code === 'AUDIT_INVALID' && e.stage === 'audit';
const NAME = 'example.org/kapsule-device';

function keys(b: CryptoBackend, alg: SigAlg, seed: number) {
  const sk = new Uint8Array(32).fill(seed);
  return { sk, pk: b.sigPublicKey(alg, sk) };
}

function logOf(b: CryptoBackend, n: number, tag = 0): MerkleLog {
  const log = new MerkleLog((d) => b.sha256(d), new MemoryNodeStore());
  for (let i = 0; i < n; i++) log.append(Uint8Array.of(tag, i));
  return log;
}

test('PAE layout: "KAPSULEv1" SP len(type) SP type SP len(body) SP body', () => {
  assert.equal(utf8.decode(pae('kapsule/checkpoint/v1', utf8.encode('a\nb'))), 'KAPSULEv1 21 kapsule/checkpoint/v1 3 a\nb');
  assert.equal(utf8.decode(pae('', new Uint8Array(0))), 'KAPSULEv1 0  0 ');
});

for (const b of [nativeBackend, nobleBackend]) {
  for (const alg of ['ed25519', 'p256'] as const) {
    test(`round trip and tampering (${b.name}, ${alg})`, () => {
      const { sk, pk } = keys(b, alg, 7);
      const log = logOf(b, 10);
      const c: Checkpoint = { origin: 'example.org/log', size: 10, root: log.root() };
      const text = signCheckpoint(b, alg, sk, pk, NAME, c);
      const [body, sigLine] = text.split('\n\n');
      assert.equal(body + '\n', formatCheckpoint(c));
      assert.equal(body, `example.org/log\n10\n${toBase64(c.root)}`);
      assert.match(sigLine, /^\u2014 example\.org\/kapsule-device [A-Za-z0-9+/=]+\n$/);
      const blob = fromBase64(sigLine.slice(NAME.length + 3, -1));
      assert.equal(blob.length, 4 + 64);
      assert.deepEqual(blob.subarray(0, 4), b.sha256(concatBytes(utf8.encode(`${NAME}\n`), CHECKPOINT_SIG_TYPES[alg], pk)).subarray(0, 4));
      assert.ok(b.verify(alg, pk, pae(SIGNING_TYPES.checkpoint, utf8.encode(formatCheckpoint(c))), blob.subarray(4)), 'signs PAE(checkpoint, body)');
      assert.ok(!b.verify(alg, pk, utf8.encode(formatCheckpoint(c)), blob.subarray(4)), 'does not sign the bare body');

      const v = verifyCheckpoint(b, alg, pk, NAME, text);
      assert.equal(v.origin, c.origin);
      assert.equal(v.size, 10);
      assert.deepEqual(v.root, c.root);
      // the other backend agrees
      const other = b === nativeBackend ? nobleBackend : nativeBackend;
      assert.equal(verifyCheckpoint(other, alg, pk, NAME, text).size, 10);

      const otherRoot = toBase64(logOf(b, 10, 1).root());
      const tampered = [
        text.replace('example.org/log', 'example.org/lug'),
        text.replace('\n10\n', '\n11\n'),
        text.replace('\n10\n', '\n9\n'),
        text.replace(toBase64(c.root), otherRoot),
        text.replace(`\u2014 ${NAME} `, '\u2014 example.org/other '),
      ];
      // flip one bit in each part of the signature blob
      for (const at of [0, 3, 4, 40, 67]) {
        const x = blob.slice(); x[at] ^= 1;
        tampered.push(text.replace(toBase64(blob), toBase64(x)));
      }
      for (const t of tampered) assert.throws(() => verifyCheckpoint(b, alg, pk, NAME, t), isAudit, JSON.stringify(t));
      // wrong key, wrong name, wrong algorithm
      const wrong = keys(b, alg, 8);
      assert.throws(() => verifyCheckpoint(b, alg, wrong.pk, NAME, text), isAudit);
      assert.throws(() => verifyCheckpoint(b, alg, pk, 'example.org/other', text), isAudit);
      const otherAlg: SigAlg = alg === 'ed25519' ? 'p256' : 'ed25519';
      assert.throws(() => verifyCheckpoint(b, otherAlg, keys(b, otherAlg, 7).pk, NAME, text), isAudit);
    });
  }
}

test('signed-note rules: other keys\' lines are ignored; a failing line from the expected key rejects the note', () => {
  const b = nativeBackend;
  const me = keys(b, 'ed25519', 1);
  const witness = keys(b, 'ed25519', 2);
  const c: Checkpoint = { origin: 'example.org/log', size: 3, root: logOf(b, 3).root() };
  const mine = signCheckpoint(b, 'ed25519', me.sk, me.pk, NAME, c);
  const theirs = signCheckpoint(b, 'ed25519', witness.sk, witness.pk, 'witness.example', c);
  const theirLine = theirs.split('\n\n')[1];
  const both = mine + theirLine;
  assert.equal(parseCheckpoint(both).signatures.length, 2);
  assert.equal(verifyCheckpoint(b, 'ed25519', me.pk, NAME, both).size, 3);
  assert.equal(verifyCheckpoint(b, 'ed25519', witness.pk, 'witness.example', both).size, 3);
  const body = mine.split('\n\n')[0];
  assert.equal(verifyCheckpoint(b, 'ed25519', me.pk, NAME, `${body}\n\n${theirLine}${mine.split('\n\n')[1]}`).size, 3, 'order does not matter');
  // a second, bad line from my key → reject
  const myLine = mine.split('\n\n')[1];
  const raw = fromBase64(myLine.slice(NAME.length + 3, -1)); raw[10] ^= 1;
  assert.throws(() => verifyCheckpoint(b, 'ed25519', me.pk, NAME, `${mine}\u2014 ${NAME} ${toBase64(raw)}\n`), isAudit);
  // only lines from other keys → reject
  assert.throws(() => verifyCheckpoint(b, 'ed25519', me.pk, NAME, `${body}\n\n${theirLine}`), isAudit);
});

test('parseCheckpoint is strict', () => {
  const b = nativeBackend;
  const { sk, pk } = keys(b, 'ed25519', 3);
  const root = logOf(b, 5).root();
  const good = signCheckpoint(b, 'ed25519', sk, pk, NAME, { origin: 'o', size: 5, root });
  assert.equal(parseCheckpoint(good).size, 5);
  const [body, sig] = good.split('\n\n');
  const sigLine = sig.slice(0, -1);
  const rootB64 = toBase64(root);
  const bad = [
    '',
    body,
    `${body}\n${sig}`,                                     // no blank line
    good.replace(/\n/g, '\r\n'),                             // CRLF
    good.slice(0, -1),                                       // no final newline
    `${body}\next\n\n${sig}`,                                // extension line
    good.replace('\n5\n', '\n05\n'),                         // leading zero
    good.replace('\n5\n', '\n+5\n'),
    good.replace('\n5\n', '\n5.0\n'),
    good.replace('\n5\n', '\n-1\n'),
    good.replace('\n5\n', '\n9007199254740992\n'),           // past 2^53 − 1
    good.replace(rootB64, rootB64.slice(0, -1)),             // unpadded
    good.replace(rootB64, toBase64(root.subarray(0, 31))),   // 31 bytes
    good.replace(rootB64, `${rootB64.slice(0, 42)}B=`),      // non-canonical trailing bits
    good.replace('o\n', ' o\n'),                             // origin with leading space
    good.replace('o\n', '\n'),                               // empty origin
    good.replace('o\n', 'o\u00e9\n'),                        // non-ASCII origin
    good.replace('o\n', 'o\tx\n'),                           // control character
    `${body}\n\n${sigLine.replace('\u2014', '-')}\n`,         // hyphen instead of em dash
    `${body}\n\n${sigLine.replace(' ', '  ')}\n`,
    `${body}\n\n${sigLine.replace(NAME, 'a+b')}\n`,          // '+' in key name
    `${body}\n\n${sigLine}\n\n`,                             // blank line after signatures
    `${body}\n\n\u2014 ${NAME} AAAA\n`,                      // 3-byte blob
    `${body}\n\n${`${sigLine}\n`.repeat(17)}`,               // more than 16 signatures
  ];
  for (const t of bad) assert.throws(() => parseCheckpoint(t), isAudit, JSON.stringify(t));
  assert.equal(parseCheckpoint(`${body}\n\n${`${sigLine}\n`.repeat(16)}`).signatures.length, 16);
  assert.throws(() => formatCheckpoint({ origin: 'o', size: -1, root }), isAudit);
  assert.throws(() => formatCheckpoint({ origin: 'o', size: 1, root: root.subarray(1) }), isAudit);
  assert.throws(() => signCheckpoint(b, 'ed25519', sk, pk, 'has space', { origin: 'o', size: 5, root }), isAudit);
});

test('keyId follows signed-note with the 0xff-escaped kapsule signature type', () => {
  const b = nativeBackend;
  const pk = keys(b, 'ed25519', 4).pk;
  assert.deepEqual(CHECKPOINT_SIG_TYPES.ed25519, concatBytes(Uint8Array.of(0xff), utf8.encode('kapsule/checkpoint/v1/ed25519')));
  assert.deepEqual(keyId(b, 'n', 'ed25519', pk), b.sha256(concatBytes(utf8.encode('n\n'), CHECKPOINT_SIG_TYPES.ed25519, pk)).subarray(0, 4));
  assert.notDeepEqual(keyId(b, 'n', 'ed25519', pk), b.sha256(concatBytes(utf8.encode('n\n'), Uint8Array.of(1), pk)).subarray(0, 4));
});

test('nextCheckpoint follows only a consistent history', () => {
  const b = nativeBackend;
  const h = (d: Uint8Array) => b.sha256(d);
  const log = logOf(b, 20);
  const prev: Checkpoint = { origin: 'o', size: 10, root: log.root(10) };
  const next = nextCheckpoint(h, prev, 20, log.root(20), log.consistencyProof(10, 20));
  assert.deepEqual(next, { origin: 'o', size: 20, root: log.root(20) });
  assert.equal(nextCheckpoint(h, prev, 10, log.root(10), []).size, 10);
  assert.equal(nextCheckpoint(h, { origin: 'o', size: 0, root: emptyRoot(h) }, 20, log.root(20), []).size, 20);

  const forked = logOf(b, 20);
  forked.append(Uint8Array.of(9)); // same first 20, diverges after: still consistent
  const rewritten = new MerkleLog(h, new MemoryNodeStore());
  for (let i = 0; i < 20; i++) rewritten.append(Uint8Array.of(i === 3 ? 1 : 0, i)); // entry 3 rewritten
  const refusals: [string, () => unknown][] = [
    ['rewritten history', () => nextCheckpoint(h, prev, 20, rewritten.root(20), rewritten.consistencyProof(10, 20))],
    ['proof for other sizes', () => nextCheckpoint(h, prev, 20, log.root(20), log.consistencyProof(11, 20))],
    ['empty proof', () => nextCheckpoint(h, prev, 20, log.root(20), [])],
    ['shrink', () => nextCheckpoint(h, prev, 9, log.root(9), [])],
    ['same size, other root', () => nextCheckpoint(h, prev, 10, rewritten.root(10), [])],
    ['same size, non-empty proof', () => nextCheckpoint(h, prev, 10, log.root(10), [log.root(10)])],
    ['from a bogus empty tree', () => nextCheckpoint(h, { origin: 'o', size: 0, root: log.root(1) }, 20, log.root(20), [])],
  ];
  for (const [what, f] of refusals) assert.throws(f, isAudit, what);
  assert.equal(nextCheckpoint(h, { origin: 'o', size: 20, root: log.root(20) }, 21, forked.root(21), forked.consistencyProof(20, 21)).size, 21);
});
