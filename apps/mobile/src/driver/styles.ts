import { StyleSheet } from 'react-native';

export const styles = StyleSheet.create({
  screen: { flexGrow: 1, padding: 24, gap: 8, backgroundColor: '#fff' },
  title: { fontSize: 22, fontWeight: '700', marginBottom: 8 },
  text: { fontSize: 16, color: '#333' },
  label: { fontSize: 14, fontWeight: '600', marginTop: 12 },
  input: { borderWidth: 1, borderColor: '#999', borderRadius: 6, padding: 10, fontSize: 16 },
  error: { color: '#b00020', marginTop: 8 },
  ok: { color: '#1b5e20', marginTop: 8 },
  button: { marginTop: 12, backgroundColor: '#1b5e20', borderRadius: 6, padding: 14, alignItems: 'center' },
  secondary: {
    marginTop: 12,
    borderColor: '#1b5e20',
    borderWidth: 1,
    borderRadius: 6,
    padding: 12,
    alignItems: 'center',
  },
  buttonText: { color: '#fff', fontSize: 16, fontWeight: '600' },
  secondaryText: { color: '#1b5e20', fontSize: 16, fontWeight: '600' },
  camera: { height: 280, marginTop: 12 },
  row: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center', paddingVertical: 6 },
  value: { fontSize: 16, fontWeight: '600', flexShrink: 1, textAlign: 'right' },
});
