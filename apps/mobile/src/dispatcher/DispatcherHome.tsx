import type { PushEventType } from '@fleet/contracts';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Pressable, StyleSheet, Text, View } from 'react-native';
import type { DispatcherSession } from '../session/dispatcher-session';
import { EventsScreen } from './EventsScreen';
import { FleetListScreen } from './FleetListScreen';
import { FleetMapScreen } from './FleetMapScreen';
import { registerPush, type PushChoiceStore, type PushService } from './push';
import { SettingsScreen } from './SettingsScreen';
import { useLiveFleet } from './useLiveFleet';
import { VehicleDetailScreen } from './VehicleDetailScreen';

export interface DispatcherHomeProps {
  session: DispatcherSession;
  push: PushService;
  pushChoice: PushChoiceStore;
  onSignedOut: () => void;
}

type Tab = 'fleet' | 'map' | 'events' | 'settings';

/**
 * The dispatcher's app once signed in: four tabs (fleet list, map, events, settings) and a vehicle's
 * detail over the fleet list or the map. The phone's push token is registered here, after sign-in,
 * and unregistered at sign-out.
 */
export function DispatcherHome({ session, push, pushChoice, onSignedOut }: DispatcherHomeProps) {
  const { t, i18n } = useTranslation();
  const live = useLiveFleet(session);
  const [tab, setTab] = useState<Tab>('fleet');
  const [openVehicleId, setOpenVehicleId] = useState<string | null>(null);
  const [pushTypes, setPushTypes] = useState<PushEventType[]>([]);
  const [pushDenied, setPushDenied] = useState(false);
  const pushToken = useRef<string | null>(null);
  const language = i18n.language;

  useEffect(() => {
    let current = true;
    void (async () => {
      const types = await pushChoice.get();
      if (!current) return;
      setPushTypes(types);
      const token = await push.obtainToken().catch(() => null);
      if (!current) return;
      setPushDenied(token === null);
      pushToken.current = token;
      if (token) await registerPush(session.api, { token, eventTypes: types, language }).catch(() => undefined);
    })();
    return () => {
      current = false;
    };
  }, [session, push, pushChoice, language]);

  const changePushTypes = (types: PushEventType[]) => {
    setPushTypes(types);
    void pushChoice.set(types);
    const token = pushToken.current;
    if (token) void registerPush(session.api, { token, eventTypes: types, language }).catch(() => undefined);
  };

  const signOut = () => void session.signOut({ pushToken: pushToken.current }).finally(onSignedOut);

  const vehicle = openVehicleId ? live.fleet?.get(openVehicleId) : undefined;
  let body;
  if ((tab === 'fleet' || tab === 'map') && vehicle)
    body = (
      <VehicleDetailScreen
        session={session}
        vehicle={vehicle}
        nowMs={live.nowMs}
        onBack={() => setOpenVehicleId(null)}
      />
    );
  else if (tab === 'fleet') body = <FleetListScreen live={live} onOpen={(v) => setOpenVehicleId(v.vehicleId)} />;
  else if (tab === 'map')
    body = <FleetMapScreen server={session} live={live} onOpen={(v) => setOpenVehicleId(v.vehicleId)} />;
  else if (tab === 'events') body = <EventsScreen session={session} live={live} />;
  else
    body = (
      <SettingsScreen
        session={session}
        pushTypes={pushTypes}
        pushDenied={pushDenied}
        onPushTypes={changePushTypes}
        onSignOut={signOut}
      />
    );

  return (
    <View style={styles.root}>
      <View style={styles.body}>{body}</View>
      <View style={styles.tabs} role="tablist">
        {(['fleet', 'map', 'events', 'settings'] as const).map((name) => (
          <Pressable
            key={name}
            role="tab"
            accessibilityState={{ selected: tab === name }}
            style={styles.tab}
            onPress={() => {
              setTab(name);
              if (name === 'fleet' || name === 'map') setOpenVehicleId(null);
            }}
          >
            <Text style={tab === name ? styles.tabOn : styles.tabOff}>{t(`${name}.title`)}</Text>
          </Pressable>
        ))}
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, paddingTop: 32 },
  body: { flex: 1 },
  tabs: { flexDirection: 'row', borderTopWidth: 1, borderColor: '#ddd' },
  tab: { flex: 1, padding: 14, alignItems: 'center' },
  tabOn: { fontWeight: '700', color: '#1b5e20' },
  tabOff: { color: '#555' },
});
