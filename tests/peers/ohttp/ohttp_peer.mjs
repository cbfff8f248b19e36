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
//   node ohttp_peer.mjs serve PORT TARGET_PORT CA_FILE AEAD
//     an HTTP gateway with a fresh key (see serve() below)
//
// Errors go to stderr with exit status 1.

import { Aes128Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { BHttpDecoder, BHttpEncoder } from "bhttp-js";
import { hkdfSync, webcrypto } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect as http2Connect } from "node:http2";

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

// RFC 9458 section 4.3, the gateway's side: the HPKE context and the
// Binary HTTP request inside.
async function decapsulate(suite, privateKey, aead, message) {
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
  const recipientKey = await suite.kem.deserializePrivateKey(privateKey);
  const context = await suite.createRecipientContext({ recipientKey, enc,
                                                       info });
  const plain = new Uint8Array(await context.open(message.slice(39)));
  return { context, enc, request: new BHttpDecoder().decodeRequest(plain) };
}

// RFC 9458 section 4.4: a Binary HTTP response sealed for that request.
async function sealResponse(suite, context, enc, answer) {
  const response = await new BHttpEncoder().encodeResponse(answer);
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
  return new Uint8Array([...responseNonce, ...new Uint8Array(sealed)]);
}

async function open(privateKeyHex, aead, requestHex) {
  const suite = suiteFor(aead);
  const { context, enc, request } = await decapsulate(
      suite, unhex(privateKeyHex), aead, unhex(requestHex));
  const content = new Uint8Array(await request.arrayBuffer());
  const answer = new Response(content, {
    status: 200,
    headers: { "content-type": "application/dns-message" },
  });
  return {
    method: request.method,
    url: request.url,
    content_type: request.headers.get("content-type"),
    accept: request.headers.get("accept"),
    content: hex(content),
    encapsulated_response: hex(await sealResponse(suite, context, enc,
                                                  answer)),
  };
}

// The first question's name of a DNS message, for the log.
function questionName(query) {
  const labels = [];
  for (let at = 12; at < query.length && query[at] !== 0;
       at += 1 + query[at]) {
    labels.push(Buffer.from(query.slice(at + 1, at + 1 + query[at]))
                    .toString("latin1"));
  }
  return labels.join(".");
}

// An HTTP gateway on 127.0.0.1:PORT: GET /ohttp-keys serves the key
// configuration (application/ohttp-keys), POST /gateway opens a request,
// sends it as a DoH POST to https://127.0.0.1:TARGET_PORT (trusting CA),
// and seals the answer. Each request is logged as "gateway: peer=ADDRESS
// name=NAME": what the gateway learns.
async function serve(port, targetPort, caFile, aead) {
  const suite = suiteFor(aead);
  const keys = await keygen(aead);
  const config = unhex(keys.key_config);
  const list = new Uint8Array([...u16(config.length), ...config]);
  const ca = readFileSync(caFile);
  let doh2 = null;
  const server = createServer(async (req, res) => {
    try {
      if (req.method === "GET" && req.url === "/ohttp-keys") {
        res.writeHead(200, { "content-type": "application/ohttp-keys" });
        res.end(list);
        return;
      }
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const { context, enc, request } = await decapsulate(
          suite, unhex(keys.private_key), aead,
          new Uint8Array(Buffer.concat(chunks)));
      const query = new Uint8Array(await request.arrayBuffer());
      const url = new URL(request.url);
      process.stdout.write(`gateway: peer=${req.socket.remoteAddress} ` +
                           `name=${questionName(query)}\n`);
      // The DoH server speaks HTTP/2 (unbound's does only that), on one
      // connection kept open, as a gateway would.
      if (!doh2 || doh2.closed || doh2.destroyed) {
        doh2 = http2Connect(`https://127.0.0.1:${targetPort}`,
                            { ca, servername: url.hostname });
        doh2.on("error", () => { doh2 = null; });
      }
      const session = doh2;
      const answer = await new Promise((resolve, reject) => {
        const doh = session.request({
          ":method": "POST", ":path": url.pathname,
          "content-type": "application/dns-message",
          "accept": "application/dns-message",
        });
        let status = 0;
        let type = "";
        const parts = [];
        doh.on("response", (headers) => {
          status = headers[":status"];
          type = headers["content-type"] || "";
        });
        doh.on("data", (d) => parts.push(d));
        doh.on("end", () => {
          resolve(new Response(Buffer.concat(parts), {
            status, headers: { "content-type": type } }));
        });
        doh.on("error", reject);
        doh.end(Buffer.from(query));
      });
      const sealed = await sealResponse(suite, context, enc, answer);
      res.writeHead(200, { "content-type": "message/ohttp-res" });
      res.end(sealed);
    } catch (e) {
      process.stdout.write(`gateway: error ${e}\n`);
      res.writeHead(400);
      res.end();
    }
  });
  server.listen(port, "127.0.0.1", () => {
    process.stdout.write(`gateway: listening on ${port}\n`);
  });
}

try {
  const [command, ...args] = process.argv.slice(2);
  let out;
  if (command === "keygen") {
    out = await keygen(Number(args[0]));
  } else if (command === "open") {
    out = await open(args[0], Number(args[1]), args[2]);
  } else if (command === "serve") {
    await serve(Number(args[0]), Number(args[1]), args[2], Number(args[3]));
  } else {
    throw new Error(`unknown command ${command}`);
  }
  if (out) process.stdout.write(JSON.stringify(out) + "\n");
} catch (e) {
  process.stderr.write(`ohttp_peer: ${e.stack || e}\n`);
  process.exit(1);
}
