import 'leaflet/dist/leaflet.css';
import './styles.css';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { ConfigContext } from './app/config-context';
import { createQueryClient } from './data/query-client';
import { loadConfig } from './config';
import { initI18n } from './i18n';
import { SessionProvider } from './session/context';
import { Session } from './session/session';

initI18n();
const session = new Session();
// The config and the silent sign-in (refresh cookie) are read together, before the first screen.
const [config] = await Promise.all([loadConfig(), session.restore()]);
const queryClient = createQueryClient();
// Signing out forgets every cached answer: the next user of this tab starts from nothing.
session.subscribe(() => {
  if (session.getState().status === 'signedOut') queryClient.clear();
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ConfigContext.Provider value={config}>
      <QueryClientProvider client={queryClient}>
        <SessionProvider session={session}>
          <App />
        </SessionProvider>
      </QueryClientProvider>
    </ConfigContext.Provider>
  </StrictMode>,
);
