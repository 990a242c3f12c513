import { DriverHome } from '../driver';
import { useTranslation } from 'react-i18next';
import { Pressable, StyleSheet, Text, View } from 'react-native';

/** The driver mode (src/driver: provisioning, shift, permissions, diagnostics) and the way back to the mode choice. */
export function DriverMode({ onChangeMode }: { onChangeMode: () => void }) {
  const { t } = useTranslation();
  return (
    <View style={styles.screen}>
      <View style={styles.body}>
        <DriverHome />
      </View>
      <Pressable role="link" onPress={onChangeMode} style={styles.change}>
        <Text>{t('mode.change')}</Text>
      </Pressable>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1 },
  body: { flex: 1 },
  change: { padding: 16, alignItems: 'center' },
});
