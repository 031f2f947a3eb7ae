// Streams a file to the server's evidence store over the agent's mutual-TLS identity (protocol in
// @vigil/response/actions/collect). Never buffers the file in memory and never disables certificate verification.

import https from 'node:https';
import type { Readable } from 'node:stream';
import { VigilError } from '@vigil/common';
import { evidenceUpload, type EvidenceUploadReceipt } from '@vigil/response/actions/collect';
import type { ActionContext } from '../../handler.js';
import { loadIdentity } from '../../../identity.js';

export interface EvidenceUpload {
  /** The file's path on the endpoint (sent as metadata). */
  path: string;
  size: number;
  sha256: string;
  /** Opens the content to send; called once. */
  open(): Readable;
}

/** Sends one file and resolves with the server's receipt; throws VigilError (`conflict` when the server saw other bytes). */
export type EvidenceUploader = (upload: EvidenceUpload, context: ActionContext) => Promise<EvidenceUploadReceipt>;

function parseReceipt(body: string, upload: EvidenceUpload): EvidenceUploadReceipt {
  let value: Partial<EvidenceUploadReceipt>;
  try {
    value = JSON.parse(body) as Partial<EvidenceUploadReceipt>;
  } catch {
    throw new VigilError('system', `the evidence store answered with something that is not JSON: ${body.slice(0, 200)}`);
  }
  if (typeof value?.id !== 'string' || value.sha256 !== upload.sha256 || value.size !== upload.size) {
    throw new VigilError('system', `the evidence store's receipt does not match the upload: ${body.slice(0, 300)}`);
  }
  return { id: value.id, sha256: value.sha256, size: value.size };
}

/** The uploader of a running agent: its key and certificate from the state folder, the server from the context. */
export function mtlsEvidenceUploader(timeoutMs = 10 * 60_000): EvidenceUploader {
  return (upload, context) => {
    const identity = loadIdentity(context.stateDir);
    return new Promise<EvidenceUploadReceipt>((resolve, reject) => {
      const request = https.request(
        {
          host: context.server.host,
          port: context.server.port,
          path: evidenceUpload.path,
          method: 'POST',
          key: identity.keyPem,
          cert: identity.certPem,
          ca: identity.caPem,
          agent: false,
          signal: context.signal,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': upload.size,
            [evidenceUpload.headers.sha256]: upload.sha256,
            [evidenceUpload.headers.taskId]: context.taskId,
            [evidenceUpload.headers.path]: encodeURIComponent(upload.path),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (error) => reject(new VigilError('system', `evidence upload failed: ${error.message}`, { cause: error })));
          response.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status === 200 || status === 201) {
              try {
                resolve(parseReceipt(body, upload));
              } catch (error) {
                reject(error);
              }
              return;
            }
            let message = body.slice(0, 300);
            try {
              message = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? message;
            } catch {
              // not JSON
            }
            const code = status === 413 ? 'invalid_input' : status === 409 || status === 400 ? 'conflict' : 'system';
            reject(new VigilError(code, `the evidence store refused ${upload.path} (HTTP ${status}): ${message}`));
          });
        },
      );
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`no progress for ${timeoutMs} ms`)));
      let answered = false;
      request.on('response', () => (answered = true));
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof VigilError) return reject(error);
        // A server refusing early (413) may close while we still write; its answer is what counts.
        if (answered && (error.code === 'EPIPE' || error.code === 'ECONNRESET')) return;
        reject(new VigilError('system', `cannot upload evidence to ${context.server.host}:${context.server.port}: ${error.message}`, { cause: error }));
      });
      const body = upload.open();
      let sent = 0;
      body.on('data', (chunk: Buffer) => (sent += chunk.length));
      body.on('error', (error) => request.destroy(error));
      body.on('end', () => {
        // A file that shrank since it was hashed would leave the server waiting for the declared length.
        if (sent !== upload.size) request.destroy(new VigilError('conflict', `${upload.path} changed size while being uploaded (${sent} of ${upload.size} bytes)`));
      });
      body.pipe(request);
    });
  };
}
