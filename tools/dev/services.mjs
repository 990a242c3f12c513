// The launcher's services (`npm start`): each a child process in its own process group, its lines
// prefixed with its name, and all of them drained together when the launcher is asked to stop.
// Plain Node (no dependencies) because it runs before `npm ci` may have happened.
import { spawn } from 'node:child_process';
import { color, say } from './setup.mjs';

/**
 * Stops every service on the first of:
 * - SIGINT (Ctrl-C), SIGTERM (`kill`, or npm's own SIGTERM: npm forwards SIGINT and SIGTERM to the
 *   script, which package.json's `exec` makes this process rather than a shell that would die without
 *   passing it on), SIGHUP (the terminal closed);
 * - npm gone (it dies of SIGHUP, which it does not forward, or is killed): when npm ran us, the
 *   parent process changing means nobody waits for us any more;
 * - a service exiting on its own (code 1);
 * and exits once they have all exited. Should the launcher die anyway, its services get SIGTERM.
 */
export function superviseServices({ root }) {
  const children = [];
  let stopping = false;

  const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null);

  function shutdown(code = 0) {
    if (stopping) return;
    stopping = true;
    say('stopping (draining in-flight work)');
    const running = alive();
    let left = running.length;
    if (!left) process.exit(code);
    for (const child of running) {
      child.once('exit', () => --left === 0 && process.exit(code));
      child.kill('SIGTERM');
    }
  }

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => shutdown(0));
  process.on('exit', () => {
    for (const child of alive()) child.kill('SIGTERM');
  });
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && shutdown(0), 500).unref();
  }

  /** Starts `node <args>` as the service `name` (nothing once stopping). */
  function startService(name, args, env, tint) {
    if (stopping) return undefined;
    const child = spawn(process.execPath, args, {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Their own process group: Ctrl-C reaches only this launcher, which asks each service to drain
      // exactly once (a second signal would make a service give up draining).
      detached: true,
    });
    const prefix = color(tint, `[${name}]`.padEnd(9));
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream.on('data', (chunk) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop();
        for (const line of lines) console.log(`${prefix} ${line}`);
      });
    }
    child.on('exit', (code, signal) => {
      console.log(`${prefix} exited (${signal ?? code})`);
      if (!stopping) shutdown(1);
    });
    children.push(child);
    return child;
  }

  return { startService, shutdown, isStopping: () => stopping };
}
