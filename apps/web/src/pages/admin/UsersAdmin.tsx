import { Role, type Invitation, type User } from '@fleet/contracts';
import { keepPreviousData } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ActionButton, SubmitRow } from '../../components/ActionButton';
import { Field, SelectField } from '../../components/Field';
import { OneTimeSecret } from '../../components/OneTimeSecret';
import { Pager } from '../../components/Pager';
import { SecretCard } from '../../components/SecretCard';
import { Table } from '../../components/Table';
import { useToast } from '../../components/toasts';
import { useApiMutation, useApiQuery } from '../../data/api';
import { ErrorBanner } from '../../data/ErrorBanner';
import { useMe } from '../../session/context';
import { validateInvitation, type FieldErrors } from '../forms';
import { groupLabel } from './GroupsAdmin';

/** Users a page: an organization may have thousands. */
export const USERS_PAGE = 50;

export function UsersAdmin() {
  const { t } = useTranslation();
  const me = useMe();
  const notify = useToast();
  const [offset, setOffset] = useState(0);
  const [invitation, setInvitation] = useState<Invitation>();
  const users = useApiQuery(
    'listUsers',
    { query: { limit: USERS_PAGE, offset } },
    { placeholderData: keepPreviousData },
  );
  const update = useApiMutation('updateUser', { invalidates: ['listUsers'] });
  const groups = useApiQuery('listGroups');
  const groupItems = groups.data?.items ?? [];
  // The server refuses yourself and the last admin (409), and says so in the banner below.
  const remove = useApiMutation('deleteUser', { invalidates: ['listUsers'] });
  const change = (u: User, body: { role?: User['role']; disabled?: boolean; groupIds?: string[] }) =>
    update.mutate({ params: { id: u.id }, body });

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">{t('admin.users')}</h2>
      <InviteForm onInvited={setInvitation} />
      {invitation && (
        <SecretCard title={t('admin.invited', { email: invitation.email })} onDone={() => setInvitation(undefined)}>
          <OneTimeSecret
            label={t('admin.invitationLink')}
            value={`${window.location.origin}/accept-invitation?token=${encodeURIComponent(invitation.token)}`}
          />
        </SecretCard>
      )}
      <ErrorBanner error={users.error ?? update.error ?? remove.error} />
      <Table
        rows={users.data?.items ?? []}
        rowKey={(u) => u.id}
        columns={[
          { header: t('admin.name'), cell: (u) => u.name || '—' },
          { header: t('login.email'), cell: (u) => u.email },
          {
            header: t('admin.role'),
            cell: (u) => (
              <>
                <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                  {t('admin.roleOf', { email: u.email })}
                </label>
                <select
                  id={`role-${u.id}`}
                  value={u.role}
                  disabled={u.id === me.id}
                  onChange={(e) => change(u, { role: e.target.value as User['role'] })}
                >
                  {Role.options.map((r) => (
                    <option key={r} value={r}>
                      {t(`role.${r}`)}
                    </option>
                  ))}
                </select>
              </>
            ),
          },
          ...(groupItems.length
            ? [
                {
                  header: t('groups.scope'),
                  // Operators and viewers may be limited to groups (and those below them); admins see all.
                  cell: (u: User) =>
                    u.role === 'admin' ? (
                      <span className="muted small">{t('groups.adminsSeeAll')}</span>
                    ) : (
                      <>
                        <label className="visually-hidden" htmlFor={`groups-${u.id}`}>
                          {t('groups.scopeOf', { email: u.email })}
                        </label>
                        <select
                          id={`groups-${u.id}`}
                          multiple
                          size={Math.min(4, groupItems.length)}
                          value={u.groupIds ?? []}
                          onChange={(e) => change(u, { groupIds: [...e.target.selectedOptions].map((o) => o.value) })}
                        >
                          {groupItems.map((g) => (
                            <option key={g.id} value={g.id}>
                              {groupLabel(g)}
                            </option>
                          ))}
                        </select>
                        {!u.groupIds?.length && <span className="muted small"> {t('groups.wholeOrganization')}</span>}
                      </>
                    ),
                },
              ]
            : []),
          {
            header: t('admin.state'),
            cell: (u) => (
              <>
                {u.disabled ? t('admin.disabled') : t('admin.enabled')}{' '}
                {u.id !== me.id && (
                  <ActionButton onAct={() => change(u, { disabled: !u.disabled })}>
                    {u.disabled ? t('admin.enable') : t('admin.disable')}
                  </ActionButton>
                )}
              </>
            ),
          },
          {
            header: null,
            className: 'actions',
            // Deleting yourself is refused: the button is not offered on your own row.
            cell: (u) =>
              u.id !== me.id && (
                <ActionButton
                  className="danger"
                  confirm={t('admin.confirmDeleteUser', { email: u.email })}
                  onAct={() =>
                    remove.mutate(
                      { params: { id: u.id } },
                      { onSuccess: () => notify({ title: t('admin.userDeleted', { email: u.email }) }) },
                    )
                  }
                  aria-label={t('admin.deleteUserX', { email: u.email })}
                >
                  {t('common.delete')}
                </ActionButton>
              ),
          },
        ]}
      />
      <Pager page={users.data} onOffset={setOffset} />
    </section>
  );
}

const noInvitation = { email: '', name: '', role: 'viewer' };

function InviteForm({ onInvited }: { onInvited: (invitation: Invitation) => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState(noInvitation);
  const [errors, setErrors] = useState<FieldErrors<'email' | 'name' | 'role'>>({});
  const invite = useApiMutation('inviteUser', {
    invalidates: ['listUsers'],
    onSuccess: (invitation) => {
      onInvited(invitation);
      setForm(noInvitation);
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    const found = validateInvitation(form);
    setErrors(found);
    if (Object.keys(found).length) return;
    invite.mutate({ body: { email: form.email.trim(), name: form.name.trim(), role: form.role as User['role'] } });
  }
  return (
    <form className="card form-grid" onSubmit={submit} noValidate aria-labelledby="invite-title">
      <h3 id="invite-title">{t('admin.invite')}</h3>
      <Field
        label={t('login.email')}
        type="email"
        value={form.email}
        error={errors.email}
        onChange={(e) => setForm({ ...form, email: e.target.value })}
      />
      <Field
        label={t('admin.name')}
        value={form.name}
        error={errors.name}
        onChange={(e) => setForm({ ...form, name: e.target.value })}
      />
      <SelectField
        label={t('admin.role')}
        value={form.role}
        error={errors.role}
        onChange={(e) => setForm({ ...form, role: e.target.value })}
      >
        {Role.options.map((r) => (
          <option key={r} value={r}>
            {t(`role.${r}`)}
          </option>
        ))}
      </SelectField>
      <SubmitRow error={invite.error} busy={invite.isPending} label={t('admin.sendInvite')} />
    </form>
  );
}
