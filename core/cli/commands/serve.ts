import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parseCommand, workspaceDir, intFlag, noPositionals } from '../args.ts';
import { UserError } from '../../util/errors.ts';
import { parseQueueUrl, QUEUE_ENV, QUEUE_PASSWORD_ENV } from '../../queue/connection.ts';

// The workbench service and its host (every family, tfjs, BullMQ: ≈ 1.3 CPU s to import through tsx) load only once
// the flags are checked, so a refused command line answers at the CLI's floor cost.

export const summary = 'serve the workbench in web mode (127.0.0.1, token-protected)';

const HELP = `usage: oneiro serve [--port P] [--open] [--demo] [--queue URL] [--workspace DIR]

Serves the built renderer (renderer/dist) and the Workbench API over a WebSocket on 127.0.0.1 only.
The printed URL carries a random token made at start; connections without it are refused.

  --port P       port on 127.0.0.1 (default: any free port)
  --open         open the URL in the default browser
  --demo         collect a small car-racing dataset and train a debug World Models run (first-time demo)
  --queue URL    start runs as jobs on this Redis queue (redis:// or rediss://; default $${QUEUE_ENV} if set)
                 instead of training them here; 'oneiro worker' processes sharing the workspace train them
  --workspace DIR  --backend NAME (the host's backend for dreams)`;

/** Opens a URL with the platform's opener; failure only prints (the URL is printed anyway). */
export function openUrl(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => console.error(`oneiro serve: could not run ${cmd}; open the URL yourself`));
    child.unref();
  } catch {
    console.error(`oneiro serve: could not open a browser; open the URL yourself`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand('serve', argv, {
    port: { type: 'string' },
    open: { type: 'boolean', default: false },
    demo: { type: 'boolean', default: false },
    queue: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  noPositionals('serve', positionals);
  const port = intFlag('port', values.port, 0, 0, 65535);
  const workspace = workspaceDir(values.workspace);
  const queueUrl = values.queue ?? process.env[QUEUE_ENV];
  // A malformed --queue is a usage error (one line) before anything starts.
  if (queueUrl) parseQueueUrl(queueUrl);
  const env = { ...process.env };
  // Child processes (collect jobs, the dream server) never need the queue's secrets.
  delete process.env[QUEUE_ENV];
  delete process.env[QUEUE_PASSWORD_ENV];
  const { createWorkbenchService, PROJECT_ROOT } = await import('../../service/service.ts');
  const { startHost } = await import('../../host/server.ts');
  const { forkLauncher } = await import('../../trainer/launcher.ts');
  const { startDemo } = await import('../../service/demo.ts');
  const service = createWorkbenchService({
    workspace,
    host: 'web',
    launcher: forkLauncher(),
    env,
    ...(queueUrl ? { queueUrl } : {}),
    ...(values.backend ? { backend: values.backend } : {}),
  });
  await service.queueReady;
  const queueNow = service.queue.settings();
  const dist = join(PROJECT_ROOT, 'renderer', 'dist');
  const staticDir = existsSync(join(dist, 'index.html')) ? dist : null;
  let host;
  try {
    host = await startHost({
      api: service.api,
      events: service.events,
      staticDir,
      port,
      log: (l) => console.error(`oneiro serve: ${l}`),
    });
  } catch (e) {
    await service.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new UserError(`port ${port} on 127.0.0.1 is in use: choose another --port or omit it`);
    throw e;
  }
  if (!staticDir)
    console.error('oneiro serve: renderer/dist is missing (npm run build:renderer); serving the API only');
  if (values.json) console.log(JSON.stringify({ url: host.url, port: host.port, workspace }));
  else
    console.log(
      `Oneiro web mode: ${host.url}\n  workspace ${workspace} · ${queueNow.connected ? `runs go to the queue ${queueNow.url}` : 'Ctrl-C stops (runs checkpoint first)'}`,
    );
  if (values.open) openUrl(host.url);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`oneiro serve: ${signal}: stopping trainers (checkpointing) and closing`);
    await service.close();
    await host.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (values.demo) {
    startDemo(service.api, (l) => console.error(`oneiro serve: ${l}`)).then(
      (d) =>
        console.error(
          `oneiro serve: demo run '${d.runId}' is training; open the Dream Lab when its first checkpoint is in`,
        ),
      (e) => console.error(`oneiro serve: demo failed: ${(e as Error).message}`),
    );
  }
  // Serve until a signal.
  await new Promise<never>(() => {});
  return 0;
}
