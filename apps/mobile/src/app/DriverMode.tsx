import { useTranslation } from 'react-i18next';
import { Pressable, StyleSheet, Text, View } from 'react-native';

/**
 * PLACEHOLDER — driver mode is not set up on this build. The driver screens (provisioning, shift,
 * diagnostics) live in src/driver/ (DriverHome, ProvisionScreen, DiagnosticsScreen); mount them here
 * once they exist. Nothing here pretends to track.
 */
export function DriverMode({ onChangeMode }: { onChangeMode: () => void }) {
  const { t } = useTranslation();
  return (
    <View style={styles.screen}>
      <Text role="alert">{t('mode.driverMissing')}</Text>
      <Pressable role="button" onPress={onChangeMode} style={styles.button}>
        <Text>{t('mode.change')}</Text>
      </Pressable>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, justifyContent: 'center', padding: 24, gap: 16 },
  button: { padding: 12, borderWidth: 1, borderRadius: 6, alignItems: 'center' },
});
