import { Readable } from 'node:stream';
import { ApiResponse } from './api-request';

/** Flushes CSV in blocks of about this many bytes. */
const CSV_BLOCK = 64 * 1024;

/** Sends CSV lines as a download, in blocks, waiting for the client when it reads slowly. */
export async function streamCsv(res: ApiResponse, lines: AsyncIterable<string>, filename: string): Promise<void> {
  const iterator = lines[Symbol.asyncIterator]();
  // The first line before the headers: a refused query still answers in the error shape.
  const first = await iterator.next();
  async function* blocks(): AsyncGenerator<string> {
    let block = first.done ? '' : first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      block += next.value;
      if (block.length >= CSV_BLOCK) {
        yield block;
        block = '';
      }
    }
    if (block) yield block;
  }
  res.status(200);
  res.header('Content-Type', 'text/csv; charset=utf-8');
  res.header('Content-Disposition', `attachment; filename="${filename}"`);
  res.send(Readable.from(blocks()));
}
