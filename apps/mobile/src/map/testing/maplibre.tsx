/**
 * A stand-in for `@maplibre/maplibre-react-native` in tests (the real one needs the native views): each
 * component renders a host element carrying the props it was given, so a test reads the map's style,
 * a source's GeoJSON or a layer's paint with `getByTestId(...).props`, and presses a source with
 * `fireEvent(source, 'press', { nativeEvent: { features } })`. The test setup installs it with
 * `jest.mock`.
 */
import { createElement, useImperativeHandle, type ReactNode, type Ref } from 'react';

type Props = Record<string, unknown> & { children?: ReactNode; testID?: string; id?: string };

/** Camera moves asked for by the app (fitBounds, easeTo …), in order. */
export const cameraCalls: Array<{ method: string; args: unknown[] }> = [];

type LogHandler = (log: { level: string; tag: string; message: string }) => boolean;
let logHandler: LogHandler | undefined;

/** What MapLibre Native would log, passed to the app's handler; true when the app handled it. */
export function emitLog(message: string, level = 'error', tag = 'Mbgl-Style'): boolean {
  return logHandler?.({ level, tag, message }) ?? false;
}

export const LogManager = {
  onLog: (handler: LogHandler) => {
    logHandler = handler;
  },
  setLogLevel: () => undefined,
  start: () => undefined,
  stop: () => undefined,
};

const host =
  (type: string, defaultTestId: (props: Props) => string | undefined) =>
  ({ ref: _ref, ...props }: Props & { ref?: unknown }) =>
    createElement(type, { ...props, testID: props.testID ?? defaultTestId(props) }, props.children);

export const Map = host('MLRNMap', () => 'map');
export const GeoJSONSource = host('MLRNGeoJSONSource', (p) => (p.id ? `source-${p.id}` : undefined));
export const RasterSource = host('MLRNRasterSource', (p) => (p.id ? `source-${p.id}` : undefined));
export const Layer = host('MLRNLayer', (p) => (p.id ? `layer-${p.id}` : undefined));

const CAMERA_METHODS = ['jumpTo', 'easeTo', 'flyTo', 'fitBounds', 'zoomTo', 'setStop'] as const;

export function Camera({ ref, ...props }: Props & { ref?: Ref<unknown> }) {
  useImperativeHandle(ref, () =>
    Object.fromEntries(
      CAMERA_METHODS.map((method) => [method, (...args: unknown[]) => void cameraCalls.push({ method, args })]),
    ),
  );
  return createElement('MLRNCamera', { ...props, testID: props.testID ?? 'camera' });
}
