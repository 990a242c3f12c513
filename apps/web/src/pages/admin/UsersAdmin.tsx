import { Role, type Invitation, type User } from '@fleet/contracts';
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { useApi, useMe } from '../../session/context';
import { validateInvitation, type FieldErrors } from '../forms';

export function UsersAdmin() {
  const { t } = useTranslation();
  const api = useApi();
  const me = useMe();
  const [users, setUsers] = useState<User[]>([]);
  const [error, setError] = useState<string>();
  const [invitation, setInvitation] = useState<Invitation>();

  const reload = useCallback(async () => {
    try {
      setUsers((await api.users({ limit: 500 })).items);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, [api]);
  useEffect(() => void reload(), [reload]);

  async function update(u: User, patch: Parameters<typeof api.updateUser>[1]) {
    try {
      await api.updateUser(u.id, patch);
      await reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">{t('admin.users')}</h2>
      <InviteForm onInvited={(inv) => (setInvitation(inv), void reload())} />
      {invitation && (
        <div className="card">
          <h3>{t('admin.invited', { email: invitation.email })}</h3>
          <OneTimeSecret
            label={t('admin.invitationLink')}
            value={`${window.location.origin}/accept-invitation?token=${encodeURIComponent(invitation.token)}`}
          />
          <button type="button" onClick={() => setInvitation(undefined)}>
            {t('common.done')}
          </button>
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {t('common.failed', { message: error })}
        </p>
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('admin.name')}</th>
              <th scope="col">{t('login.email')}</th>
              <th scope="col">{t('admin.role')}</th>
              <th scope="col">{t('admin.state')}</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id}>
                <td>{u.name || '—'}</td>
                <td>{u.email}</td>
                <td>
                  <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                    {t('admin.roleOf', { email: u.email })}
                  </label>
                  <select
                    id={`role-${u.id}`}
                    value={u.role}
                    disabled={u.id === me.id}
                    onChange={(e) => void update(u, { role: e.target.value as User['role'] })}
                  >
                    {Role.options.map((r) => (
                      <option key={r} value={r}>
                        {t(`role.${r}`)}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {u.disabled ? t('admin.disabled') : t('admin.enabled')}{' '}
                  {u.id !== me.id && (
                    <button type="button" onClick={() => void update(u, { disabled: !u.disabled })}>
                      {u.disabled ? t('admin.enable') : t('admin.disable')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function InviteForm({ onInvited }: { onInvited: (invitation: Invitation) => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [form, setForm] = useState({ email: '', name: '', role: 'viewer' });
  const [errors, setErrors] = useState<FieldErrors<'email' | 'name' | 'role'>>({});
  const [failure, setFailure] = useState<string>();
  const base = useId();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateInvitation(form);
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      onInvited(
        await api.inviteUser({ email: form.email.trim(), name: form.name.trim(), role: form.role as User['role'] }),
      );
      setForm({ email: '', name: '', role: 'viewer' });
      setFailure(undefined);
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`}>{t('admin.invite')}</h3>
      <div className="field">
        <label htmlFor={`${base}-email`}>{t('login.email')}</label>
        <input
          id={`${base}-email`}
          type="email"
          value={form.email}
          onChange={(e) => setForm({ ...form, email: e.target.value })}
          aria-invalid={errors.email ? true : undefined}
          aria-describedby={errors.email ? `${base}-email-err` : undefined}
        />
        {errors.email && (
          <span className="field-error" id={`${base}-email-err`}>
            {t(errors.email)}
          </span>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${base}-name`}>{t('admin.name')}</label>
        <input id={`${base}-name`} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${base}-role`}>{t('admin.role')}</label>
        <select id={`${base}-role`} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
          {Role.options.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </select>
      </div>
      {failure && (
        <p className="form-error" role="alert">
          {t('common.failed', { message: failure })}
        </p>
      )}
      <button type="submit" className="primary">
        {t('admin.sendInvite')}
      </button>
    </form>
  );
}
