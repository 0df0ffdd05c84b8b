// DEV ONLY entry (renderer/dev.html): mounts the app on the in-memory fake client.
import { mount } from 'svelte';
import '../app.css';
import App from '../App.svelte';
import { createFakeClient } from './fake-client.ts';

mount(App, { target: document.getElementById('app')!, props: { client: createFakeClient() } });
