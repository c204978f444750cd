/**
 * An HTTP proxy in front of s3rver that makes it behave like S3 where the engine relies on it:
 * - conditional writes (`If-None-Match: *`, `If-Match: <etag>`) are enforced, with S3's status codes and
 *   XML error bodies (s3rver ignores them);
 * - an object is replaced only by a complete upload (s3rver truncates first, and kept the part of a
 *   cut-off upload that arrived);
 * - requests are serialized per key (reads shared, writes and deletes exclusive), because s3rver writes
 *   objects in place, and deletes also per directory: s3rver removes the directories a delete empties, and
 *   a put into one of them at that moment killed it with an unhandled ENOENT;
 * - idempotent requests that s3rver fails with 500 on its own internal races are retried.
 * Path-style addressing only (/<bucket>/<key>), as s3ClientFor sets up for emulators.
 */
import { randomBytes } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Emulator } from './emulator';
import { RuntimeError } from './errors';
import { type LockClaim, type LockMode, NamedLocks } from './named-locks';

/** What a request must lock, and how the proxy treats it. */
interface RequestPlan {
  claims: LockClaim[];
  /** PutObject (or CopyObject): S3 evaluates If-None-Match and If-Match. */
  conditionalWrite: boolean;
  /** Safe to send again when s3rver answers 500 (idempotent, body already buffered). */
  replayable: boolean;
}

/** The directories s3rver keeps a key's files in, outermost first (it joins the key's segments as a path). */
function directoriesOf(key: string): string[] {
  const segments = key.split('/').slice(0, -1);
  return segments.map((_, i) => posix.join(...segments.slice(0, i + 1))).filter((dir) => dir !== '.');
}

/**
 * Object reads, writes and deletes lock their key; a write also needs its directory to exist from s3rver's
 * mkdir until its file is open, and a delete may remove every directory of its key that it leaves empty.
 * Multipart uploads, tagging and bucket requests pass unlocked (the engine uses none of them); a copy locks
 * only its destination.
 */
function planRequest(method: string, url: URL, body: Buffer | undefined): RequestPlan {
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  const key = decodeURIComponent(rest.join('/'));
  const keyLock = (k: string, mode: LockMode): LockClaim => [`key ${bucket}/${k}`, mode];
  const dirLock = (dir: string, mode: LockMode): LockClaim => [`dir ${bucket}/${dir}`, mode];
  const deleteClaims = (k: string) => [
    keyLock(k, 'exclusive'),
    ...directoriesOf(k).map((d) => dirLock(d, 'exclusive')),
  ];
  // x-id is the SDK's operation hint and x-amz-* carry presigned credentials; the rest name a subresource.
  const names = [...url.searchParams.keys()];
  const subresource = names.some((name) => name !== 'x-id' && !name.toLowerCase().startsWith('x-amz-'));
  const isRead = method === 'GET' || method === 'HEAD';
  const plan: RequestPlan = { claims: [], conditionalWrite: false, replayable: isRead };
  if (!key && method === 'POST' && url.searchParams.has('delete') && body) {
    plan.claims = keysToDelete(body).flatMap(deleteClaims);
    plan.replayable = true;
  } else if (!key || subresource) {
    // Not an object read, write or delete.
  } else if (isRead) {
    plan.claims = [keyLock(key, 'shared')];
  } else if (method === 'PUT') {
    const ownDirectory = directoriesOf(key).slice(-1);
    plan.claims = [keyLock(key, 'exclusive'), ...ownDirectory.map((d) => dirLock(d, 'shared'))];
    plan.conditionalWrite = true;
  } else if (method === 'DELETE') {
    plan.claims = deleteClaims(key);
    plan.replayable = true;
  }
  return plan;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const XML_ESCAPES = Object.fromEntries(Object.entries(XML_ENTITIES).map(([name, ch]) => [ch, `&${name};`]));
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch]);

/** The keys of a DeleteObjects body (<Delete><Object><Key>…</Key></Object>…</Delete>). */
function keysToDelete(body: Buffer): string[] {
  return [...body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map(([, key]) =>
    key.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (_, hex, decimal, name) =>
      name
        ? XML_ENTITIES[name.toLowerCase()]
        : String.fromCodePoint(hex ? Number.parseInt(hex, 16) : Number(decimal)),
    ),
  );
}

/** An error as S3 answers it: a status and an XML document with a code, a message and details. */
function s3Error(status: number, code: string, message: string, details: Record<string, string> = {}) {
  return { status, code, message, details };
}
type S3ErrorReply = ReturnType<typeof s3Error>;

const preconditionFailed = (condition: string) =>
  s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
    Condition: condition,
  });

/** S3 compares ETags with or without their quotes. */
const sameEtag = (a: string, b: string) => a.replace(/"/g, '').trim() === b.replace(/"/g, '').trim();

/**
 * S3's answer to a conditional write that must not happen, or undefined to let it through. Called with the
 * key's lock held, so the object cannot change between this check and the write. Real S3 answers 409
 * ConditionalRequestConflict when conditional writes of one key race; here they are serialized, so the
 * later one sees the earlier one's result and gets 412 instead, which a caller must handle anyway.
 */
async function refusalOf(
  upstream: Upstream,
  req: IncomingMessage,
  url: URL,
): Promise<S3ErrorReply | undefined> {
  const { 'if-none-match': ifNoneMatch, 'if-match': ifMatch } = req.headers;
  if (ifNoneMatch === undefined && ifMatch === undefined) return undefined;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    const message = 'A header you provided implies functionality that is not implemented';
    return s3Error(501, 'NotImplemented', message, { Header: 'If-None-Match' });
  }
  const current = await upstream.etagOf(url.pathname);
  if (ifNoneMatch !== undefined && current !== undefined) return preconditionFailed('If-None-Match');
  if (ifMatch === undefined) return undefined;
  if (current === undefined) {
    // S3 answers If-Match on a missing key with 404 NoSuchKey, not 412.
    const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
    return s3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
  }
  return ifMatch.trim() === '*' || sameEtag(ifMatch, current) ? undefined : preconditionFailed('If-Match');
}

function sendError(res: ServerResponse, reply: S3ErrorReply): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const fields = { Code: reply.code, Message: reply.message, ...reply.details, RequestId: requestId };
  const xml = Object.entries(fields).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`);
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${xml.join('')}</Error>`;
  const headers = { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) };
  res.writeHead(reply.status, { ...headers, 'x-amz-request-id': requestId });
  res.end(body);
}

/** Hop-by-hop headers belong to one connection; the conditional ones are answered here, not by s3rver. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'expect', 'te', 'trailer', 'upgrade']);
const CONDITIONAL = new Set(['if-match', 'if-none-match']);

function forwardedHeaders(rawHeaders: string[], drop = new Set<string>()): string[] {
  const kept: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!HOP_BY_HOP.has(name) && !drop.has(name)) kept.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return kept;
}

class Upstream {
  readonly agent = new Agent({ keepAlive: true });
  constructor(private readonly target: URL) {}

  /** Sends a request to s3rver; resolves once its response headers arrive. */
  send(method: string, path: string, headers: string[], body?: Buffer) {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const { hostname, port } = this.target;
      const upstream = request({ hostname, port, method, path, headers, agent: this.agent }, resolve);
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  /** The object's ETag, or undefined when there is none. */
  async etagOf(path: string): Promise<string | undefined> {
    const head = await this.send('HEAD', path, ['host', this.target.host]);
    head.resume();
    if (head.statusCode === 404) return undefined;
    if (head.statusCode === 200 && head.headers.etag) return head.headers.etag;
    throw new RuntimeError(`s3 proxy: HEAD ${path} on s3rver answered ${head.statusCode} without an ETag`, {
      path,
      status: head.statusCode,
    });
  }
}

const REPLAY_ATTEMPTS = 5;

/** The request's body once it has all arrived; undefined if the client went away before it did. */
async function wholeBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    return undefined;
  }
  return req.complete ? Buffer.concat(chunks) : undefined;
}

async function handle(upstream: Upstream, locks: NamedLocks, req: IncomingMessage, res: ServerResponse) {
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://s3');
  const expectsContinue = /100-continue/i.test(req.headers.expect ?? '');
  // Other bodies are small XML documents, read now so they can be parsed and replayed; an object's waits
  // until its write is known not to be refused (100 Continue).
  let early: Buffer | undefined;
  if (method !== 'PUT') {
    if (expectsContinue) res.writeContinue();
    early = await wholeBody(req);
    if (!early) return;
  }
  const plan = planRequest(method, url, early);
  const release = await locks.acquire(plan.claims);
  try {
    // Refusing before 100 Continue spares the upload; Node then closes the connection, as S3 does.
    const refusal = plan.conditionalWrite ? await refusalOf(upstream, req, url) : undefined;
    if (refusal) return sendError(res, refusal);
    if (expectsContinue && method === 'PUT') res.writeContinue();
    // S3 replaces an object only with a complete upload; s3rver truncates the file first and keeps
    // whatever part of a cut-off upload arrived. So s3rver sees an upload only once it is whole.
    const body = early ?? (await wholeBody(req));
    if (!body) return;
    const headers = forwardedHeaders(req.rawHeaders, plan.conditionalWrite ? CONDITIONAL : undefined);
    const send = () => upstream.send(method, req.url ?? '/', headers, body);
    const attempts = plan.replayable ? REPLAY_ATTEMPTS : 1;
    let answer = await send();
    for (let attempt = 1; answer.statusCode === 500 && attempt < attempts; attempt++) {
      answer.resume();
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
      answer = await send();
    }
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardedHeaders(answer.rawHeaders));
    // Headers now: s3rver answers a range of an empty object with a body that never comes.
    res.flushHeaders();
    // The locks hold until s3rver has sent everything (it streams a GET from the file a write overwrites in
    // place), but not until the client has read it: a body left unread must not block writers of the key.
    answer.pipe(new PassThrough({ highWaterMark: Number.MAX_SAFE_INTEGER })).pipe(res);
    void closed.then(() => answer.complete || answer.destroy());
    await new Promise((resolve) => answer.once('close', resolve));
    if (!answer.complete) res.destroy(); // s3rver went away mid-answer
  } finally {
    release();
  }
}

/** Starts the proxy on 127.0.0.1 and a free port, in front of the s3rver at `target` (http://host:port). */
export async function startConditionalS3Proxy(target: string): Promise<Emulator> {
  const upstream = new Upstream(new URL(target));
  const locks = new NamedLocks();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(upstream, locks, req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      const reason = error instanceof Error ? error.message : String(error);
      sendError(res, s3Error(502, 'BadGateway', `s3 proxy to s3rver at ${target}: ${reason}`));
    });
  };
  // With a checkContinue listener Node leaves 100 Continue to us, so a refused write never uploads its body.
  const server = createServer(onRequest).on('checkContinue', onRequest);
  await new Promise<void>((resolve, reject) => {
    const failed = (cause: Error) =>
      reject(new RuntimeError('s3 proxy could not listen', { target }, { cause }));
    server.once('error', failed);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      upstream.agent.destroy();
    },
  };
}
