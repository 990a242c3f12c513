/** The demo login, documented in README.md. */
export const DEMO = {
  organization: 'Demo',
  slug: 'demo',
  email: 'demo@example.com',
  password: 'demo-fleet-2026',
} as const;

const TYPES = ['van', 'truck', 'car', 'motorbike', 'bus'] as const;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];

/** 25 vehicles of a Madrid delivery fleet, with stable device identifiers. */
export function demoVehicles() {
  return Array.from({ length: 25 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    const type = TYPES[i % TYPES.length];
    return {
      name: `${type[0].toUpperCase()}${type.slice(1)} ${n}`,
      plate: `${String(1000 + i * 37).padStart(4, '0')} ${['BCD', 'FGH', 'JKL', 'MNP', 'RST'][i % 5]}`,
      type,
      deviceIdentifier: `demo-${n}`,
      speedLimitKmh: type === 'truck' || type === 'bus' ? 90 : 120,
      color: COLORS[i % COLORS.length],
    };
  });
}
