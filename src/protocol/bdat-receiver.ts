// The BDAT side of a session (RFC 3030): the current chunk's size and remaining bytes, the reply owed once a
// refused chunk's bytes are consumed, and the line-ending check that holds BDAT content to DATA's rule.
import { LineEndingCheck, type LineEndings } from './data-reader.js';
import { smtpReply, type SmtpReply } from './reply.js';

export class BdatReceiver {
  /** Bytes of the current chunk not read yet. */
  remaining = 0;
  private size = 0;
  private last = false;
  /** The chunk was refused: its bytes are consumed, then this is the answer. */
  private discardReply: SmtpReply | null = null;
  /** Made by the first chunk that reaches a sink. */
  private lineCheck: LineEndingCheck | null = null;

  constructor(private readonly lineEndings: LineEndings) {}

  /** A BDAT command announced `size` bytes (`last`: BDAT ... LAST). */
  expect(size: number, last: boolean): void {
    this.size = size;
    this.last = last;
    this.remaining = size;
  }

  /** A new message starts with this chunk: the line-ending check starts afresh. */
  startMessage(): void {
    (this.lineCheck ??= new LineEndingCheck(this.lineEndings)).reset();
  }

  /** Read the chunk; `refusal` (null: none) is answered once its bytes are consumed. */
  receive(refusal: SmtpReply | null): void {
    this.discardReply = refusal;
  }

  get discarding(): boolean {
    return this.discardReply !== null;
  }

  /** The refusal owed for a consumed chunk, once (null when the chunk was not refused). */
  takeRefusal(): SmtpReply | null {
    const reply = this.discardReply;
    this.discardReply = null;
    return reply;
  }

  /** False on a bare CR (or, strict, a bare LF) in buf[start..end). */
  checkLines(buf: Buffer, start: number, end: number): boolean {
    return (this.lineCheck ??= new LineEndingCheck(this.lineEndings)).check(buf, start, end);
  }

  get lastChunk(): boolean {
    return this.last;
  }

  /** The message did not end inside a line ending (a final CR). */
  endsCleanly(): boolean {
    return this.lineCheck === null || this.lineCheck.complete;
  }

  /** Non-last chunks: `250 2.0.0 <n> octets received`. */
  chunkReceived(): SmtpReply {
    return smtpReply(250, '2.0.0', `${this.size} octets received`);
  }
}
