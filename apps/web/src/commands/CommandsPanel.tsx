import { ApiError } from '@fleet/api-client';
import { COMMAND_LIMITS, CommandInput, type DeviceCommand } from '@fleet/contracts';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Field } from '../components/Field';
import { useApiMutation, useApiQuery } from '../data/api';
import { ErrorBanner } from '../data/ErrorBanner';
import { fmt } from '../i18n';

/** Commands shown: the latest ones (the API keeps them all). */
export const COMMANDS_SHOWN = 10;
/** How often the list is read again while open: quickly while a command awaits its answer. */
export const REFRESH_PENDING_MS = 2_000;
export const REFRESH_IDLE_MS = 15_000;

const pending = (c: DeviceCommand) => c.status === 'queued' || c.status === 'sent';

/**
 * Text commands for the vehicle's hardware tracker (Teltonika, GT06, H02), for admins and operators:
 * send one while the device is connected to the tracker gateway, and follow it until the device
 * answers. The list is only read while the panel is open.
 */
export function CommandsPanel({ vehicleId }: { vehicleId: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const list = useApiQuery(
    'listCommands',
    { params: { id: vehicleId }, query: { limit: COMMANDS_SHOWN } },
    {
      enabled: open,
      refetchInterval: (query) =>
        open && (query.state.data?.items.some(pending) ? REFRESH_PENDING_MS : REFRESH_IDLE_MS),
    },
  );
  const send = useApiMutation('sendCommand', { invalidates: ['listCommands'], onSuccess: () => setText('') });
  const items = list.data?.items ?? [];
  // The API's 409 names the vehicle (`id`) when its device is offline; other refusals say their own reason.
  const notConnected =
    send.error instanceof ApiError && send.error.status === 409 && send.error.details.some((d) => d.path === 'id');

  function submit(e: FormEvent) {
    e.preventDefault();
    const parsed = CommandInput.safeParse({ text });
    if (!parsed.success) {
      setInvalid(text.trim() === '' ? 'validation.required' : 'commands.printable');
      return;
    }
    setInvalid(undefined);
    send.mutate({ params: { id: vehicleId }, body: parsed.data });
  }

  return (
    <details className="commands-panel" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{t('commands.title')}</summary>
      <form className="commands-form" onSubmit={submit} noValidate>
        <Field
          label={t('commands.text')}
          value={text}
          maxLength={COMMAND_LIMITS.textMax}
          placeholder="getinfo"
          autoComplete="off"
          spellCheck={false}
          error={invalid}
          onChange={(e) => {
            setText(e.target.value);
            setInvalid(undefined);
            send.reset();
          }}
        />
        <button type="submit" className="primary" disabled={send.isPending}>
          {send.isPending ? t('commands.sending') : t('commands.send')}
        </button>
      </form>
      {notConnected ? (
        <p className="form-error" role="alert">
          {t('commands.notConnected')}
        </p>
      ) : (
        <ErrorBanner error={send.error ?? list.error} />
      )}
      <ul className="plain-list commands-list" aria-label={t('commands.list')}>
        {items.map((c) => (
          <CommandItem key={c.id} command={c} />
        ))}
        {list.isSuccess && items.length === 0 && <li className="muted">{t('commands.none')}</li>}
      </ul>
    </details>
  );
}

function CommandItem({ command: c }: { command: DeviceCommand }) {
  const { t } = useTranslation();
  const when = c.answeredAt ?? c.sentAt ?? c.createdAt;
  return (
    <li data-command={c.id}>
      <div className="row">
        <code>{c.text}</code>
        <span className={`command-status command-status--${c.status}`}>{t(`commands.status.${c.status}`)}</span>
      </div>
      <div className="muted small">
        {t(c.answeredAt ? 'commands.answeredAt' : c.sentAt ? 'commands.sentAt' : 'commands.queuedAt', {
          when: fmt.dateTime(when),
        })}
        {c.status === 'queued' && ` · ${t('commands.expiresAt', { when: fmt.time(c.expiresAt) })}`}
      </div>
      {c.response !== null && (
        <pre className="command-response" aria-label={t('commands.answer')}>
          {c.response}
        </pre>
      )}
      {c.status === 'failed' && c.error && <div className="form-error small">{c.error}</div>}
    </li>
  );
}
