import { useTranslation } from 'react-i18next';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { DeviceSetupPage } from './DeviceSetupPage';
import { DriversAdmin } from './DriversAdmin';
import { GroupsAdmin } from './GroupsAdmin';
import { OsmAndTokenSetting } from './OsmAndTokenSetting';
import { ShareLinksAdmin } from './ShareLinksAdmin';
import { TrackerSettingsForm } from './TrackerSettingsForm';
import { UsersAdmin } from './UsersAdmin';
import { VehiclesAdmin } from './VehiclesAdmin';
import { WebhooksAdmin } from './WebhooksAdmin';

const TABS = [
  { href: '/vehicles', key: 'admin.vehicles' },
  { href: '/groups', key: 'groups.title' },
  { href: '/drivers', key: 'drivers.title' },
  { href: '/users', key: 'admin.users' },
  { href: '/webhooks', key: 'admin.webhooks' },
  { href: '/share-links', key: 'admin.shareLinks' },
  { href: '/tracker', key: 'admin.tracker' },
] as const;

/** Admin pages, nested under /admin. */
export default function AdminPage() {
  const { t } = useTranslation();
  const [location] = useLocation();
  return (
    <main id="main" className="page">
      <h1>{t('nav.admin')}</h1>
      <nav className="tabs" aria-label={t('nav.admin')}>
        {TABS.map((tab) => (
          <Link key={tab.href} href={tab.href} aria-current={location.startsWith(tab.href) ? 'page' : undefined}>
            {t(tab.key)}
          </Link>
        ))}
      </nav>
      <Switch>
        <Route path="/vehicles/:id/setup">{(p) => <DeviceSetupPage vehicleId={p.id} />}</Route>
        <Route path="/vehicles" component={VehiclesAdmin} />
        <Route path="/groups" component={GroupsAdmin} />
        <Route path="/drivers" component={DriversAdmin} />
        <Route path="/users" component={UsersAdmin} />
        <Route path="/webhooks" component={WebhooksAdmin} />
        <Route path="/share-links" component={ShareLinksAdmin} />
        <Route path="/tracker">
          {() => (
            <>
              <TrackerSettingsForm />
              <OsmAndTokenSetting />
            </>
          )}
        </Route>
        <Route>
          <Redirect to="/vehicles" />
        </Route>
      </Switch>
    </main>
  );
}
