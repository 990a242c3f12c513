import { useLocales } from 'expo-localization';
import { StatusBar } from 'expo-status-bar';
import type { i18n as I18n } from 'i18next';
import { useEffect, useState } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import { ActivityIndicator, Pressable, StyleSheet, Text, View } from 'react-native';
import { readConfig } from '../config';
import { DispatcherHome } from '../dispatcher/DispatcherHome';
import { expoPushService, secureStorePushChoice, type PushChoiceStore, type PushService } from '../dispatcher/push';
import { createI18n, phoneLanguage, type Language } from '../i18n';
import { SignInScreen } from '../screens/SignInScreen';
import { DispatcherSession, restoreSession } from '../session/dispatcher-session';
import { secureStorePreferences, type Preferences } from '../storage/preferences';
import { addDriverTexts, resumeTrackingOnLaunch } from '../driver';
import { DriverMode } from './DriverMode';
import { secureStoreMode, type AppMode, type ModeStore } from './mode';

export interface AppProps {
  preferences?: Preferences;
  fetch?: typeof fetch;
  /** Defaults to the phone's language, followed when the user changes it while the app runs. */
  language?: Language;
  defaultServerUrl?: string;
  /** Which mode the phone was last used in. */
  modeStore?: ModeStore;
  push?: PushService;
  pushChoice?: PushChoiceStore;
  /**
   * Run once at launch, whatever the mode: re-registers the driver's location updates when a shift
   * is on (they stop delivering after an app update). Tests pass a no-op.
   */
  resumeTracking?: (i18n: I18n) => Promise<unknown>;
}

const resumeDriverTracking = (i18n: I18n) => {
  const t = addDriverTexts(i18n).getFixedT(null, 'driver');
  return resumeTrackingOnLaunch({ title: t('notification.title'), body: t('notification.body') });
};

export function App({
  preferences = secureStorePreferences,
  fetch,
  language,
  defaultServerUrl = readConfig().defaultServerUrl,
  modeStore = secureStoreMode,
  push = expoPushService,
  pushChoice = secureStorePushChoice,
  resumeTracking = resumeDriverTracking,
}: AppProps) {
  // useLocales renders again when the phone's languages change while the app runs (the system's or
  // Android's per-app language): the texts, dates and the push registration's language follow.
  const locales = useLocales();
  const wanted = language ?? phoneLanguage(locales);
  const [i18n] = useState(() => createI18n(wanted));
  useEffect(() => {
    if (i18n.language !== wanted) void i18n.changeLanguage(wanted);
  }, [i18n, wanted]);
  useEffect(() => {
    // A failure here shows on the driver's diagnostics screen; the app must open regardless.
    resumeTracking(i18n).catch(() => undefined);
  }, [i18n, resumeTracking]);
  return (
    <I18nextProvider i18n={i18n}>
      <View style={styles.root}>
        <StatusBar style="dark" />
        <Shell
          preferences={preferences}
          fetch={fetch}
          defaultServerUrl={defaultServerUrl}
          modeStore={modeStore}
          push={push}
          pushChoice={pushChoice}
        />
      </View>
    </I18nextProvider>
  );
}

type ShellProps = Required<Omit<AppProps, 'fetch' | 'language' | 'resumeTracking'>> & {
  fetch?: typeof globalThis.fetch;
};

/** undefined: still reading what the last launch left; null: nothing chosen yet. */
function Shell({ preferences, fetch, defaultServerUrl, modeStore, push, pushChoice }: ShellProps) {
  const [mode, setMode] = useState<AppMode | null | undefined>(undefined);

  useEffect(() => {
    let live = true;
    void modeStore
      .get()
      .catch(() => null)
      .then((m) => live && setMode(m));
    return () => {
      live = false;
    };
  }, [modeStore]);

  const choose = (next: AppMode | null) => {
    setMode(next);
    void modeStore.set(next).catch(() => undefined);
  };

  if (mode === undefined) return <ActivityIndicator style={styles.root} />;
  if (mode === null) return <ModeChoice onChoose={choose} />;
  if (mode === 'driver') return <DriverMode onChangeMode={() => choose(null)} />;
  return (
    <Dispatcher
      preferences={preferences}
      fetch={fetch}
      defaultServerUrl={defaultServerUrl}
      push={push}
      pushChoice={pushChoice}
      onChangeMode={() => choose(null)}
    />
  );
}

function ModeChoice({ onChoose }: { onChoose: (mode: AppMode) => void }) {
  const { t } = useTranslation();
  return (
    <View style={styles.modes}>
      <Text role="heading" style={styles.title}>
        {t('app.name')}
      </Text>
      <Text style={styles.intro}>{t('mode.title')}</Text>
      <Pressable role="button" style={styles.button} onPress={() => onChoose('dispatcher')}>
        <Text style={styles.buttonText}>{t('mode.dispatcher')}</Text>
      </Pressable>
      <Pressable role="button" style={styles.button} onPress={() => onChoose('driver')}>
        <Text style={styles.buttonText}>{t('mode.driver')}</Text>
      </Pressable>
    </View>
  );
}

function Dispatcher({
  preferences,
  fetch,
  defaultServerUrl,
  push,
  pushChoice,
  onChangeMode,
}: Omit<ShellProps, 'modeStore'> & { onChangeMode: () => void }) {
  const { t } = useTranslation();
  const [rememberedUrl, setRememberedUrl] = useState<string | null>(null);
  const [session, setSession] = useState<DispatcherSession | null>(null);

  useEffect(() => {
    let live = true;
    void (async () => {
      const url = (await preferences.get('serverUrl').catch(() => null)) ?? defaultServerUrl;
      // A refresh token from the last launch signs the user back in without the form.
      const restored = url ? await restoreSession({ serverUrl: url, preferences, fetch }).catch(() => null) : null;
      if (!live) return;
      if (restored)
        setSession(new DispatcherSession({ session: restored, preferences, fetch, onEnded: () => setSession(null) }));
      setRememberedUrl(url);
    })();
    return () => {
      live = false;
    };
  }, [preferences, defaultServerUrl, fetch]);

  if (rememberedUrl === null) return <ActivityIndicator style={styles.root} />;
  if (!session)
    return (
      <View style={styles.root}>
        <SignInScreen
          initialServerUrl={rememberedUrl}
          preferences={preferences}
          fetch={fetch}
          onSignedIn={(next) => {
            setRememberedUrl(next.serverUrl);
            setSession(new DispatcherSession({ session: next, preferences, fetch, onEnded: () => setSession(null) }));
          }}
        />
        <Pressable role="link" style={styles.change} onPress={onChangeMode}>
          <Text>{t('mode.change')}</Text>
        </Pressable>
      </View>
    );
  return <DispatcherHome session={session} push={push} pushChoice={pushChoice} onSignedOut={() => setSession(null)} />;
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: '#fff' },
  modes: { flex: 1, padding: 24, justifyContent: 'center', gap: 16 },
  title: { fontSize: 28, fontWeight: '700' },
  intro: { fontSize: 16, color: '#333' },
  button: { backgroundColor: '#1b5e20', borderRadius: 6, padding: 14, alignItems: 'center' },
  buttonText: { color: '#fff', fontSize: 16, fontWeight: '600' },
  change: { padding: 16, alignItems: 'center' },
});

export default App;
