import { PushEventType, type PushEventType as EventType } from '@fleet/contracts';
import { useTranslation } from 'react-i18next';
import { Pressable, ScrollView, StyleSheet, Switch, Text, View } from 'react-native';
import type { DispatcherSession } from '../session/dispatcher-session';

/** Which events this phone is notified of, who is signed in, and sign-out. */
export function SettingsScreen({
  session,
  pushTypes,
  pushDenied,
  onPushTypes,
  onSignOut,
}: {
  session: DispatcherSession;
  pushTypes: EventType[];
  /** The user refused notifications: the choice is kept for when they allow them. */
  pushDenied: boolean;
  onPushTypes: (types: EventType[]) => void;
  onSignOut: () => void;
}) {
  const { t } = useTranslation();
  const toggle = (type: EventType, on: boolean) =>
    onPushTypes(PushEventType.options.filter((x) => (x === type ? on : pushTypes.includes(x))));
  return (
    <ScrollView contentContainerStyle={styles.screen}>
      <Text style={styles.section}>{t('settings.notifications')}</Text>
      {pushDenied ? <Text style={styles.note}>{t('settings.denied')}</Text> : null}
      {PushEventType.options.map((type) => (
        <View key={type} style={styles.row}>
          <Text style={styles.label}>{t(`settings.push.${type}`)}</Text>
          <Switch
            accessibilityLabel={t(`settings.push.${type}`)}
            value={pushTypes.includes(type)}
            onValueChange={(on) => toggle(type, on)}
          />
        </View>
      ))}
      <Text style={styles.section}>
        {t('settings.signedInAs', { name: session.user.name, email: session.user.email })}
      </Text>
      <Text>{t('settings.server', { url: session.serverUrl })}</Text>
      <Pressable role="button" style={styles.button} onPress={onSignOut}>
        <Text style={styles.buttonText}>{t('settings.signOut')}</Text>
      </Pressable>
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  screen: { padding: 16, gap: 8 },
  section: { marginTop: 16, fontSize: 16, fontWeight: '600' },
  note: { color: '#b00020' },
  row: { flexDirection: 'row', alignItems: 'center', justifyContent: 'space-between' },
  label: { fontSize: 15, flex: 1 },
  button: { marginTop: 24, backgroundColor: '#1b5e20', borderRadius: 6, padding: 14, alignItems: 'center' },
  buttonText: { color: '#fff', fontSize: 16, fontWeight: '600' },
});
