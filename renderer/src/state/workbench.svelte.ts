/**
 * The renderer's shared state: what the service last told us (workspace, envs, families, datasets, runs),
 * live metric series per run, collect progress, and the current view with its selection. Event
 * subscriptions mutate it in place (Podman Desktop's pattern); big series are `$state.raw`.
 */
import type { WorkbenchClient, Unsubscribe } from '../../../core/contract/client.ts';
import type {
  WorkspaceInfo,
  EnvSummary,
  ModelFamily,
  DatasetSummary,
  RunSummary,
  CollectProgress,
  RunLogLine,
  OpenLoopReply,
} from '../../../core/contract/channels.ts';
import { attempt, reportError, toasts } from './toasts.svelte.ts';
import { appendPoints, emptySeries } from '../lib/series.ts';
import type { Series } from '../lib/series.ts';

export type { Series };

export type View = 'runs' | 'datasets' | 'dream' | 'play' | 'sweeps' | 'settings';

export class Workbench {
  info = $state<WorkspaceInfo | null>(null);
  envs = $state.raw<EnvSummary[]>([]);
  families = $state.raw<ModelFamily[]>([]);
  datasets = $state.raw<DatasetSummary[]>([]);
  runs = $state.raw<RunSummary[]>([]);
  metrics = $state.raw<Record<string, Series>>({});
  logs = $state<Record<string, RunLogLine[]>>({});
  collect = $state<Record<string, CollectProgress>>({});
  connected = $state(false);

  view = $state<View>('runs');
  /** Shared selection, so jumping between views keeps context ("dream from this frame"). */
  selection = $state<{ runId: string | null; dataset: string | null; episode: number; step: number }>({
    runId: null,
    dataset: null,
    episode: 0,
    step: 0,
  });

  /** The Dream Lab's last rollout, kept across view switches. */
  lastDream = $state.raw<OpenLoopReply | null>(null);

  private subs: Unsubscribe[] = [];
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping only, never rendered
  private metricsLoading = new Set<string>();

  constructor(readonly client: WorkbenchClient) {}

  async start(): Promise<void> {
    const c = this.client;
    this.subs.push(
      c.onRunStatus((r) => this.upsertRun(r)),
      c.onMetrics((m) => {
        if (this.metrics[m.runId]) this.setSeries(m.runId, appendPoints(this.metrics[m.runId], m.points));
      }),
      c.onRunLog((l) => {
        const lines = (this.logs[l.runId] ??= []);
        lines.push(l);
        if (lines.length > 400) lines.splice(0, lines.length - 400);
        if (l.stream === 'trainer' && /crash|error|fail/i.test(l.line)) toasts.push('error', `Run ${l.runId}`, l.line);
      }),
      c.onCollectProgress((p) => {
        this.collect[p.dataset] = p;
      }),
      c.onDatasetsChanged(() => void this.refreshDatasets()),
    );
    const info = await attempt('Reading workspace info', () => c.workspaceInfo());
    this.connected = info !== undefined;
    if (info) this.info = info;
    await Promise.all([
      attempt('Listing environments', async () => (this.envs = await c.listEnvs())),
      attempt('Listing model families', async () => (this.families = await c.listModels())),
      this.refreshDatasets(),
      this.refreshRuns(),
    ]);
    if (!this.selection.dataset && this.datasets.length) this.selection.dataset = this.datasets[0].name;
    if (!this.selection.runId && this.runs.length) this.selection.runId = this.runs[0].id;
  }

  stop(): void {
    for (const u of this.subs) u();
    this.subs = [];
  }

  async refreshDatasets(): Promise<void> {
    const d = await attempt('Listing datasets', () => this.client.listDatasets());
    if (d) this.datasets = d;
  }

  async refreshRuns(): Promise<void> {
    const r = await attempt('Listing runs', () => this.client.listRuns());
    if (r) this.runs = r;
  }

  upsertRun(r: RunSummary): void {
    const i = this.runs.findIndex((x) => x.id === r.id);
    this.runs = i >= 0 ? this.runs.map((x, j) => (j === i ? r : x)) : [r, ...this.runs];
  }

  run(id: string | null): RunSummary | undefined {
    return id ? this.runs.find((r) => r.id === id) : undefined;
  }

  dataset(name: string | null): DatasetSummary | undefined {
    return name ? this.datasets.find((d) => d.name === name) : undefined;
  }

  /** Loads a run's metric history once; live points then arrive through onMetrics. */
  async loadMetrics(runId: string): Promise<void> {
    if (this.metrics[runId] || this.metricsLoading.has(runId)) return;
    this.metricsLoading.add(runId);
    try {
      const reply = await this.client.runMetrics({ runId, since: -1, limit: 0 });
      this.setSeries(runId, appendPoints(this.metrics[runId] ?? emptySeries(), reply.points));
    } catch (e) {
      reportError(`Loading metrics of ${runId}`, e);
    } finally {
      this.metricsLoading.delete(runId);
    }
  }

  private setSeries(runId: string, s: Series): void {
    if (s !== this.metrics[runId]) this.metrics = { ...this.metrics, [runId]: s };
  }

  go(view: View, patch: Partial<Workbench['selection']> = {}): void {
    Object.assign(this.selection, patch);
    this.view = view;
  }
}
