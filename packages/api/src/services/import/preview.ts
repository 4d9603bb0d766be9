/**
 * Browser-safe preview of the start of a file: encoding, delimiter, header, first rows and a proposed
 * mapping. The same parser and mapper the server import uses (no I/O here).
 */
import type { TImportKind } from "@valuelens/validators";
import { ChunkDecoder, detectEncoding, type DetectedEncoding } from "./decode.ts";
import { autoMap, normaliseHeader } from "./mapping.ts";
import { CsvParser, sniffDelimiter, type Delimiter, type ParseEvent } from "./parser.ts";

export interface Preview {
  encoding: DetectedEncoding;
  delimiter: Delimiter;
  headers: string[];
  rows: string[][];
  mapping: string[];
  /** Parse problems seen in the sample (line, reason). */
  problems: { line: number; reason: string }[];
}

export function previewSample(sample: Uint8Array, kind: TImportKind, opts: { delimiter?: Delimiter; maxRows?: number; saved?: Record<string, string> } = {}): Preview {
  const encoding = detectEncoding(sample);
  const text = new ChunkDecoder(encoding).write(sample);
  const delimiter = opts.delimiter ?? sniffDelimiter(text);
  const p = new CsvParser({ delimiter });
  // Drop the (probably cut) last line of the sample unless the sample is the whole file.
  const events: ParseEvent[] = p.push(text);
  const header = events.find((e) => e.kind === "record");
  const headers = header?.kind === "record" ? header.fields.map((h) => h.trim()) : [];
  const rows: string[][] = [];
  const problems: { line: number; reason: string }[] = [];
  for (const e of events) {
    if (e === header) continue;
    if (e.kind === "record") {
      if (rows.length < (opts.maxRows ?? 10)) rows.push(e.fields);
    } else if (problems.length < 10) problems.push({ line: e.line, reason: e.reason });
  }
  let mapping = autoMap(kind, headers);
  if (opts.saved) {
    const saved = opts.saved;
    mapping = headers.map((h, i) => saved[normaliseHeader(h)] ?? mapping[i]!);
  }
  return { encoding, delimiter, headers, rows, mapping, problems };
}

export { autoMap, normaliseHeader } from "./mapping.ts";
