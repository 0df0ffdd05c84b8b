// Renderer entry: connect to whichever host serves us (Electron bridge or web-mode WebSocket), then mount.
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import ConnectError from './views/ConnectError.svelte';
import { connectWorkbench } from '../../core/contract/index.ts';
import { toasts } from './state/toasts.svelte.ts';

const target = document.getElementById('app')!;

connectWorkbench({
  onClose: (reason) =>
    toasts.push(
      'error',
      'Disconnected from the workbench host',
      `${reason} — reload the page once the host runs again`,
    ),
}).then(
  (client) => mount(App, { target, props: { client } }),
  (e: unknown) => mount(ConnectError, { target, props: { message: e instanceof Error ? e.message : String(e) } }),
);
