// The other side of trr's Oblivious HTTP, built only from libraries no one
// here wrote: hpke-js (@hpke/core, with @hpke/dhkem-x25519's X25519 in
// JavaScript rather than OpenSSL, and @hpke/chacha20poly1305) and bhttp-js.
// The Oblivious HTTP framing around them (RFC 9458 sections 4.3 and 4.4)
// is written here from the RFC, with Node's HKDF for the response keys.
//
//   node ohttp_peer.mjs keygen AEAD
//     prints {"private_key": hex, "key_config": hex}: key id 1, X25519,
//     HKDF-SHA256 with AEAD (1 AES-128-GCM, 3 ChaCha20-Poly1305)
//   node ohttp_peer.mjs open PRIVATE_KEY AEAD ENCAPSULATED_REQUEST
//     opens the request as a gateway, answers it with status 200 and the
//     request's own content (content-type application/dns-message), and
//     prints what it read and {"encapsulated_response": hex}
//
// Errors go to stderr with exit status 1.

import { Aes128Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { BHttpDecoder, BHttpEncoder } from "bhttp-js";
import { hkdfSync, webcrypto } from "node:crypto";

const hex = (bytes) => Buffer.from(new Uint8Array(bytes)).toString("hex");
const unhex = (text) => new Uint8Array(Buffer.from(text, "hex"));
const u16 = (v) => [v >> 8, v & 0xff];

function suiteFor(aead) {
  return new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: aead === 3 ? new Chacha20Poly1305() : new Aes128Gcm(),
  });
}

async function keygen(aead) {
  const suite = suiteFor(aead);
  const pair = await suite.kem.generateKeyPair();
  const privateKey = await suite.kem.serializePrivateKey(pair.privateKey);
  const publicKey = await suite.kem.serializePublicKey(pair.publicKey);
  const config = [1, ...u16(0x20), ...new Uint8Array(publicKey), ...u16(4),
                  ...u16(1), ...u16(aead)];
  return { private_key: hex(privateKey), key_config: hex(config) };
}

async function open(privateKeyHex, aead, requestHex) {
  const suite = suiteFor(aead);
  const message = unhex(requestHex);
  const header = message.slice(0, 7);
  const [keyId, kem, kdf, aeadId] = [
    header[0], header[1] << 8 | header[2], header[3] << 8 | header[4],
    header[5] << 8 | header[6]];
  if (keyId !== 1 || kem !== 0x20 || kdf !== 1 || aeadId !== aead) {
    throw new Error(`request for key ${keyId}, suite ${kem}/${kdf}/${aeadId}`);
  }
  const enc = message.slice(7, 39);
  const info = new Uint8Array([...new TextEncoder().encode(
      "message/bhttp request"), 0, ...header]);
  const recipientKey = await suite.kem.deserializePrivateKey(
      unhex(privateKeyHex));
  const context = await suite.createRecipientContext({ recipientKey, enc,
                                                       info });
  const plain = new Uint8Array(await context.open(message.slice(39)));
  const request = new BHttpDecoder().decodeRequest(plain);
  const content = new Uint8Array(await request.arrayBuffer());

  const answer = new Response(content, {
    status: 200,
    headers: { "content-type": "application/dns-message" },
  });
  const response = await new BHttpEncoder().encodeResponse(answer);
  // RFC 9458 section 4.4.
  const aeadImpl = suite.aead;
  const nonceLength = Math.max(aeadImpl.keySize, aeadImpl.nonceSize);
  const secret = await context.export(
      new TextEncoder().encode("message/bhttp response"), nonceLength);
  const responseNonce = webcrypto.getRandomValues(new Uint8Array(nonceLength));
  // Extract(salt, secret) then Expand(prk, label): one HKDF each (hpke-js's
  // own extract wants a salt of the hash's length; this one is longer).
  const salt = new Uint8Array([...enc, ...responseNonce]);
  const key = hkdfSync("sha256", new Uint8Array(secret), salt, "key",
                       aeadImpl.keySize);
  const nonce = hkdfSync("sha256", new Uint8Array(secret), salt, "nonce",
                         aeadImpl.nonceSize);
  const sealed = await aeadImpl.createEncryptionContext(key).seal(
      nonce, response, new Uint8Array());
  return {
    method: request.method,
    url: request.url,
    content_type: request.headers.get("content-type"),
    accept: request.headers.get("accept"),
    content: hex(content),
    encapsulated_response: hex([...responseNonce, ...new Uint8Array(sealed)]),
  };
}

try {
  const [command, ...args] = process.argv.slice(2);
  let out;
  if (command === "keygen") {
    out = await keygen(Number(args[0]));
  } else if (command === "open") {
    out = await open(args[0], Number(args[1]), args[2]);
  } else {
    throw new Error(`unknown command ${command}`);
  }
  process.stdout.write(JSON.stringify(out) + "\n");
} catch (e) {
  process.stderr.write(`ohttp_peer: ${e.stack || e}\n`);
  process.exit(1);
}
