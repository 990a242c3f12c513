// The driver mode's public surface for the app shell (apps/mobile/src/app).
export { DriverHome } from './DriverHome';
export { DiagnosticsScreen, currentDiagnostics, type DiagnosticsView } from './DiagnosticsScreen';
export { ProvisionScreen } from './ProvisionScreen';
export { LOCATION_TASK, startTracking, stopTracking } from './location-task';
export { resumeTrackingOnLaunch } from './launch';
export { addDriverTexts } from './i18n';
