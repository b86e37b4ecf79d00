// A small Prometheus metrics registry: counters, gauges and histograms with labels, rendered in the
// text exposition format 0.0.4. Each metric bounds its label cardinality: past `maxSeries` distinct
// label sets, new ones are counted in one overflow series whose every label value is "other".

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The label value every label of the overflow series carries. */
export const OVERFLOW_LABEL_VALUE = 'other';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A metric defined with an invalid name, label or bucket list (a programming error, thrown at definition). */
export class MetricDefinitionError extends Error {
  constructor(metric: string, reason: string) {
    super(`metric ${JSON.stringify(metric)}: ${reason}`);
    this.name = 'MetricDefinitionError';
  }
}

/** A sample recorded with labels the metric was not defined with, or a value it cannot take. */
export class MetricSampleError extends Error {
  constructor(metric: string, reason: string) {
    super(`metric ${JSON.stringify(metric)}: ${reason}`);
    this.name = 'MetricSampleError';
  }
}

export type Labels = Readonly<Record<string, string>>;

export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** Distinct label sets kept before new ones go to the overflow series; default 500. */
  maxSeries?: number;
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, strictly increasing; +Inf is implied. */
  buckets: readonly number[];
}

export const DEFAULT_MAX_SERIES = 500;

/** Seconds buckets suited to SMTP delivery latency (local file writes up to slow smarthosts). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Byte buckets for message sizes, 1 KiB to 32 MiB. */
export const SIZE_BUCKETS_BYTES: readonly number[] = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 33554432];

abstract class Metric<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly maxSeries: number;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected readonly series = new Map<string, { values: readonly string[]; state: S }>();

  constructor(o: MetricOptions, reservedLabels: readonly string[] = []) {
    if (!METRIC_NAME.test(o.name)) throw new MetricDefinitionError(o.name, 'name must match [a-zA-Z_:][a-zA-Z0-9_:]*');
    const labelNames = o.labelNames ?? [];
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new MetricDefinitionError(o.name, `label name ${JSON.stringify(l)} must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __`);
      if (reservedLabels.includes(l)) throw new MetricDefinitionError(o.name, `label name ${JSON.stringify(l)} is reserved for this metric type`);
    }
    if (new Set(labelNames).size !== labelNames.length) throw new MetricDefinitionError(o.name, 'label names must be distinct');
    const maxSeries = o.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!Number.isInteger(maxSeries) || maxSeries < 1) throw new MetricDefinitionError(o.name, 'maxSeries must be a positive integer');
    this.name = o.name;
    this.help = o.help;
    this.labelNames = labelNames;
    this.maxSeries = maxSeries;
  }

  protected abstract fresh(): S;

  /**
   * The state of a label set; a new set past the bound shares the overflow series. Called for every message
   * (several times): the key is built without temporary arrays, and the values array only for a new series.
   */
  protected stateOf(labels: Labels): S {
    const names = this.labelNames;
    let key = '';
    for (let i = 0; i < names.length; i++) {
      const v = labels[names[i]!];
      if (typeof v !== 'string') throw new MetricSampleError(this.name, `label ${JSON.stringify(names[i])} is missing`);
      key = i === 0 ? v : key + '\u0000' + v;
    }
    let given = 0;
    for (const l in labels) if (Object.hasOwn(labels, l)) given++;
    if (given !== names.length) throw new MetricSampleError(this.name, `labels must be exactly [${names.join(', ')}]`);
    let s = this.series.get(key);
    if (s) return s.state;
    if (this.series.size >= this.maxSeries) {
      const overflow = names.map(() => OVERFLOW_LABEL_VALUE);
      key = overflow.join('\u0000');
      s = this.series.get(key);
      if (s) return s.state;
      s = { values: overflow, state: this.fresh() };
    } else {
      s = { values: names.map((l) => labels[l]!), state: this.fresh() };
    }
    this.series.set(key, s);
    return s.state;
  }

  /** Drops every series whose label `name` has `value` (a label value that will not be used again). */
  removeWhere(name: string, value: string): void {
    const i = this.labelNames.indexOf(name);
    if (i < 0) return;
    for (const [key, s] of this.series) if (s.values[i] === value) this.series.delete(key);
  }

  /** Number of label sets held (the overflow series included). */
  get seriesCount(): number {
    return this.series.size;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`);
    out.push(`# TYPE ${this.name} ${this.type}`);
    for (const s of this.series.values()) this.renderSeries(out, s.values, s.state);
  }

  protected abstract renderSeries(out: string[], values: readonly string[], state: S): void;

  protected labelText(values: readonly string[], extra = ''): string {
    const parts = values.map((v, i) => `${this.labelNames[i]}="${escapeLabelValue(v)}"`);
    if (extra !== '') parts.push(extra);
    return parts.length === 0 ? '' : `{${parts.join(',')}}`;
  }
}

export class Counter extends Metric<{ value: number }> {
  readonly type = 'counter';

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0) || !Number.isFinite(by)) throw new MetricSampleError(this.name, `a counter only goes up by a finite amount >= 0, got ${by}`);
    this.stateOf(labels).value += by;
  }

  get(labels: Labels = {}): number {
    return this.series.get(this.labelNames.map((l) => labels[l] ?? '').join('\u0000'))?.state.value ?? 0;
  }

  protected renderSeries(out: string[], values: readonly string[], s: { value: number }): void {
    out.push(`${this.name}${this.labelText(values)} ${formatValue(s.value)}`);
  }
}

export class Gauge extends Metric<{ value: number }> {
  readonly type = 'gauge';

  protected fresh(): { value: number } {
    return { value: 0 };
  }

  set(labels: Labels, value: number): void {
    this.stateOf(labels).value = value;
  }

  inc(labels: Labels = {}, by = 1): void {
    this.stateOf(labels).value += by;
  }

  dec(labels: Labels = {}, by = 1): void {
    this.stateOf(labels).value -= by;
  }

  get(labels: Labels = {}): number {
    return this.series.get(this.labelNames.map((l) => labels[l] ?? '').join('\u0000'))?.state.value ?? 0;
  }

  protected renderSeries(out: string[], values: readonly string[], s: { value: number }): void {
    out.push(`${this.name}${this.labelText(values)} ${formatValue(s.value)}`);
  }
}

interface HistogramState {
  /** Non-cumulative count per bucket; cumulated at render time. The last slot is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramState> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];

  constructor(o: HistogramOptions) {
    super(o, ['le']);
    if (o.buckets.length === 0) throw new MetricDefinitionError(o.name, 'buckets must not be empty');
    for (let i = 0; i < o.buckets.length; i++) {
      const b = o.buckets[i]!;
      if (!Number.isFinite(b)) throw new MetricDefinitionError(o.name, 'bucket bounds must be finite (+Inf is implied)');
      if (i > 0 && b <= o.buckets[i - 1]!) throw new MetricDefinitionError(o.name, 'bucket bounds must be strictly increasing');
    }
    this.buckets = [...o.buckets];
  }

  protected fresh(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  observe(labels: Labels, value: number): void {
    if (Number.isNaN(value)) throw new MetricSampleError(this.name, 'cannot observe NaN');
    const s = this.stateOf(labels);
    let i = 0;
    while (i < this.buckets.length && value > this.buckets[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  protected renderSeries(out: string[], values: readonly string[], s: HistogramState): void {
    let cumulative = 0;
    for (let i = 0; i <= this.buckets.length; i++) {
      cumulative += s.counts[i]!;
      const le = i < this.buckets.length ? formatValue(this.buckets[i]!) : '+Inf';
      out.push(`${this.name}_bucket${this.labelText(values, `le="${le}"`)} ${cumulative}`);
    }
    out.push(`${this.name}_sum${this.labelText(values)} ${formatValue(s.sum)}`);
    out.push(`${this.name}_count${this.labelText(values)} ${s.count}`);
  }
}

type AnyMetric = Counter | Gauge | Histogram;

export class MetricsRegistry {
  private readonly metrics = new Map<string, AnyMetric>();
  private readonly collectors: (() => void)[] = [];

  counter(o: MetricOptions): Counter {
    return this.add(new Counter(o));
  }

  gauge(o: MetricOptions): Gauge {
    return this.add(new Gauge(o));
  }

  histogram(o: HistogramOptions): Histogram {
    return this.add(new Histogram(o));
  }

  /** Runs before every exposition, to refresh gauges whose value lives elsewhere (spool depth, memory). */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  /** The whole registry in the text exposition format 0.0.4. */
  exposition(): string {
    for (const c of this.collectors) c();
    const out: string[] = [];
    for (const m of this.metrics.values()) m.render(out);
    return out.join('\n') + '\n';
  }

  private add<M extends AnyMetric>(m: M): M {
    if (this.metrics.has(m.name)) throw new MetricDefinitionError(m.name, 'is already registered');
    this.metrics.set(m.name, m);
    return m;
  }
}

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}
