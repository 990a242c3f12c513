import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { ToastProvider } from '../components/toasts';
import { LiveProvider, useLive } from '../live/context';
import { EventToasts } from '../pages/EventToasts';
import { LiveMapPage } from '../pages/LiveMapPage';
import { LoginPage } from '../pages/LoginPage';
import { useMe, useSession, useSessionState } from '../session/context';

// Pages past the live map load on first visit: the first screen stays small.
const HistoryPage = lazy(() => import('../pages/HistoryPage'));
const GeofencesPage = lazy(() => import('../pages/GeofencesPage'));
const EventsPage = lazy(() => import('../pages/EventsPage'));
const ReportsPage = lazy(() => import('../pages/ReportsPage'));
const NotificationsPage = lazy(() => import('../pages/NotificationsPage'));
const MaintenancePage = lazy(() => import('../pages/MaintenancePage'));
const AdminPage = lazy(() => import('../pages/admin/AdminPage'));
const SharedPage = lazy(() => import('../pages/SharedPage'));
const AcceptInvitationPage = lazy(() => import('../pages/AcceptInvitationPage'));

export function App() {
  const state = useSessionState();
  const [location] = useLocation();
  const { t } = useTranslation();

  // A share link is public: no sign-in.
  if (location.startsWith('/shared/'))
    return (
      <Suspense fallback={<Loading />}>
        <Route path="/shared/:token">{(params) => <SharedPage token={params.token} />}</Route>
      </Suspense>
    );
  if (location === '/accept-invitation')
    return (
      <Suspense fallback={<Loading />}>
        <AcceptInvitationPage />
      </Suspense>
    );
  if (state.status === 'loading') return <Loading label={t('common.loading')} />;
  if (state.status === 'signedOut') return <LoginPage expired={state.reason === 'expired'} />;
  return (
    <ToastProvider>
      <LiveProvider>
        <EventToasts />
        <Shell />
      </LiveProvider>
    </ToastProvider>
  );
}

function Loading({ label = '…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      {label}
    </div>
  );
}

const NAV = [
  { href: '/', key: 'nav.map' },
  { href: '/history', key: 'nav.history' },
  { href: '/geofences', key: 'nav.geofences' },
  { href: '/events', key: 'nav.events' },
  { href: '/reports', key: 'nav.reports' },
  { href: '/notifications', key: 'nav.notifications' },
  { href: '/maintenance', key: 'nav.maintenance' },
] as const;

function Shell() {
  const { t } = useTranslation();
  const me = useMe();
  const session = useSession();
  const { state } = useLive();
  const [location] = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [location]);
  const isActive = (href: string) => (href === '/' ? location === '/' : location.startsWith(href));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('common.skipToContent')}
      </a>
      <header className="topbar">
        <span className="brand">{t('app.name')}</span>
        <button
          type="button"
          className="menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {t('nav.menu')}
        </button>
        <nav id="main-nav" className={menuOpen ? 'open' : ''} aria-label={t('nav.label')}>
          {NAV.map((item) => (
            <Link key={item.href} href={item.href} aria-current={isActive(item.href) ? 'page' : undefined}>
              {t(item.key)}
            </Link>
          ))}
          {me.role === 'admin' && (
            <Link href="/admin/vehicles" aria-current={isActive('/admin') ? 'page' : undefined}>
              {t('nav.admin')}
            </Link>
          )}
        </nav>
        <span className={`live-state live-state--${state}`} title={t(`live.${state}`)}>
          <span aria-hidden="true">●</span> <span className="live-state-text">{t(`live.${state}`)}</span>
        </span>
        <LanguageSwitch />
        <span className="user" title={me.email}>
          {me.name || me.email}
        </span>
        <button type="button" onClick={() => void session.logout()}>
          {t('nav.logout')}
        </button>
      </header>
      <Suspense fallback={<Loading label={t('common.loading')} />}>
        <Switch>
          <Route path="/" component={LiveMapPage} />
          <Route path="/history" component={HistoryPage} />
          <Route path="/geofences" component={GeofencesPage} />
          <Route path="/events" component={EventsPage} />
          <Route path="/reports" component={ReportsPage} />
          <Route path="/notifications" component={NotificationsPage} />
          <Route path="/maintenance" component={MaintenancePage} />
          <Route path="/admin" nest>
            {me.role === 'admin' ? <AdminPage /> : <Redirect to="/" />}
          </Route>
          <Route>
            <main id="main" className="page">
              <h1>{t('common.notFound')}</h1>
            </main>
          </Route>
        </Switch>
      </Suspense>
    </div>
  );
}
