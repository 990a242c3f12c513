import { StatusBar } from 'expo-status-bar';
import { useEffect, useMemo, useState } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import { ActivityIndicator, Pressable, StyleSheet, Text, View } from 'react-native';
import { readConfig } from '../config';
import { createI18n, type Language } from '../i18n';
import { SignInScreen } from '../screens/SignInScreen';
import { signOut, type Session } from '../session/sign-in';
import { secureStorePreferences, type Preferences } from '../storage/preferences';

export interface AppProps {
  preferences?: Preferences;
  fetch?: typeof fetch;
  /** Defaults to the phone's language. */
  language?: Language;
  defaultServerUrl?: string;
}

export function App({
  preferences = secureStorePreferences,
  fetch,
  language,
  defaultServerUrl = readConfig().defaultServerUrl,
}: AppProps) {
  const i18n = useMemo(() => createI18n(language), [language]);
  return (
    <I18nextProvider i18n={i18n}>
      <View style={styles.root}>
        <StatusBar style="dark" />
        <Shell preferences={preferences} fetch={fetch} defaultServerUrl={defaultServerUrl} />
      </View>
    </I18nextProvider>
  );
}

function Shell({
  preferences,
  fetch,
  defaultServerUrl,
}: {
  preferences: Preferences;
  fetch?: typeof globalThis.fetch;
  defaultServerUrl: string;
}) {
  const { t } = useTranslation();
  const [rememberedUrl, setRememberedUrl] = useState<string | null>(null);
  const [session, setSession] = useState<Session | null>(null);

  useEffect(() => {
    let live = true;
    void preferences
      .get('serverUrl')
      .catch(() => null)
      .then((url) => live && setRememberedUrl(url ?? defaultServerUrl));
    return () => {
      live = false;
    };
  }, [preferences, defaultServerUrl]);

  if (rememberedUrl === null) return <ActivityIndicator style={styles.root} />;
  if (!session)
    return (
      <SignInScreen
        initialServerUrl={rememberedUrl}
        preferences={preferences}
        fetch={fetch}
        onSignedIn={(next) => {
          setRememberedUrl(next.serverUrl);
          setSession(next);
        }}
      />
    );
  return (
    <View style={styles.home}>
      <Text>{t('home.signedInAs', { name: session.user.name, email: session.user.email })}</Text>
      <Text>{t('home.server', { url: session.serverUrl })}</Text>
      <Pressable
        role="button"
        style={styles.button}
        onPress={() => void signOut({ preferences, fetch, session }).finally(() => setSession(null))}
      >
        <Text style={styles.buttonText}>{t('home.signOut')}</Text>
      </Pressable>
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: '#fff' },
  home: { flex: 1, padding: 24, justifyContent: 'center', gap: 12 },
  button: { marginTop: 24, backgroundColor: '#1b5e20', borderRadius: 6, padding: 14, alignItems: 'center' },
  buttonText: { color: '#fff', fontSize: 16, fontWeight: '600' },
});

export default App;
