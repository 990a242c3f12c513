import type net from 'node:net';
import {
  FrameError,
  InvalidPositionsError,
  storableFix,
  type Device,
  type DeviceDirectory,
  type DeviceMessage,
  type FieldDrops,
  type IngestItem,
  type IngestPipeline,
  type ProtocolSession,
  type TcpProtocol,
} from '@fleet/ingest';
import type { Logger } from '@fleet/logging-json';
import type { CommandChannel } from './commands';
import { reasonLabel, type CloseReason, type TrackerMetrics } from './metrics';
import type { Presence } from './presence';

export interface ConnectionDeps {
  protocol: TcpProtocol;
  directory: DeviceDirectory;
  pipeline: IngestPipeline;
  fieldDrops: FieldDrops;
  metrics: TrackerMetrics;
  presence: Presence;
  commands: CommandChannel;
  logger: Logger;
  idleTimeoutMs: number;
  /** Labels of invalid-frame reasons seen by this process (bounded, see reasonLabel). */
  invalidReasons: Set<string>;
}

interface Queued {
  message: DeviceMessage;
  /** performance.now() when the frame was decoded: the start of its ACK latency. */
  decodedAt: number;
}

/** A half-closed socket whose device never reads is destroyed after this long. */
const END_GRACE_MS = 5_000;
/** Socket errors that mean the device went away, not that something is wrong here. */
const PEER_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * One device connection: the protocol's session frames the bytes; the messages are handled strictly
 * in order, one at a time. Positions are acknowledged only once the pipeline has committed them to
 * staging, and the socket is paused meanwhile, so a slow staging stops reading (TCP backpressure
 * reaches the device) and a device never gets ahead of what is stored.
 */
export class DeviceConnection {
  /** Resolves when the socket is closed and counted. */
  readonly closed: Promise<void>;
  private readonly session: ProtocolSession;
  private readonly queue: Queued[] = [];
  private readonly protocol: string;
  private busy = false;
  private closing = false;
  private draining = false;
  private peerEnded = false;
  private timedOutWhileBusy = false;
  private reason: CloseReason | undefined;
  private device: Device | undefined;
  private imei: string | undefined;
  private detach: (() => void) | undefined;
  private onClosed!: () => void;

  constructor(
    private readonly socket: net.Socket,
    private readonly d: ConnectionDeps,
  ) {
    this.protocol = d.protocol.name;
    this.session = d.protocol.createSession();
    this.closed = new Promise((resolve) => (this.onClosed = resolve));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(d.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      // The device half-closed: what it sent before still gets its answers, then we close too.
      this.peerEnded = true;
      if (!this.busy) this.finish('peer');
    });
    socket.on('timeout', () => {
      if (this.busy) this.timedOutWhileBusy = true;
      else this.finish('idle');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.reason ??= err.code && PEER_ERRORS.has(err.code) ? 'peer' : 'error';
      if (this.reason === 'error') d.logger.warn('device connection error', { protocol: this.protocol, err });
    });
    socket.on('close', () => this.onClose());
  }

  /** Stop after the message in hand (its acknowledgement written if committed), then close. */
  drain(): Promise<void> {
    this.draining = true;
    if (!this.busy) this.finish('shutdown');
    return this.closed;
  }

  /** Close now, whatever is in flight (the drain's grace period is over). */
  destroy(reason: CloseReason): void {
    this.reason ??= reason;
    this.closing = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let messages: DeviceMessage[];
    try {
      messages = this.session.push(chunk);
    } catch (err) {
      const reason = err instanceof FrameError ? err.reason : 'decoder_failure';
      if (!(err instanceof FrameError))
        this.d.logger.error('decoder threw on device bytes', { protocol: this.protocol, err });
      this.d.metrics.decodeErrors.inc({ protocol: this.protocol, reason });
      this.finish('decode_error');
      return;
    }
    const decodedAt = performance.now();
    for (const message of messages) {
      this.d.metrics.frames.inc({ protocol: this.protocol, type: message.type });
      this.queue.push({ message, decodedAt });
    }
    void this.pump();
  }

  /** Handles queued messages in order; reading pauses while one waits for the database. */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let next = this.queue.shift(); next && !this.closing && !this.draining; next = this.queue.shift()) {
        let pending: Promise<void> | undefined;
        try {
          pending = this.handle(next);
        } catch (err) {
          // A bug must cost this connection, never the process and its other devices.
          this.d.logger.error('device message failed', { protocol: this.protocol, err });
          this.finish('error');
          break;
        }
        if (pending) {
          this.socket.pause();
          await pending.catch((err: unknown) => {
            this.d.logger.error('device message failed', { protocol: this.protocol, err });
            this.finish('error');
          });
        }
      }
    } finally {
      this.busy = false;
    }
    if (this.closing) return;
    if (this.draining) this.finish('shutdown');
    else if (this.peerEnded) this.finish('peer');
    else {
      if (this.timedOutWhileBusy) {
        this.timedOutWhileBusy = false;
        this.socket.setTimeout(this.d.idleTimeoutMs);
      }
      this.socket.resume();
    }
  }

  /** A promise when the message waits for I/O (the next one waits for it); undefined when done at once. */
  private handle({ message, decodedAt }: Queued): Promise<void> | undefined {
    switch (message.type) {
      case 'login':
        return this.identify(message.imei, message).then(() => undefined);
      case 'positions':
        return this.positions(message, decodedAt);
      case 'heartbeat':
        this.write(message.reply);
        return message.imei !== undefined && message.imei !== this.imei
          ? this.identify(message.imei).then(() => undefined)
          : undefined;
      case 'commandResult':
        this.write(message.reply);
        return this.commandResult(message.text, message.imei);
      case 'invalid':
        this.d.metrics.decodeErrors.inc({
          protocol: this.protocol,
          reason: reasonLabel(message.reason, this.d.invalidReasons),
        });
        this.d.logger.debug('invalid frame', { protocol: this.protocol, imei: this.imei, reason: message.reason });
        this.write(message.reply);
        return undefined;
    }
  }

  /**
   * The vehicle behind an IMEI (a login, or the IMEI an H02 frame carries): unknown or disabled →
   * the protocol's refusal, then closed. Asked again on every frame that names it (the directory
   * caches it), so a device disabled while connected is cut off within the cache's lifetime.
   */
  private async identify(imei: string, answers: { accept?: Buffer; refuse?: Buffer } = {}): Promise<boolean> {
    let device: Device | undefined;
    try {
      device = await this.d.directory.byIdentifier(imei);
    } catch (err) {
      // PostgreSQL unavailable: nothing could be staged either; the device retries later.
      this.d.logger.warn('device lookup failed: closing', { protocol: this.protocol, imei, err });
      this.finish('staging_failed');
      return false;
    }
    if (!device || device.disabled) {
      this.d.logger.info(device ? 'disabled device refused' : 'unknown device refused', {
        protocol: this.protocol,
        imei,
      });
      this.write(answers.refuse);
      this.finish(device ? 'disabled_device' : 'unknown_device');
      return false;
    }
    const known = this.device?.vehicleId === device.vehicleId;
    if (!known) this.forget();
    this.device = device;
    this.imei = imei;
    this.write(answers.accept);
    if (!known) {
      this.d.presence.connected(device.vehicleId);
      // After the login answer: queued commands follow it on the wire.
      this.detach = this.d.commands.attach(
        { vehicleId: device.vehicleId, organizationId: device.organizationId },
        (command) => this.sendCommand(command),
      );
    }
    return true;
  }

  private async positions(message: Extract<DeviceMessage, { type: 'positions' }>, decodedAt: number): Promise<void> {
    const imei = message.imei ?? this.imei;
    if (imei === undefined) {
      this.d.logger.info('positions before any login: closing', { protocol: this.protocol });
      this.finish('unknown_device');
      return;
    }
    const device = (await this.identify(imei)) ? this.device : undefined;
    if (!device) return;
    const items: IngestItem[] = message.fixes.map((raw, i) => {
      const path = `records.${i}`;
      const { fix, problems } = storableFix(raw, { path });
      if (problems.length) this.d.fieldDrops.record(this.protocol, problems);
      return { device, fix, path };
    });
    try {
      await this.d.pipeline.ingest(this.protocol, items, { partial: true });
    } catch (err) {
      if (!(err instanceof InvalidPositionsError)) {
        // Not committed: no acknowledgement. Closing makes the device resend its buffer later.
        this.d.logger.warn('staging failed: not acknowledged, closing', {
          protocol: this.protocol,
          imei,
          records: items.length,
          err,
        });
        this.finish('staging_failed');
        return;
      }
      // Every record unusable (counted as rejected by the pipeline): acknowledged all the same, or
      // the device would resend the same records forever and never get past them.
      this.d.logger.info('frame with no usable record acknowledged', {
        protocol: this.protocol,
        imei,
        details: err.details.slice(0, 5),
      });
    }
    if (this.write(message.ack) || !message.ack)
      this.d.metrics.ackLatency.observe({ protocol: this.protocol }, (performance.now() - decodedAt) / 1000);
  }

  private async commandResult(text: string, imei: string | undefined): Promise<void> {
    if (imei !== undefined && imei !== this.imei && !(await this.identify(imei))) return;
    if (!this.device) return;
    await this.d.commands.answered(this.device.vehicleId, text).catch((err: unknown) =>
      this.d.logger.warn('could not record a command answer', {
        protocol: this.protocol,
        vehicleId: this.device?.vehicleId,
        err,
      }),
    );
  }

  private sendCommand(command: { id: string; text: string; serial: number }): Promise<void> {
    const imei = this.imei;
    if (this.closing || imei === undefined) return Promise.reject(new Error('the device is no longer connected'));
    const bytes = this.d.protocol.encodeCommand(imei, command.text, command.serial);
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Writes when the socket can still carry it; false when it could not be written. */
  private write(bytes: Buffer | undefined): boolean {
    if (!bytes || this.socket.destroyed || this.socket.writableEnded) return false;
    this.socket.write(bytes);
    return true;
  }

  private finish(reason: CloseReason): void {
    if (this.closing) return;
    this.closing = true;
    this.reason ??= reason;
    this.queue.length = 0;
    // end() sends what is written (a refusal, the last acknowledgements) before the FIN.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
  }

  /** The vehicle is no longer on this connection: presence and the command channel let go. */
  private forget(): void {
    this.detach?.();
    this.detach = undefined;
    if (this.device) void this.d.presence.disconnected(this.device.vehicleId);
    this.device = undefined;
  }

  private onClose(): void {
    this.closing = true;
    this.queue.length = 0;
    this.forget();
    this.d.metrics.connections.dec({ protocol: this.protocol });
    this.d.metrics.closed.inc({ protocol: this.protocol, reason: this.reason ?? 'peer' });
    this.onClosed();
  }
}
