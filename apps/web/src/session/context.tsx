import type { Me } from '@fleet/contracts';
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { Session, SessionState } from './session';

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

export function useSessionState(): SessionState {
  const session = useSession();
  return useSyncExternalStore(session.subscribe, session.getState);
}

/** The typed API client of the signed-in session. */
export const useApi = () => useSession().api;

/** The signed-in user (pages under the signed-in shell only). */
export function useMe(): Me {
  const state = useSessionState();
  if (state.status !== 'signedIn') throw new Error('useMe while signed out');
  return state.user;
}

export const canEdit = (me: Me) => me.role === 'admin' || me.role === 'operator';
