// Where the CLI writes: results to stdout, errors and notes to stderr. Human-readable by default
// (aligned "label  value" lines), one JSON document per command with --json. Injected, so that
// tests run commands in-process and read what they printed.
export type Field = readonly [label: string, value: string];

export interface OutputStreams {
  stdout(text: string): void;
  stderr(text: string): void;
}

export class Output {
  constructor(
    private readonly streams: OutputStreams,
    /** --json: stdout carries exactly one JSON document. */
    readonly json: boolean,
  ) {}

  /** A line for people; nothing in --json mode, where stdout is the document alone. */
  line(text = ''): void {
    if (!this.json) this.streams.stdout(`${text}\n`);
  }

  /** Aligned "label  value" lines for people. */
  fields(fields: readonly Field[]): void {
    const width = Math.max(...fields.map(([label]) => label.length));
    for (const [label, value] of fields) this.line(`${label.padEnd(width)}  ${value}`);
  }

  /** The command's JSON document (bigint as decimal strings); nothing for people. */
  document(value: unknown): void {
    if (this.json) this.streams.stdout(`${stringifyJson(value, 2)}\n`);
  }

  /** Text as it is, in either mode (a stream of JSON lines). */
  raw(text: string): void {
    this.streams.stdout(text);
  }

  /** A note for people that is not the result (a generated key, a warning): stderr. */
  note(text: string): void {
    this.streams.stderr(`${text}\n`);
  }

  error(text: string): void {
    this.streams.stderr(`${text}\n`);
  }
}

export function stringifyJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item),
    indent,
  );
}
