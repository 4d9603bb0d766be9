/**
 * A small RFC 4180 CSV parser written as a resumable state machine over decoded text chunks.
 *
 * Why our own: csv-parse and papaparse, in their "skip bad records" modes, swallow the rest of a file
 * after an unclosed quote without an error (SECURITY-NOTES 0.5). Here every physical line ends up in
 * exactly one of: a record, a rejection (with its line number), or a blank line. A quoted field that
 * never closes (EOF, too many lines, too long, or garbage after the "closing" quote) rejects only the
 * line where its record began, and parsing resumes on the next physical line.
 *
 * Line breaks: CRLF, LF and lone CR are each one break (mixed freely). Line numbers are 1-based and
 * physical (a record whose quoted field spans lines has the number of its first line).
 */

export type Delimiter = "," | ";" | "\t" | "|" | "whitespace";

export interface ParsedRecord {
  kind: "record";
  line: number;
  fields: string[];
  /** The record's text as in the file (without its terminating line break), for error reports. */
  raw: string;
}

export interface ParseError {
  kind: "error";
  line: number;
  reason: string;
  raw: string;
}

export type ParseEvent = ParsedRecord | ParseError;

export interface ParserOptions {
  delimiter: Delimiter;
  /** Longest field accepted (characters). */
  maxFieldLength?: number;
  /** A quoted field may span at most this many line breaks before it is treated as unclosed. */
  maxLinesInField?: number;
}

export const DEFAULT_MAX_FIELD_LENGTH = 32_768;
const DEFAULT_MAX_LINES_IN_FIELD = 20;
const RAW_CAP = 2_000;

const CR = 13;
const LF = 10;
const QUOTE = 34;

type Step =
  | { t: "record"; fields: string[]; end: number; next: number; breaks: number }
  | { t: "incomplete" }
  | { t: "error"; reason: string; next: number; breaks: number; resync: boolean };

export class CsvParser {
  private carry = "";
  private line = 1;
  /** Set once the header is known: records with another field count are rejected. */
  expectFields: number | null = null;
  private readonly delim: number;
  private readonly maxField: number;
  private readonly maxLines: number;
  private readonly whitespace: boolean;

  constructor(opts: ParserOptions) {
    this.whitespace = opts.delimiter === "whitespace";
    this.delim = this.whitespace ? 32 : opts.delimiter.charCodeAt(0);
    this.maxField = opts.maxFieldLength ?? DEFAULT_MAX_FIELD_LENGTH;
    this.maxLines = opts.maxLinesInField ?? DEFAULT_MAX_LINES_IN_FIELD;
  }

  /** Feed decoded text; returns the events completed by it. */
  push(chunk: string): ParseEvent[] {
    const out: ParseEvent[] = [];
    this.run(this.carry + chunk, false, out);
    return out;
  }

  /** End of input: flushes the last record (or rejects an unclosed one). */
  end(): ParseEvent[] {
    const out: ParseEvent[] = [];
    this.run(this.carry, true, out);
    this.carry = "";
    return out;
  }

  private run(text: string, final: boolean, out: ParseEvent[]): void {
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      // Blank line: skipped (no data), but counted for line numbers.
      const c0 = text.charCodeAt(pos);
      if (c0 === LF) {
        pos++;
        this.line++;
        continue;
      }
      if (c0 === CR) {
        if (pos + 1 >= n && !final) break;
        pos += text.charCodeAt(pos + 1) === LF ? 2 : 1;
        this.line++;
        continue;
      }
      const step = this.whitespace ? this.splitWhitespace(text, pos, final) : this.record(text, pos, final);
      if (step.t === "incomplete") break;
      if (step.t === "record" && this.expectFields !== null && step.fields.length !== this.expectFields) {
        const raw = text.slice(pos, step.end);
        const reason = `expected ${this.expectFields} fields, found ${step.fields.length}`;
        if (/[\r\n]/.test(raw)) {
          // A record that ran over several lines with the wrong shape is almost always a stray quote:
          // reject its first line and read the following lines again as records.
          const b = nextBreak(text, pos);
          out.push({ kind: "error", line: this.line, reason: `${reason} (probably an unclosed quote)`, raw: cap(text.slice(pos, b.at)) });
          this.line++;
          pos = b.next;
        } else {
          out.push({ kind: "error", line: this.line, reason, raw: cap(raw) });
          this.line += step.breaks;
          pos = step.next;
        }
        continue;
      }
      if (step.t === "record") {
        out.push({ kind: "record", line: this.line, fields: step.fields, raw: cap(text.slice(pos, step.end)) });
        this.line += step.breaks;
        pos = step.next;
        continue;
      }
      // Error. When the record spanned lines, only its first physical line is rejected and parsing
      // resumes right after that line, so a stray quote costs one row, never the rest of the file.
      const firstBreak = nextBreak(text, pos);
      if (step.resync && firstBreak.at < n) {
        out.push({ kind: "error", line: this.line, reason: step.reason, raw: cap(text.slice(pos, firstBreak.at)) });
        this.line++;
        pos = firstBreak.next;
      } else {
        out.push({ kind: "error", line: this.line, reason: step.reason, raw: cap(text.slice(pos, Math.min(step.next, firstBreak.at))) });
        this.line += step.breaks;
        pos = step.next;
      }
    }
    this.carry = text.slice(pos);
    if (final && this.carry.length > 0) {
      // Only reachable if a lone CR was held back; nothing left to parse.
      this.carry = "";
    }
  }

  /** Parses one record starting at `start`. */
  private record(text: string, start: number, final: boolean): Step {
    const n = text.length;
    const d = this.delim;
    const fields: string[] = [];
    let i = start;
    let breaks = 0;
    for (;;) {
      // Start of a field.
      if (i < n && text.charCodeAt(i) === QUOTE) {
        // Quoted field.
        let value = "";
        let segStart = i + 1;
        let j = i + 1;
        let linesInField = 0;
        let closed = false;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === QUOTE) {
            if (j + 1 >= n && !final) return { t: "incomplete" };
            if (text.charCodeAt(j + 1) === QUOTE) {
              value += text.slice(segStart, j + 1);
              j += 2;
              segStart = j;
              continue;
            }
            value += text.slice(segStart, j);
            j++;
            closed = true;
            break;
          }
          if (c === LF || c === CR) {
            linesInField++;
            if (c === CR && text.charCodeAt(j + 1) === LF) j++;
            if (linesInField > this.maxLines) {
              return { t: "error", reason: `unclosed quote: a quoted field runs over more than ${this.maxLines} lines`, next: j + 1, breaks: 0, resync: true };
            }
          }
          if (j - i > this.maxField + 1) {
            return { t: "error", reason: `field longer than ${this.maxField} characters (or an unclosed quote)`, next: j, breaks: 0, resync: true };
          }
          j++;
        }
        if (!closed) {
          if (!final) return { t: "incomplete" };
          return { t: "error", reason: "unclosed quote: the file ends inside a quoted field", next: n, breaks: 0, resync: true };
        }
        breaks += linesInField;
        if (value.length > this.maxField) {
          return this.skipLine(text, j, breaks, final, `field ${fields.length + 1} is longer than ${this.maxField} characters`, linesInField > 0);
        }
        fields.push(value);
        i = j;
        if (i >= n) {
          if (!final) return { t: "incomplete" };
          return { t: "record", fields, end: n, next: n, breaks };
        }
        const c = text.charCodeAt(i);
        if (c === d) {
          i++;
          continue;
        }
        if (c === LF || c === CR) return this.finish(text, i, fields, breaks, final);
        return this.skipLine(text, i, breaks, final, `unexpected character after the closing quote of field ${fields.length}`, linesInField > 0 || breaks > 0);
      }
      // Unquoted field: up to the delimiter or line break. A quote inside it is kept literally.
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === d || c === LF || c === CR) break;
        j++;
      }
      if (j - i > this.maxField) {
        return this.skipLine(text, j, breaks, final, `field ${fields.length + 1} is longer than ${this.maxField} characters`, breaks > 0);
      }
      if (j >= n && !final) return { t: "incomplete" };
      fields.push(text.slice(i, j));
      if (j >= n) return { t: "record", fields, end: n, next: n, breaks };
      if (text.charCodeAt(j) === d) {
        i = j + 1;
        continue;
      }
      return this.finish(text, j, fields, breaks, final);
    }
  }

  private finish(text: string, at: number, fields: string[], breaks: number, final: boolean): Step {
    const c = text.charCodeAt(at);
    if (c === CR) {
      if (at + 1 >= text.length && !final) return { t: "incomplete" };
      const next = text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
      return { t: "record", fields, end: at, next, breaks: breaks + 1 };
    }
    return { t: "record", fields, end: at, next: at + 1, breaks: breaks + 1 };
  }

  /** Rejects the rest of the current line (or, for multi-line records, resyncs at the first line). */
  private skipLine(text: string, from: number, breaks: number, final: boolean, reason: string, resync: boolean): Step {
    if (resync) return { t: "error", reason, next: from, breaks, resync: true };
    const b = nextBreak(text, from);
    if (b.at >= text.length && !final) return { t: "incomplete" };
    if (b.at < text.length && text.charCodeAt(b.at) === CR && b.at + 1 >= text.length && !final) return { t: "incomplete" };
    return { t: "error", reason, next: b.next, breaks: breaks + (b.at < text.length ? 1 : 0), resync: false };
  }

  /** Whitespace-separated values (e.g. CDNOW): runs of spaces/tabs separate fields; no quoting. */
  private splitWhitespace(text: string, start: number, final: boolean): Step {
    const b = nextBreak(text, start);
    if (b.at >= text.length && !final) return { t: "incomplete" };
    if (b.at < text.length && text.charCodeAt(b.at) === CR && b.at + 1 >= text.length && !final) return { t: "incomplete" };
    const lineText = text.slice(start, b.at);
    const hasBreak = b.at < text.length;
    const trimmed = lineText.trim();
    if (trimmed.length > this.maxField) {
      return { t: "error", reason: `line longer than ${this.maxField} characters`, next: b.next, breaks: hasBreak ? 1 : 0, resync: false };
    }
    const fields = trimmed.length === 0 ? [""] : trimmed.split(/[ \t]+/);
    return { t: "record", fields, end: b.at, next: hasBreak ? b.next : text.length, breaks: hasBreak ? 1 : 0 };
  }
}

function nextBreak(text: string, from: number): { at: number; next: number } {
  const n = text.length;
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) return { at: i, next: i + 1 };
    if (c === CR) return { at: i, next: text.charCodeAt(i + 1) === LF ? i + 2 : i + 1 };
  }
  return { at: n, next: n };
}

function cap(s: string): string {
  return s.length > RAW_CAP ? s.slice(0, RAW_CAP) + "…" : s;
}

/** Parses a whole string (tests, previews). */
export function parseAll(text: string, opts: ParserOptions): ParseEvent[] {
  const p = new CsvParser(opts);
  return [...p.push(text), ...p.end()];
}

/**
 * Picks the delimiter whose first lines split most consistently into more than one field.
 * Ties favour the order , ; tab |.
 */
export function sniffDelimiter(sample: string): Exclude<Delimiter, "whitespace"> {
  const candidates = [",", ";", "\t", "|"] as const;
  let best: Exclude<Delimiter, "whitespace"> = ",";
  let bestScore = -1;
  for (const d of candidates) {
    const events = parseAll(sample, { delimiter: d }).slice(0, 21);
    // The sample may cut its last line: ignore it.
    const recs = events.filter((e): e is ParsedRecord => e.kind === "record").slice(0, 20);
    if (recs.length === 0) continue;
    const head = recs[0]!.fields.length;
    if (head < 2) continue;
    const consistent = recs.filter((r) => r.fields.length === head).length;
    const score = consistent * 1000 + head;
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  }
  return best;
}
