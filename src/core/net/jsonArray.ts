/**
 * An incremental reader of one JSON array, fed the bytes of a response as they arrive: each element is handed out
 * parsed as soon as its last byte is in, so reading a listing page costs the memory of its largest element — never
 * of the page — and an element larger than the cap (a hostile server's endless object) fails at the cap.
 *
 * Only the array's structure is scanned here (brackets, strings and their escapes, commas); each element's own
 * syntax is JSON.parse's to check. Multi-byte UTF-8 is never split: elements are cut at ASCII structure bytes and
 * decoded whole.
 */
export class JsonArrayError extends Error {
  override readonly name = 'JsonArrayError';
}

const enum State {
  /** Before the opening '['. */
  Start,
  /** After '[' or ',': a value (or, right after '[', the closing ']') comes next. */
  BeforeValue,
  /** Inside a value. */
  Value,
  /** After a value: ',' or ']' comes next. */
  AfterValue,
  /** After the closing ']': only whitespace may follow. */
  Done,
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_SQUARE = 0x5b;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === LF || byte === CR || byte === TAB;
}

export class JsonArrayReader {
  private state = State.Start;
  private empty = true;
  /** Nesting depth inside the current value (containers only). */
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The current value is a number, true, false or null: it ends at the next ',', ']' or whitespace. */
  private scalar = false;
  /** The bytes of the current value from earlier chunks. */
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly maxElementBytes: number) {}

  /** True once the closing ']' was read. */
  get complete(): boolean {
    return this.state === State.Done;
  }

  /** Reads `chunk`; returns the elements it completed, in order. Throws JsonArrayError on anything but an array. */
  push(chunk: Uint8Array): unknown[] {
    const out: unknown[] = [];
    let valueStart = this.state === State.Value ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      switch (this.state) {
        case State.Start:
          if (isSpace(byte) || (byte === 0xef && this.isBomAt(chunk, i))) {
            if (byte === 0xef) i += 2;
            continue;
          }
          if (byte !== OPEN_SQUARE) throw new JsonArrayError('the answer is not a JSON array');
          this.state = State.BeforeValue;
          continue;
        case State.BeforeValue:
          if (isSpace(byte)) continue;
          if (byte === CLOSE_SQUARE && this.empty) {
            this.state = State.Done;
            continue;
          }
          if (byte === COMMA || byte === CLOSE_SQUARE) throw new JsonArrayError('a value is missing in the JSON array');
          this.beginValue(byte);
          valueStart = i;
          if (this.scalar) continue;
          continue;
        case State.Value: {
          if (this.scalar) {
            if (byte === COMMA || byte === CLOSE_SQUARE || isSpace(byte)) {
              out.push(this.finishValue(chunk, valueStart, i));
              valueStart = -1;
              i--; // the terminator is read again as what follows the value
            }
            continue;
          }
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (byte === BACKSLASH) this.escaped = true;
            else if (byte === QUOTE) {
              this.inString = false;
              if (this.depth === 0) {
                out.push(this.finishValue(chunk, valueStart, i + 1));
                valueStart = -1;
              }
            }
            continue;
          }
          if (byte === QUOTE) this.inString = true;
          else if (byte === OPEN_CURLY || byte === OPEN_SQUARE) this.depth++;
          else if (byte === CLOSE_CURLY || byte === CLOSE_SQUARE) {
            this.depth--;
            if (this.depth === 0) {
              out.push(this.finishValue(chunk, valueStart, i + 1));
              valueStart = -1;
            }
          }
          continue;
        }
        case State.AfterValue:
          if (isSpace(byte)) continue;
          if (byte === COMMA) this.state = State.BeforeValue;
          else if (byte === CLOSE_SQUARE) this.state = State.Done;
          else throw new JsonArrayError('the JSON array is malformed (expected "," or "]")');
          continue;
        case State.Done:
          if (!isSpace(byte)) throw new JsonArrayError('the answer goes on after its JSON array');
          continue;
      }
    }
    if (this.state === State.Value && valueStart >= 0) this.keep(chunk.subarray(valueStart));
    return out;
  }

  /** The input ended: throws unless the array was closed (a cut or unfinished answer). */
  end(): void {
    if (this.state === State.Value && this.scalar) throw new JsonArrayError('the JSON array ends without its closing "]"');
    if (this.state !== State.Done) throw new JsonArrayError('the JSON array ends without its closing "]"');
  }

  private isBomAt(chunk: Uint8Array, i: number): boolean {
    return chunk[i + 1] === 0xbb && chunk[i + 2] === 0xbf;
  }

  private beginValue(byte: number): void {
    this.state = State.Value;
    this.empty = false;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.scalar = false;
    if (byte === QUOTE) this.inString = true;
    else if (byte === OPEN_CURLY || byte === OPEN_SQUARE) this.depth = 1;
    else this.scalar = true;
  }

  private keep(bytes: Uint8Array): void {
    this.partBytes += bytes.length;
    if (this.partBytes > this.maxElementBytes) throw new JsonArrayError(`an element of the JSON array is larger than ${this.maxElementBytes} bytes`);
    // A copy: the chunk it came from may be much larger than what the element needs of it.
    this.parts.push(Uint8Array.prototype.slice.call(bytes));
  }

  private finishValue(chunk: Uint8Array, start: number, end: number): unknown {
    const tail = chunk.subarray(start, end);
    const size = this.partBytes + tail.length;
    if (size > this.maxElementBytes) throw new JsonArrayError(`an element of the JSON array is larger than ${this.maxElementBytes} bytes`);
    let bytes = tail;
    if (this.parts.length > 0) {
      bytes = new Uint8Array(size);
      let at = 0;
      for (const part of this.parts) {
        bytes.set(part, at);
        at += part.length;
      }
      bytes.set(tail, at);
    }
    this.parts = [];
    this.partBytes = 0;
    this.state = State.AfterValue;
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      throw new JsonArrayError('an element of the JSON array is not valid UTF-8');
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new JsonArrayError('an element of the JSON array is not valid JSON');
    }
  }
}
