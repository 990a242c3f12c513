import { ApiError } from '@fleet/api-client';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { ActivityIndicator, Pressable, StyleSheet, Text, TextInput, View } from 'react-native';
import { normaliseServerUrl, signIn, type Session, type SignInDeps } from '../session/sign-in';

export interface SignInScreenProps extends SignInDeps {
  /** The address remembered from the last sign-in, else the build's default. */
  initialServerUrl: string;
  onSignedIn: (session: Session) => void;
}

export function SignInScreen({ initialServerUrl, onSignedIn, preferences, fetch }: SignInScreenProps) {
  const { t } = useTranslation();
  const [serverUrl, setServerUrl] = useState(initialServerUrl);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    if (!serverUrl.trim() || !email.trim() || !password) return setError(t('signIn.missing'));
    if (!normaliseServerUrl(serverUrl)) return setError(t('signIn.badServerUrl'));
    setError(null);
    setBusy(true);
    try {
      onSignedIn(await signIn({ serverUrl, email, password }, { preferences, fetch }));
    } catch (err) {
      setError(describe(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <View style={styles.screen}>
      <Text style={styles.title} role="heading">
        {t('app.name')}
      </Text>
      <Text style={styles.intro}>{t('signIn.intro')}</Text>
      <Text style={styles.label}>{t('signIn.serverUrl')}</Text>
      <TextInput
        style={styles.input}
        accessibilityLabel={t('signIn.serverUrl')}
        placeholder={t('signIn.serverUrlHint')}
        value={serverUrl}
        onChangeText={setServerUrl}
        autoCapitalize="none"
        autoCorrect={false}
        keyboardType="url"
        textContentType="URL"
      />
      <Text style={styles.label}>{t('signIn.email')}</Text>
      <TextInput
        style={styles.input}
        accessibilityLabel={t('signIn.email')}
        value={email}
        onChangeText={setEmail}
        autoCapitalize="none"
        autoCorrect={false}
        keyboardType="email-address"
        textContentType="username"
        autoComplete="email"
      />
      <Text style={styles.label}>{t('signIn.password')}</Text>
      <TextInput
        style={styles.input}
        accessibilityLabel={t('signIn.password')}
        value={password}
        onChangeText={setPassword}
        secureTextEntry
        textContentType="password"
        autoComplete="current-password"
        onSubmitEditing={() => void submit()}
      />
      {error ? (
        <Text style={styles.error} role="alert">
          {error}
        </Text>
      ) : null}
      <Pressable
        style={[styles.button, busy && styles.buttonBusy]}
        role="button"
        accessibilityState={{ busy, disabled: busy }}
        disabled={busy}
        onPress={() => void submit()}
      >
        {busy ? <ActivityIndicator color="#fff" /> : null}
        <Text style={styles.buttonText}>{busy ? t('signIn.signingIn') : t('signIn.submit')}</Text>
      </Pressable>
    </View>
  );
}

function describe(err: unknown, t: TFunction): string {
  if (err instanceof ApiError) {
    if (err.status === 401) return t('signIn.wrong');
    if (err.status === 429) return t('signIn.tooMany');
    if (err.code === 'network') return t('signIn.unreachable');
  }
  return t('signIn.failed', { message: err instanceof Error ? err.message : String(err) });
}

const styles = StyleSheet.create({
  screen: { flex: 1, padding: 24, justifyContent: 'center', backgroundColor: '#fff' },
  title: { fontSize: 28, fontWeight: '700', marginBottom: 8 },
  intro: { fontSize: 16, marginBottom: 24, color: '#333' },
  label: { fontSize: 14, fontWeight: '600', marginTop: 12, marginBottom: 4 },
  input: { borderWidth: 1, borderColor: '#999', borderRadius: 6, padding: 10, fontSize: 16 },
  error: { color: '#b00020', marginTop: 16 },
  button: {
    marginTop: 24,
    backgroundColor: '#1b5e20',
    borderRadius: 6,
    padding: 14,
    flexDirection: 'row',
    justifyContent: 'center',
    gap: 8,
  },
  buttonBusy: { opacity: 0.7 },
  buttonText: { color: '#fff', fontSize: 16, fontWeight: '600' },
});
