// fmc guest SDK for AssemblyScript: a native function for fmc-runner, as a
// WebAssembly module.
//
// The runner's ABI (runner/README.md, "WebAssembly ABI") is bytes in linear
// memory: batches of records in, entries out. This module hides it behind a
// typed API: a `Message` in; `ctx.output`, `ctx.outputTo` (a named topic) and
// `ctx.ack` (MANUAL) out; a returned error string for a user error; the mesh's
// `config` and `secrets` once at start (`Config`). A function registers its
// `init` and `process` with `register`, and its entry file re-exports
// `fmc_alloc`, `fmc_init` and `fmc_process_batch` (the batch ABI with
// `fmc_init`: ABI 3). Build with `--runtime incremental --use abort=` (the
// runner links no imports).

/** One input message. */
export class Message {
  constructor(
    public payload: Uint8Array,
    public key: string | null,
    /** Milliseconds since the epoch; 0 when the producer set none. */
    public eventTime: u64,
    public propertyNames: string[],
    public propertyValues: string[],
  ) {}

  /** The payload as UTF-8 text. */
  text(): string {
    return String.UTF8.decode(this.payload.buffer);
  }

  property(name: string): string | null {
    const i = this.propertyNames.indexOf(name);
    return i < 0 ? null : this.propertyValues[i];
  }
}

/** A message out. Key, event time and properties are the input's unless set. */
export class Output {
  key: string | null = null;
  eventTime: u64 = 0;
  propertyNames: string[] | null = null;
  propertyValues: string[] = [];

  constructor(public payload: Uint8Array) {}

  static text(text: string): Output {
    return new Output(Uint8Array.wrap(String.UTF8.encode(text)));
  }

  withKey(key: string): Output {
    this.key = key;
    return this;
  }

  withEventTime(millis: u64): Output {
    this.eventTime = millis;
    return this;
  }

  /** Sets one property (the output then carries only the properties set). */
  withProperty(name: string, value: string): Output {
    let names = this.propertyNames;
    if (names == null) {
      names = [];
      this.propertyNames = names;
    }
    names.push(name);
    this.propertyValues.push(value);
    return this;
  }
}

/** The mesh's `config` (as JSON text) and the secrets it names. */
export class Config {
  constructor(public json: string, private secretNames: string[], private secretValues: string[]) {}

  secret(name: string): string | null {
    const i = this.secretNames.indexOf(name);
    return i < 0 ? null : this.secretValues[i];
  }

  /** A top-level string of the config (`config: {team: risk}` -> getString("team")). */
  getString(key: string): string | null {
    const raw = field(this.json, key);
    if (raw == null || raw.length < 2 || raw.charAt(0) != '"') return null;
    return raw.substring(1, raw.length - 1).replaceAll('\\"', '"').replaceAll("\\\\", "\\");
  }

  /** A top-level number of the config; NaN when there is none. */
  getNumber(key: string): f64 {
    const raw = field(this.json, key);
    return raw == null ? NaN : parseFloat(raw);
  }
}

/** Growable little-endian byte buffer. */
class Writer {
  bytes: Uint8Array = new Uint8Array(256);
  length: i32 = 0;

  reserve(n: i32): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  u32(v: u32): void {
    this.reserve(4);
    store<u32>(this.bytes.dataStart + <usize>this.length, v);
    this.length += 4;
  }

  u64(v: u64): void {
    this.reserve(8);
    store<u64>(this.bytes.dataStart + <usize>this.length, v);
    this.length += 8;
  }

  raw(b: Uint8Array): void {
    this.u32(<u32>b.length);
    this.reserve(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  text(s: string): void {
    this.raw(Uint8Array.wrap(String.UTF8.encode(s)));
  }
}

/** Where a message's outputs go. */
export class Context {
  input: u32 = 0;
  entries: Writer = new Writer();
  count: u32 = 0;

  /** An output to the function's `output` topic. */
  output(out: Output): void {
    this.entry(0);
    record(this.entries, out);
  }

  /** An output to one of the function's named `topics`. */
  outputTo(topic: string, out: Output): void {
    this.entry(3);
    this.entries.text(topic);
    record(this.entries, out);
  }

  /** Acknowledges this input (under `processingGuarantee: manual`). */
  ack(): void {
    this.entry(2);
  }

  entry(tag: u32): void {
    this.count += 1;
    this.entries.u32(this.input);
    this.entries.u32(tag);
  }
}

function record(w: Writer, o: Output): void {
  w.raw(o.payload);
  const key = o.key;
  if (key == null) w.u32(0xffffffff);
  else w.text(key);
  w.u64(o.eventTime);
  const names = o.propertyNames;
  if (names == null) {
    w.u32(0xffffffff);
  } else {
    w.u32(<u32>names.length);
    for (let i = 0; i < names.length; i++) {
      w.text(names[i]);
      w.text(o.propertyValues[i]);
    }
  }
}

/** Returns null when the configuration is accepted, else why not (the start is refused). */
export type InitFn = (config: Config) => string | null;
/** Returns null on success, else the user error (the message is retried, then dead-lettered). */
export type ProcessFn = (message: Message, ctx: Context) => string | null;

let initFn: InitFn | null = null;
let processFn: ProcessFn | null = null;
let initialised = false;
/** The last result, alive until the runner has read it (the next call). */
let lastResult: Uint8Array = new Uint8Array(0);
/** Buffers the runner wrote into, freed at the next batch. */
const inputs: usize[] = [];

/** Registers the function; call it once at the top level of the entry file. */
export function register(init: InitFn, process: ProcessFn): void {
  initFn = init;
  processFn = process;
}

export function fmc_alloc(len: i32): i32 {
  const ptr = heap.alloc(<usize>len);
  inputs.push(ptr);
  return <i32>ptr;
}

function freeInputs(): void {
  for (let i = 0; i < inputs.length; i++) heap.free(inputs[i]);
  inputs.length = 0;
}

class Reader {
  constructor(public at: usize, public end: usize) {}

  ok(n: usize): bool {
    return this.at + n <= this.end;
  }

  u32(): u32 {
    const v = load<u32>(this.at);
    this.at += 4;
    return v;
  }

  u64(): u64 {
    const v = load<u64>(this.at);
    this.at += 8;
    return v;
  }

  text(n: u32): string {
    const s = String.UTF8.decodeUnsafe(this.at, <usize>n);
    this.at += <usize>n;
    return s;
  }

  /** A count, then that many (name, value) texts. */
  pairs(names: string[], values: string[]): void {
    const count = this.u32();
    for (let i: u32 = 0; i < count; i++) {
      names.push(this.text(this.u32()));
      values.push(this.text(this.u32()));
    }
  }

  bytes(n: u32): Uint8Array {
    const out = new Uint8Array(<i32>n);
    memory.copy(out.dataStart, this.at, <usize>n);
    this.at += <usize>n;
    return out;
  }
}

export function fmc_init(ptr: i32, len: i32): i32 {
  const r = new Reader(<usize>ptr, <usize>ptr + <usize>len);
  const json = r.text(r.u32());
  const names: string[] = [];
  const values: string[] = [];
  r.pairs(names, values);
  freeInputs();
  initialised = true;
  const init = initFn;
  if (init == null) return 0;
  return init(new Config(json, names, values)) == null ? 0 : 1;
}

export function fmc_process_batch(ptr: i32, len: i32): i64 {
  if (!initialised) {
    initialised = true;
    const init = initFn;
    if (init != null && init(new Config("null", [], [])) != null) return -1;
  }
  const process = processFn;
  if (process == null) return -1;
  const r = new Reader(<usize>ptr, <usize>ptr + <usize>len);
  const ctx = new Context();
  const count = r.u32();
  for (let i: u32 = 0; i < count; i++) {
    if (!r.ok(4)) return -1;
    const payload = r.bytes(r.u32());
    const keyLen = r.u32();
    const key: string | null = keyLen == 0xffffffff ? null : r.text(keyLen);
    const eventTime = r.u64();
    const names: string[] = [];
    const values: string[] = [];
    r.pairs(names, values);
    ctx.input = i;
    const mark = ctx.entries.length;
    const marked = ctx.count;
    const error = process(new Message(payload, key, eventTime, names, values), ctx);
    if (error != null) {
      // A failed input's outputs are dropped; its error stands alone.
      ctx.entries.length = mark;
      ctx.count = marked;
      ctx.entry(1);
      ctx.entries.text(error);
    }
  }
  freeInputs();
  const out = new Uint8Array(4 + ctx.entries.length);
  store<u32>(out.dataStart, ctx.count);
  out.set(ctx.entries.bytes.subarray(0, ctx.entries.length), 4);
  lastResult = out;
  return (<i64>out.dataStart << 32) | <i64>out.length;
}

/** The raw text of a top-level field's value in a JSON object (enough for a config). */
function field(json: string, key: string): string | null {
  const quoted = '"' + key + '"';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c == 92) i++;
      else if (c == 34) inString = false;
      continue;
    }
    if (c == 123 || c == 91) depth++;
    else if (c == 125 || c == 93) depth--;
    else if (c == 34) {
      if (depth == 1 && json.substr(i, quoted.length) == quoted) {
        let j = i + quoted.length;
        while (j < json.length && (json.charAt(j) == " " || json.charAt(j) == ":")) j++;
        let end = j;
        if (json.charCodeAt(j) == 34) {
          end = j + 1;
          while (end < json.length && json.charCodeAt(end) != 34) {
            if (json.charCodeAt(end) == 92) end++;
            end++;
          }
          return json.substring(j, end + 1);
        }
        while (end < json.length && json.charAt(end) != "," && json.charAt(end) != "}") end++;
        return json.substring(j, end).trim();
      }
      inString = true;
    }
  }
  return null;
}
